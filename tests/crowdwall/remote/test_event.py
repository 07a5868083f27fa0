"""The console's page of every wall's screens (``crowdwall.remote.event``): grouped by wall,
per-wall roles (viewers see, moderators command, only their own walls), anonymous to the login."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from crowdwall.models import Role, Wall, WallRole
from crowdwall.remote import control, presence
from tests.crowdwall.remote.test_presence import good

pytestmark = pytest.mark.django_db

PAGE = "/walls/console/screens/"
DATA = PAGE + "data/"
JSON = {"HTTP_ACCEPT": "application/json"}
SCREEN_A, SCREEN_B, SCREEN_C = "screen-a-000001", "screen-b-000001", "screen-c-000001"


@pytest.fixture
def walls(wall: Wall) -> dict[str, Wall]:
    """Three walls, "djangocon" and "pycon" with open screens, "sprints" with none."""
    pycon = Wall.objects.create(name="PyCon", slug="pycon", hashtags=["pycon"])
    sprints = Wall.objects.create(name="Sprints", slug="sprints", hashtags=["sprints"])
    presence.report(wall.pk, presence.parse_report(good(screen=SCREEN_A)), transport="channels")
    presence.report(wall.pk, presence.parse_report(good(screen=SCREEN_B)), transport="channels")
    presence.report(pycon.pk, presence.parse_report(good(screen=SCREEN_C)), transport="nchan")
    return {"djangocon": wall, "pycon": pycon, "sprints": sprints}


def client_for(django_user_model: Any, name: str, roles: dict[Wall, str]) -> Client:
    user = django_user_model.objects.create_user(name)
    for wall, role in roles.items():
        WallRole.objects.create(wall=wall, user=user, role=role)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def command(client: Client, slug: str, **fields: str):
    """A command as the page's forms send it, with a valid CSRF cookie and token (a viewer's
    page has no form to take one from)."""
    token = "t0ken" * 6 + "ab"  # 32 characters: a CSRF secret as Django makes them
    client.cookies["csrftoken"] = token
    return client.post(
        f"/walls/{slug}/moderate/screens/command/", fields, HTTP_X_CSRFTOKEN=token, **JSON
    )


def test_anonymous_goes_to_the_login_and_scripts_get_403(client, walls, django_user_model):
    page = client.get(PAGE)
    assert page.status_code == 302 and "login" in page["Location"]
    assert "no-store" in page["Cache-Control"]
    assert client.get(DATA, **JSON).status_code == 403
    client.force_login(django_user_model.objects.create_user("member"))  # no role anywhere
    assert client.get(PAGE).status_code == 403


def test_the_data_lists_the_screens_of_every_visible_wall(admin_client, walls):
    data = admin_client.get(DATA, **JSON).json()
    assert data["heartbeat_seconds"] == 10
    assert [w["slug"] for w in data["walls"]] == ["djangocon", "pycon", "sprints"]  # by name
    screens = {w["slug"]: [s["screen"] for s in w["screens"]] for w in data["walls"]}
    assert screens == {"djangocon": [SCREEN_A, SCREEN_B], "pycon": [SCREEN_C], "sprints": []}
    assert all(w["commands"] for w in data["walls"])
    assert data["walls"][1]["screens"][0]["transport"] == "nchan"
    # The stale warning: a screen that missed its reports, as on the wall's own page.
    assert data["walls"][0]["screens"][0]["stale"] is False
    # A command to one screen shows as its override; the wall's state is unchanged.
    control.send(walls["pycon"], control.Command("pause", screen=SCREEN_C), actor=None)
    pycon = admin_client.get(DATA, **JSON).json()["walls"][1]
    assert pycon["overrides"] == {SCREEN_C: ["paused"]} and pycon["state"]["paused"] is False


def test_the_page_groups_screens_by_wall_with_links_and_commands(admin_client, walls):
    page = admin_client.get(PAGE)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    for slug in ("djangocon", "pycon", "sprints"):
        assert f'data-screens-wall="{slug}"' in html
        assert f'href="/walls/{slug}/moderate/screens/"' in html
        assert f'action="/walls/{slug}/moderate/screens/command/"' in html
    # Each screen's row sits in its wall's section, with its own commands.
    djangocon = html.split('data-screens-wall="djangocon"')[1].split('data-screens-wall="pycon"')[0]
    assert f'data-screen="{SCREEN_A}"' in djangocon and f'data-screen="{SCREEN_C}"' not in djangocon
    assert f'name="screen" value="{SCREEN_A}"' in djangocon
    assert "3 screens online" in html
    # Linked from the console's home.
    assert PAGE.encode() in admin_client.get("/walls/console/").content


def test_an_inactive_wall_is_listed_only_while_a_screen_reports(admin_client, walls):
    Wall.objects.filter(slug__in=["pycon", "sprints"]).update(is_active=False)
    data = admin_client.get(DATA, **JSON).json()
    assert [w["slug"] for w in data["walls"]] == ["djangocon", "pycon"]


def test_a_viewer_sees_the_screens_but_no_commands_and_is_refused(walls, django_user_model):
    viewer = client_for(django_user_model, "viewer", {walls["djangocon"]: Role.VIEWER})
    data = viewer.get(DATA, **JSON).json()
    assert [(w["slug"], w["commands"]) for w in data["walls"]] == [("djangocon", False)]
    assert [s["screen"] for s in data["walls"][0]["screens"]] == [SCREEN_A, SCREEN_B]
    html = viewer.get(PAGE).content.decode()
    assert f'data-screen="{SCREEN_A}"' in html
    assert "data-screen-command" not in html and "<button" not in html
    assert "needs the moderator role" in html
    response = command(viewer, "djangocon", command="pause")
    assert response.status_code == 403
    assert control.state(walls["djangocon"].pk)["paused"] is False


def test_a_moderator_of_one_wall_cannot_command_another(walls, django_user_model):
    moderator = client_for(
        django_user_model,
        "mod",
        {walls["djangocon"]: Role.MODERATOR, walls["pycon"]: Role.VIEWER},
    )
    data = moderator.get(DATA, **JSON).json()
    assert [(w["slug"], w["commands"]) for w in data["walls"]] == [
        ("djangocon", True),
        ("pycon", False),
    ]
    html = moderator.get(PAGE).content.decode()
    assert 'action="/walls/djangocon/moderate/screens/command/"' in html
    assert 'action="/walls/pycon/moderate/screens/command/"' not in html
    refused = command(moderator, "pycon", command="banner", text="Hi", screen=SCREEN_C)
    assert refused.status_code == 403
    assert control.state(walls["pycon"].pk, SCREEN_C)["banner"] is None
    sent = command(moderator, "djangocon", command="banner", text="Hi", screen=SCREEN_A)
    assert sent.status_code == 200 and sent.json()["ok"] is True
    assert control.state(walls["djangocon"].pk, SCREEN_A)["banner"]["text"] == "Hi"
    assert control.state(walls["djangocon"].pk, SCREEN_B)["banner"] is None


def test_a_plain_form_from_the_console_page_goes_back_there(walls, admin_client):
    admin_client.get(PAGE)
    response = admin_client.post(
        "/walls/pycon/moderate/screens/command/",
        {"command": "pause", "screen": SCREEN_C, "back": "console"},
    )
    assert response.status_code == 303 and response["Location"] == PAGE
    assert control.state(walls["pycon"].pk, SCREEN_C)["paused"] is True
    page = admin_client.get(PAGE).content.decode()
    assert f"Pause on PyCon: sent to screen {SCREEN_C}." in page
    # Anything else goes back to the wall's own Screens page: never a URL from the form.
    other = admin_client.post(
        "/walls/pycon/moderate/screens/command/", {"command": "next", "back": "//evil.example/"}
    )
    assert other["Location"] == "/walls/pycon/moderate/screens/"


def test_the_walls_own_screens_page_shows_commands_to_moderators_only(walls, django_user_model):
    page = "/walls/djangocon/moderate/screens/"
    viewer = client_for(django_user_model, "viewer", {walls["djangocon"]: Role.VIEWER})
    html = viewer.get(page).content.decode()
    assert f'data-screen="{SCREEN_A}"' in html
    assert "data-screen-command" not in html and "<button" not in html
    assert "needs the moderator role" in html
    moderator = client_for(django_user_model, "mod", {walls["djangocon"]: Role.MODERATOR})
    html = moderator.get(page).content.decode()
    assert "data-screen-command" in html and "needs the moderator role" not in html
