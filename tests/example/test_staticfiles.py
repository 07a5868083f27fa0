"""The development server's static files (``example.staticfiles``): a path leaving the static
roots is a 404, never a 500, through the handler ``runserver`` wraps the site in (issue 14)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler, StaticFilesHandler
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory

from example import settings as example_settings

# The WSGI handler signals request_started/finished, which close old database connections.
pytestmark = pytest.mark.django_db

ESCAPES = [
    "/static/..%2f..%2fetc/passwd",
    "/static/../../etc/passwd",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/crowdwall/..%2f..%2f..%2f..%2fsettings.py",
    "/static/..%5c..%5cetc/passwd",
]


@pytest.fixture(autouse=True)
def example_finders(settings) -> Iterator[None]:
    settings.STATIC_URL = "/static/"
    settings.STATICFILES_FINDERS = example_settings.STATICFILES_FINDERS
    yield


def wsgi_status(path: str) -> str:
    """The status line ``runserver``'s WSGI handler answers ``path`` with."""
    environ = RequestFactory().get(path).environ
    statuses: list[str] = []
    handler = StaticFilesHandler(WSGIHandler())
    body = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
    getattr(body, "close", lambda: None)()
    return statuses[0]


@pytest.mark.parametrize("path", ESCAPES)
def test_a_path_leaving_the_static_roots_is_a_404(path):
    assert wsgi_status(path).startswith("404")


@pytest.mark.parametrize("path", ESCAPES)
def test_daphnes_asgi_static_handler_answers_404_too(path):
    request = RequestFactory().get(path)
    handler = ASGIStaticFilesHandler(ASGIHandler())
    response = async_to_sync(handler.get_response_async)(request)
    assert response.status_code == 404


def test_static_files_are_still_served_and_missing_ones_are_404():
    assert wsgi_status("/static/crowdwall/live.js").startswith("200")
    assert wsgi_status("/static/crowdwall/nothing.js").startswith("404")
