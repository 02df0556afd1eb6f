"""Page requests the way production serves them: through Django's WSGI handler, as gunicorn
calls it, with a signed-in session's cookie.

Django's test client is not that: on every request it connects a receiver that copies each
rendered template's context (for ``response.context``), about a millisecond on a templated
page and nothing on the plain-text baseline, and it skips the start and end of request that
production runs (closing stale connections, the connection health check).
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.test import Client


@dataclass(frozen=True)
class Page:
    status_code: int
    content: bytes


class Browser:
    """GETs as the person ``client`` is signed in as (its cookies, read once)."""

    def __init__(self, client: Client) -> None:
        self.cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
        self.handler = WSGIHandler()

    def get(self, url: str) -> Page:
        path, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_COOKIE": self.cookie,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        statuses: list[str] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            statuses.append(status)
            return lambda data: None  # the legacy write(): Django never calls it

        response = self.handler(environ, start_response)
        try:
            content = b"".join(response)
        finally:
            response.close()  # request_finished, as gunicorn does
        return Page(int(statuses[0].split()[0]), content)
