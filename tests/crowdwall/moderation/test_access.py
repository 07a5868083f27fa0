"""``crowdwall.moderation.access``: who may view, moderate and organise which wall — the rules
themselves, then every moderation page, the moderators' socket and nchan's subscriber check
against every kind of caller (``tests.crowdwall.moderation.roles``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.checks import run_checks
from django.test import Client, modify_settings, override_settings

from crowdwall.ingest.prepare import BatchResult
from crowdwall.live.routing import websocket_urlpatterns
from crowdwall.models import BannedWord, ModerationMode, Role, Wall, WallRole
from crowdwall.moderation.access import may, may_enter, role_for
from tests.crowdwall.conftest import make_post
from tests.crowdwall.console.test_views import wall_data
from tests.crowdwall.live.conftest import layer
from tests.crowdwall.moderation.roles import CALLERS, MAY, callers, expected, statuses

__all__ = ["callers", "layer"]  # fixtures, imported for pytest

SCREEN = "/walls/djangocon/moderate/"


@pytest.mark.django_db
def test_each_caller_holds_the_role_the_table_says(callers, wall):
    roles = {}
    for name, caller in callers.items():
        with override_settings(**caller.settings):
            roles[name] = role_for(caller.user, wall)
    assert roles == {
        "superuser": Role.ORGANISER,
        "staff": Role.ORGANISER,
        "staff_strict": None,
        "staff_elsewhere": None,
        "organiser": Role.ORGANISER,
        "moderator": Role.MODERATOR,
        "group_moderator": Role.MODERATOR,
        "viewer": Role.VIEWER,
        "organiser_elsewhere": None,
        "member": None,
        "anonymous": None,
    }


@pytest.mark.django_db
def test_the_highest_of_a_users_and_their_groups_roles_counts(callers, wall):
    viewer = callers["group_moderator"].user
    WallRole.objects.create(wall=wall, user=viewer, role=Role.VIEWER)
    assert role_for(viewer, wall) == Role.MODERATOR
    assert may(viewer, wall, "moderate") and not may(viewer, wall, "organise")


@pytest.mark.django_db
def test_inactive_anonymous_and_unknown_actions(callers, wall):
    organiser = callers["organiser"].user
    organiser.is_active = False
    assert not may(organiser, wall, "view") and not may_enter(organiser)
    assert not may(None, wall, "view")
    with pytest.raises(ValueError, match="Unknown action"):
        may(callers["superuser"].user, wall, "delete")


@pytest.mark.django_db
def test_site_wide_is_for_full_access_only(callers):
    allowed = set()
    for name, caller in callers.items():
        with override_settings(**caller.settings):
            if may(caller.user, None, "view"):
                allowed.add(name)
    assert allowed == {name for name in CALLERS if "site" in MAY[name]}


@pytest.mark.parametrize(
    ("value", "errors"), [(True, []), (False, []), ("yes", ["crowdwall.E190"])]
)
def test_per_wall_roles_must_be_a_boolean(settings, value, errors):
    settings.CROWDWALL = {"PER_WALL_ROLES": value}
    assert [m.id for m in run_checks() if m.id == "crowdwall.E190"] == errors


# -- every moderation page ---------------------------------------------------------------------


@pytest.fixture
def held(wall: Wall, store: Callable[..., BatchResult]) -> int:
    """A pre-approve wall with one pending post and a banned word; the post's id."""
    wall.moderation = ModerationMode.PRE_APPROVE
    wall.save()
    BannedWord.objects.create(wall=wall, word="old")
    return store(make_post(1)).events[0].post_id


CONSOLE = "/walls/console/"
WALL_FORM = wall_data(name="DjangoCon", slug="djangocon", hashtags="djangocon")
LOGIN = 302  # an anonymous page view goes to the login page; any other anonymous call is 403

# (method, path, data, what it needs, status when allowed, status for anonymous);
# "{post}" and "{source}" are filled in per test. Not here, because open to everyone: the
# screens' presence beacon (``test_the_screens_presence_beacon_is_open_to_every_caller``),
# the big screen, its catch-up (live/missed/) and service worker, schedule/now.json and the
# talk archive (public pages, tests/crowdwall/test_screen.py, schedule/, live/).
PAGES = [
    ("get", SCREEN, None, "view", 200, LOGIN),
    ("get", SCREEN + "items/{post}/", None, "view", 200, LOGIN),
    ("get", SCREEN + "snapshot/", None, "view", 200, LOGIN),
    ("get", SCREEN + "log/", None, "view", 200, LOGIN),
    ("get", SCREEN + "quarantine/", None, "view", 200, LOGIN),
    ("get", "/walls/djangocon/live/authorize/", None, "view", 200, 403),
    ("post", SCREEN + "act/", {"item": "{post}:approve"}, "moderate", 303, 403),
    ("post", SCREEN + "ban-word/", {"word": "spam"}, "moderate", 303, 403),
    ("post", SCREEN + "unban/", {"word": "old"}, "moderate", 303, 403),
    # The Screens page (crowdwall.remote.views): viewers watch, moderators command.
    ("get", SCREEN + "screens/", None, "view", 200, LOGIN),
    ("get", SCREEN + "screens/data/", None, "view", 200, LOGIN),
    ("post", SCREEN + "screens/command/", {"command": "pause"}, "moderate", 303, 403),
    # Analytics (crowdwall.analytics.views): figures are for every role on the wall.
    ("get", "/walls/djangocon/analytics/?range=day", None, "view", 200, LOGIN),
    ("get", "/walls/djangocon/analytics/export.csv?range=day", None, "view", 200, LOGIN),
    # The console (crowdwall.console): its list and explainer for any role, a wall's settings
    # and sources for its organisers, new walls for full access only.
    ("get", CONSOLE, None, "enter", 200, LOGIN),
    ("post", CONSOLE + "rules/", {"field": "hashtags", "value": "#django"}, "enter", 200, 403),
    ("get", CONSOLE + "new/", None, "site", 200, LOGIN),
    ("post", CONSOLE + "new/", wall_data(name="Mine", slug="mine"), "site", 302, 403),
    ("get", CONSOLE + "walls/djangocon/", None, "organise", 200, LOGIN),
    ("post", CONSOLE + "walls/djangocon/", WALL_FORM, "organise", 302, 403),
    ("get", CONSOLE + "walls/djangocon/sources/new/", None, "organise", 200, LOGIN),
    ("get", CONSOLE + "walls/djangocon/sources/{source}/", None, "organise", 200, LOGIN),
    (
        "post",
        CONSOLE + "walls/djangocon/sources/{source}/pause/",
        {"enabled": "0"},
        "organise",
        302,
        403,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "data", "needs", "ok", "anonymous"),
    PAGES,
    ids=[f"{m.upper()} {p}" for m, p, *_ in PAGES],
)
def test_each_role_gets_the_pages_it_may(
    callers, held, source, method, path, data, needs, ok, anonymous
):
    targets = {"{post}": str(held), "{source}": str(source.pk)}

    def fill(text: str) -> str:
        for name, value in targets.items():
            text = text.replace(name, value)
        return text

    path = fill(path)
    if data is not None:
        data = {k: fill(v) for k, v in data.items()}

    def ask(client: Any) -> Any:
        return client.get(path) if method == "get" else client.post(path, data)

    assert statuses(callers, ask) == expected(needs, ok, anonymous=anonymous)


@pytest.mark.django_db
def test_the_screens_presence_beacon_is_open_to_every_caller(callers, wall):
    """No cookies, no role: any screen may report itself (crowdwall.remote.views.beacon)."""
    report = json.dumps({"screen": "screen-0001", "layout": "columns", "theme": "dark"})

    def ask(client: Any) -> Any:
        return client.post(
            "/walls/djangocon/screen/presence/", report, content_type="application/json"
        )

    assert statuses(callers, ask) == expected(None, 204)


@pytest.mark.django_db
def test_a_viewer_sees_the_queue_without_any_action(callers, held):
    viewer = callers["viewer"].client().get(SCREEN).content.decode()
    moderator = callers["moderator"].client().get(SCREEN).content.decode()
    assert f'data-post-id="{held}"' in viewer and "data-read-only" in viewer
    for action in ('data-action="approve"', "data-bulk=", "data-ban-word", "data-unban"):
        assert action not in viewer and action in moderator
    item = callers["viewer"].client().get(f"{SCREEN}items/{held}/").content.decode()
    assert 'data-action="approve"' not in item


@pytest.mark.django_db
@modify_settings(INSTALLED_APPS={"append": "django.contrib.admin"})
@override_settings(ROOT_URLCONF="tests.crowdwall.moderation.admin_urls")
def test_a_moderator_who_is_not_staff_logs_in_and_lands_on_the_screen(client, callers, held):
    organiser = callers["organiser"].user
    organiser.set_password("pw")
    organiser.save()
    to_login = client.get(SCREEN)
    assert to_login.status_code == 302
    login = to_login["Location"]
    assert login.startswith("/moderate/login/?next=")
    page = client.get(login)
    assert page.status_code == 200 and b'name="password"' in page.content
    back = client.post(login, {"username": "org", "password": "pw"})
    assert (back.status_code, back["Location"]) == (302, SCREEN)
    assert client.get(SCREEN).status_code == 200
    wrong = Client().post(login, {"username": "org", "password": "nope"})
    assert wrong.status_code == 200 and b"errornote" in wrong.content


# -- the moderators' socket ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_each_role_gets_the_moderators_socket_it_may(callers, held, layer):
    async def opens(user: Any) -> bool:
        ws = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns), SCREEN.replace("/walls", "/ws/walls")
        )
        ws.scope["user"] = user
        connected, _ = await ws.connect(10)
        if connected:
            done = await ws.receive_json_from(10)  # the snapshot: the one pending post, then done
            while done["type"] != "catchup.done":
                done = await ws.receive_json_from(10)
            await ws.disconnect()
        return connected

    got = {}
    for name in CALLERS:
        with override_settings(**callers[name].settings):
            got[name] = asyncio.run(opens(callers[name].user))
    assert got == {name: "view" in MAY[name] for name in CALLERS}
