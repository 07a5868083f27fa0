"""The Screens page, its data and command endpoints (staff only, CSRF-protected, 4xx for bad
input), the screens' presence beacon (unauthenticated, bounded) and their service worker."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from crowdwall.models import ModerationLog
from crowdwall.remote import control
from tests.crowdwall.remote.test_presence import good

pytestmark = pytest.mark.django_db

PAGE = "/walls/djangocon/moderate/screens/"
DATA = PAGE + "data/"
COMMAND = PAGE + "command/"
BEACON = "/walls/djangocon/screen/presence/"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def staff(django_user_model, wall) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_user("mo", is_staff=True))
    client.get("/walls/djangocon/moderate/")  # sets the CSRF cookie
    return client


def csrf(client: Client) -> dict[str, str]:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def beacon(client: Client, body: object, **extra: str):
    raw = body if isinstance(body, str) else json.dumps(body)  # a str is sent as it is
    return client.post(BEACON, raw, content_type="application/json", **extra)


def test_staff_only(client, wall, django_user_model):
    assert client.get(PAGE).status_code == 302  # to the login page
    assert client.get(DATA, **JSON).status_code == 403
    assert client.post(COMMAND, {"command": "pause"}).status_code == 403
    client.force_login(django_user_model.objects.create_user("joe"))
    assert client.get(PAGE).status_code == 403
    assert control.state(wall.pk)["paused"] is False


def test_screens_are_listed_with_their_report(staff, wall, client):
    assert beacon(client, good()).status_code == 204
    page = staff.get(PAGE)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert b"abcdef01" in page.content and b"1920\xc3\x971080" in page.content
    data = staff.get(DATA, **JSON).json()
    assert [s["screen"] for s in data["screens"]] == ["abcdef0123456789"]
    assert data["state"]["paused"] is False and data["heartbeat_seconds"] == 10
    assert data["overrides"] == {}
    control.send(wall, control.Command("pause", screen="abcdef0123456789"), actor=None)
    data = staff.get(DATA, **JSON).json()
    assert data["overrides"] == {"abcdef0123456789": ["paused"]}
    assert data["state"]["paused"] is False  # the wall's own state
    # Linked from the moderation screen.
    assert PAGE.encode() in staff.get("/walls/djangocon/moderate/").content


def test_a_command_needs_the_csrf_token(staff, wall):
    assert staff.post(COMMAND, {"command": "pause"}, **JSON).status_code == 403
    assert control.state(wall.pk)["paused"] is False
    response = staff.post(COMMAND, {"command": "pause"}, **JSON, **csrf(staff))
    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["state"]["paused"] is True
    assert ModerationLog.objects.get(action="screen").detail["command"] == "pause"


def test_a_bad_command_is_a_400_naming_the_field(staff, wall):
    response = staff.post(COMMAND, {"command": "banner", "text": ""}, **JSON, **csrf(staff))
    assert response.status_code == 400
    assert response.json() == {"ok": False, "errors": {"text": [
        "The announcement: 1 to 200 characters."
    ]}}  # fmt: skip
    plain = staff.post(COMMAND, {"command": "nope"}, **csrf(staff))
    assert plain.status_code == 400 and plain["Content-Type"].startswith("text/plain")
    assert not ModerationLog.objects.exists()


def test_a_plain_form_goes_back_to_the_page(staff, wall):
    response = staff.post(COMMAND, {"command": "next"}, **csrf(staff))
    assert response.status_code == 303 and response["Location"] == PAGE


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"screen": "x"}, 400),
        ([1, 2], 400),
        ("[" * 1_000 + "]" * 1_000, 400),  # nested too deep
        ("not json", 400),
    ],
)
def test_the_beacon_refuses_bad_reports(client, wall, body, status):
    response = beacon(client, body)
    assert response.status_code == status and "error" in response.json()


def test_the_beacon_is_bounded(client, wall):
    big = client.post(BEACON, "x" * 3_000, content_type="application/json")
    assert big.status_code == 413
    assert beacon(client, good(), HTTP_HOST="testserver").status_code == 204
    assert client.post("/walls/nowhere/screen/presence/", json.dumps(good()),
                       content_type="application/json").status_code == 404  # fmt: skip
    statuses = [beacon(client, good(screen=f"screen-{n:04}")).status_code for n in range(70)]
    assert statuses.count(204) < 60 and statuses[-1] == 429  # per address per minute


def test_the_service_worker_may_control_the_screen_pages(client):
    response = client.get("/walls/screen-sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/walls/"
    assert b"crowdwall-screen" in response.content


def test_a_reconnecting_nchan_page_gets_the_screen_state(client, wall, store):
    from tests.crowdwall.conftest import make_post

    store(make_post())
    control.send(wall, control.Command("pause"), actor=None)
    frames = client.get("/walls/djangocon/live/missed/", {"since": 0}).json()["frames"]
    assert frames[-1] == {
        "type": "screen.state", "paused": True, "banner": None, "layout": "", "theme": "",
        "spotlight": None,
    }  # fmt: skip
    # A screen says who it is: a command to it alone survives its reload (the same state path
    # as the Channels consumer).
    control.send(wall, control.Command("theme", screen="screen-a-0123", value="light"), actor=None)
    missed = "/walls/djangocon/live/missed/"
    mine = client.get(missed, {"since": 0, "screen": "screen-a-0123"}).json()["frames"][-1]
    assert (mine["paused"], mine["theme"]) == (True, "light")
    assert client.get(missed, {"since": 0}).json()["frames"][-1]["theme"] == ""
    refused = client.get(missed, {"since": 0, "screen": "../../etc"})
    assert refused.status_code == 400 and "screen" in refused.json()["error"]


def test_each_screen_row_has_every_command_for_that_screen_alone(staff, wall, client, store):
    """Issue 19: spotlight, banner, layout and theme for ONE screen, from its row."""
    from tests.crowdwall.conftest import make_post

    store(make_post())
    post_id = wall.entries.values_list("post_id", flat=True).get()
    assert beacon(client, good()).status_code == 204
    assert beacon(client, good(screen="other-screen-01")).status_code == 204
    html = staff.get(PAGE).content.decode()
    row = html.split('<tr data-screen="abcdef0123456789"')[1].split("</tr>")[0]
    for command in ("pause", "resume", "next", "reload", "banner", "clear-banner"):
        assert f'name="command" value="{command}"' in row
    for command in ("spotlight", "layout", "theme"):
        assert f'<input type="hidden" name="command" value="{command}">' in row
    assert row.count('name="screen" value="abcdef0123456789"') == 5  # every form of the row
    assert row.count("csrfmiddlewaretoken") == 5 and "<details" in row
    # The same forms, sent as the row sends them (with and without JavaScript).
    one = {"screen": "abcdef0123456789"}
    sent = [
        staff.post(COMMAND, {**one, "command": "banner", "text": "Hall B", "seconds": "30"},
                   **JSON, **csrf(staff)),
        staff.post(COMMAND, {**one, "command": "spotlight", "post": str(post_id)}, **csrf(staff)),
        staff.post(COMMAND, {**one, "command": "layout", "value": "ticker"}, **JSON, **csrf(staff)),
        staff.post(COMMAND, {**one, "command": "theme", "value": "light"}, **csrf(staff)),
    ]  # fmt: skip
    assert [r.status_code for r in sent] == [200, 303, 200, 303]
    mine = control.state(wall.pk, "abcdef0123456789")
    assert mine["banner"]["text"] == "Hall B" and mine["spotlight"]["id"] == post_id
    assert (mine["layout"], mine["theme"]) == ("ticker", "light")
    other = control.state(wall.pk, "other-screen-01")
    assert other["banner"] is None and other["spotlight"] is None
    assert (other["layout"], other["theme"]) == ("", "")
    assert control.overrides(wall.pk) == {
        "abcdef0123456789": ["banner", "layout", "spotlight", "theme"]
    }
    # A bad value from a row is refused like any other, naming the field.
    bad = staff.post(COMMAND, {**one, "command": "layout", "value": "huge"}, **JSON, **csrf(staff))
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["value"]
