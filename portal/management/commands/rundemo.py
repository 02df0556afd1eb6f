from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand, CommandError

# Where rundemo writes the address it serves on; settings read it (portal.settings).
SITE_URL_FILE = settings.VAR_DIR / "demo-site-url"


class Command(BaseCommand):
    help = "Serve the portal and run a Celery worker with beat beside it; Ctrl-C stops both."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "rundemo serves the demo; in production run gunicorn and a Celery worker and "
                "beat (see docker-compose.yml)."
            )
        python = sys.executable
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if "DEBUG" not in os.environ:
            # Pages as production shows them (the portal's own 404 and 500), still the demo.
            env.update(DEBUG="false", PORTAL_PROFILE="demo")
        wrote_site_url = self._announce_address(options["addr"])
        worker_cmd = [
            python,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--beat",
            "--loglevel=INFO",
            "--concurrency=2",
            f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
        ]
        web_cmd = [python, "manage.py", "runserver", options["addr"]]
        self.stdout.write(f"Celery broker: {settings.CELERY_BROKER_URL}")
        # Each child gets its own process group so Ctrl-C here reaches them
        # once, through us, and we can wait for a clean shutdown.
        procs = [
            subprocess.Popen(cmd, env=env, start_new_session=True)  # noqa: S603
            for cmd in (worker_cmd, web_cmd)
        ]
        self.stdout.write(
            self.style.SUCCESS(f"Portal at http://{options['addr']}/  (Ctrl-C stops everything)")
        )
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        # Installed explicitly: a shell may start us with SIGINT ignored, and
        # SIGTERM (from a supervisor) should stop the children just the same.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.2)
            self.stdout.write("\nStopping the web server and the worker...")
        finally:
            for proc in procs:
                if proc.poll() is None:
                    # The worker's main process stops its own pool; signalling the whole
                    # group as well makes its warm shutdown hang. runserver's reloader
                    # child needs the group signal.
                    if proc is procs[0]:
                        os.kill(proc.pid, signal.SIGTERM)
                    else:
                        os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            for proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        if wrote_site_url:
            SITE_URL_FILE.unlink(missing_ok=True)
        failed = [p for p in procs if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed:
            self.stderr.write("A process stopped unexpectedly; see its output above.")

    def _announce_address(self, addr: str) -> bool:
        """Make links in emails and printed by other commands point where the demo is served.

        Returns whether it wrote the address file (an explicit SITE_URL wins and is left alone).
        """
        if os.environ.get("SITE_URL", "").strip():
            return False
        url = demo_site_url(addr)
        SITE_URL_FILE.parent.mkdir(parents=True, exist_ok=True)
        SITE_URL_FILE.write_text(url + "\n")
        # allauth names the Site in emails sent outside a request.
        Site.objects.filter(pk=settings.SITE_ID).update(domain=url.removeprefix("http://"))
        self.stdout.write(f"Links in emails: {url}/")
        return True


def demo_site_url(addr: str) -> str:
    """The browser address for runserver's ``addr`` ("8107", "0.0.0.0:8107", "[::1]:8107")."""
    host, _, port = addr.rpartition(":")
    if not host:
        host = "127.0.0.1"
    if host in ("0.0.0.0", "[::]", "0"):  # noqa: S104 - listening everywhere: this machine's name
        host = "localhost"
    return f"http://{host}:{port}"
