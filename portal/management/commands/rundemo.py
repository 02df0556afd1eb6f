from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the portal and run a Celery worker with beat beside it; Ctrl-C stops both."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
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
        failed = [p for p in procs if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed:
            self.stderr.write("A process stopped unexpectedly; see its output above.")
