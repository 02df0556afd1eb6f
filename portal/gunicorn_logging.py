"""gunicorn's access log without the secrets some URLs carry (``portal.redaction``).

Started with ``--logger-class portal.gunicorn_logging.RedactingLogger`` (Dockerfile and
docker-compose.yml): the request line, the path and the Referer (a page opened from a
check-in link sends it with every asset) are logged with the token replaced.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from portal.redaction import redact


class RedactingLogger(Logger):
    """gunicorn's logger, with every access-log field passed through ``redact``."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}
