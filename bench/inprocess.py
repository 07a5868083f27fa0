"""Django inside the bench process (microbenchmarks, registry, edge purges): setup, cache, database
and WSGI helpers."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django
from django.apps import apps


def setup() -> None:
    """Configure Django with the bench site's settings (once per process)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.site.settings")
    if not apps.ready:
        django.setup()


@contextmanager
def memcached_caches(address: str) -> Iterator[None]:
    """Point every cache alias at the memcached at ``address`` for the block.

    ``override_settings`` fires ``setting_changed``, whose receiver rebuilds the cache handlers.
    """
    from django.test.utils import override_settings

    from bench.site.memcached import caches_for

    setup()
    with override_settings(CACHES=caches_for(address), MEMCACHED=address):
        yield


@contextmanager
def sqlite_database(path: Path) -> Iterator[None]:
    """Point Django's default database at a fresh SQLite file, migrated, for the block.

    DATABASES cannot be overridden like CACHES (connections are cached), so the connection's
    settings are swapped while it is closed, and restored afterwards.
    """
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    connection.close()
    previous = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = str(path)
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = previous


class WSGICaller:
    """Call the site's WSGI handler directly: Django's full request path, minus the socket."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        from django.core.handlers.wsgi import WSGIHandler

        setup()
        self.handler = WSGIHandler()
        self.host = host
        self.status = ""

    def environ(self, path: str) -> dict[str, Any]:
        return {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SCRIPT_NAME": "",
            "SERVER_NAME": self.host,
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": self.host,
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }

    def _start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> None:
        self.status = status

    def get(self, path: str) -> bytes:
        """GET ``path``; return the body, raise if the status is not 200."""
        response = self.handler(self.environ(path), self._start_response)
        try:
            body = b"".join(response)
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()  # fires request_finished, as a WSGI server would
        if not self.status.startswith("200"):
            raise RuntimeError(f"GET {path} answered {self.status}")
        return body
