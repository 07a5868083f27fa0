"""Fixtures for the API tests: a staff user with a bearer token, clients for every caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from crowdwall.ingest.prepare import BatchResult
from tests.crowdwall.conftest import make_post

TOKEN = "test-token-0123456789"


@pytest.fixture(autouse=True)
def api_settings(settings: Any) -> None:
    """A token for the staff user, no anonymous rate limit (tests that need one set it)."""
    settings.CROWDWALL = {"API_TOKENS": {TOKEN: "mod"}, "API_ANON_RATE": None}


@pytest.fixture
def staff(db: Any) -> Any:
    return get_user_model().objects.create_user("mod", password="pw", is_staff=True)


@pytest.fixture
def member(db: Any) -> Any:
    return get_user_model().objects.create_user("member", password="pw")


@pytest.fixture
def anon() -> Client:
    return Client()


@pytest.fixture
def bearer(staff: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


@pytest.fixture
def session(staff: Any) -> Client:
    """A logged-in staff browser that checks CSRF like a real one."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    return client


def csrf_headers(client: Client) -> dict[str, str]:
    """The header a page's script sends: the CSRF cookie's value (fetched first if needed)."""
    if "csrftoken" not in client.cookies:
        from django.middleware.csrf import _get_new_csrf_string

        client.cookies["csrftoken"] = _get_new_csrf_string()
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


@pytest.fixture
def posts(store: Callable[..., BatchResult]) -> list[int]:
    """Five approved posts on the ``wall`` fixture; their ids, oldest first."""
    from crowdwall.models import Post

    store(*[make_post(n) for n in range(1, 6)])
    return list(Post.objects.order_by("created_at").values_list("pk", flat=True))
