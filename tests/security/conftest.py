"""The hostile-input suite's site: two walls (open, pre-approve) with approved, pending and hidden
posts, a signed webhook source, a staff user with an API token, and clients for every caller.

Every generated input is counted (``tried``); the totals are printed at the end of the run, as
the figures docs/security.md quotes.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, settings

from crowdwall.models import BannedWord, Post, PostWall, Source, Wall
from crowdwall.states import ModerationMode, ModerationState
from tests.crowdwall.conftest import make_post, published, source, store, wall  # noqa: F401

TOKEN = "security-token-0123456789"
SECRET = "security-webhook-s3cret"
TRIED: Counter[str] = Counter()


def examples(count: int) -> settings:
    """Hypothesis settings of the suite: ``count`` examples, reproducible, no deadline."""
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def tried(kind: str) -> None:
    """Count one generated input of ``kind`` (query, form, body, webhook, socket...)."""
    TRIED[kind] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TRIED:
        total = sum(TRIED.values())
        parts = ", ".join(f"{kind} {count}" for kind, count in sorted(TRIED.items()))
        terminalreporter.write_line(f"hostile-input suite: {total} inputs tried ({parts})")


@pytest.fixture(autouse=True)
def security_settings(settings: Any) -> None:
    """A token for the staff user; no anonymous rate limit (the suite sends many requests)."""
    settings.CROWDWALL = {
        "API_TOKENS": {TOKEN: "mod"},
        "API_ANON_RATE": None,
        "LIVE_FIGURES_INTERVAL": 0,
    }


@pytest.fixture
def site(wall: Wall, store: Any) -> dict[str, Any]:  # noqa: F811 (the imported fixture)
    """The data every hostile request finds; returns the ids a request might name."""
    staff = get_user_model().objects.create_user("mod", password="pw", is_staff=True)
    open_wall = wall
    queue = Wall.objects.create(
        name="Queue", slug="queue", hashtags=["queue"], moderation=ModerationMode.PRE_APPROVE
    )
    queued = Source.objects.create(wall=queue, name="queued", kind="replay", config={"rate": 0})
    hook = Source.objects.create(wall=open_wall, name="hook", kind="webhook", secret=SECRET)
    store(*[make_post(n) for n in range(1, 9)])
    store(*[make_post(100 + n, html=f"<p>#queue item {n}</p>") for n in range(3)], src=queued)
    BannedWord.objects.create(wall=open_wall, word="spam")
    hidden = PostWall.objects.filter(wall=open_wall).order_by("pk").first()
    assert hidden is not None
    PostWall.objects.filter(pk=hidden.pk).update(state=ModerationState.REJECTED)
    pending = list(
        PostWall.objects.filter(wall=queue, state=ModerationState.PENDING).values_list(
            "post_id", flat=True
        )
    )
    assert pending, "the pre-approve wall must hold a queue"
    return {
        "staff": staff,
        "hook": hook,
        "posts": list(Post.objects.values_list("pk", flat=True)),
        "pending": pending,
        "hidden": hidden.post_id,
    }


@pytest.fixture
def anon() -> Client:
    """A visitor; exceptions become the 500 a real server would answer, not a test error."""
    return Client(raise_request_exception=False)


@pytest.fixture
def staff_client(site: dict[str, Any]) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(site["staff"])
    return client


@pytest.fixture
def bearer(site: dict[str, Any]) -> Client:
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


def assert_answered(response: Any, *, api: bool) -> None:
    """No server error, and a refusal in the documented shape: JSON ``{"error": {"code",
    "message"}}`` from the API and the webhook, an HTML page elsewhere."""
    status = response.status_code
    assert status < 500, f"{status} for {response.request.get('PATH_INFO')}"
    if status < 400 or (status in (404, 405) and not api):
        return
    content_type = response.get("Content-Type", "")
    if api:
        assert content_type.startswith("application/json"), content_type
        error = json.loads(response.content)["error"]
        if (
            "/live/" in response.request["PATH_INFO"]
        ):  # the live views' own shape (docs/live-nchan.md)
            assert isinstance(error, str), error
            return
        assert isinstance(error["code"], str) and isinstance(error["message"], str), error
    else:
        assert content_type.startswith(("text/html", "application/json", "text/plain")), (
            content_type
        )
