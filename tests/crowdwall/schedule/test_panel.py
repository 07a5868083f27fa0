"""The big screen's "now / next" data: embedded in the screen (on by default) and the overlay
(with ``?schedule=1``), one room with ``?room=``, served fresh by ``schedule/now.json``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from crowdwall.models import Wall
from crowdwall.schedule.importer import import_schedule
from tests.crowdwall.schedule.conftest import live_schedule


@pytest.fixture
def live(wall: Wall, django_capture_on_commit_callbacks: Any) -> Wall:
    with django_capture_on_commit_callbacks(execute=True):
        import_schedule(wall, live_schedule(timezone.now()))
    return wall


def _embedded(html: str) -> dict[str, Any] | None:
    if 'id="schedule-data"' not in html:
        return None
    text = html.split('id="schedule-data" type="application/json">', 1)[1].split("</script>")[0]
    return json.loads(text)


def test_the_screen_embeds_the_talks_not_yet_over(live: Wall) -> None:
    html = Client().get("/walls/djangocon/screen/").content.decode()
    data = _embedded(html)
    assert data is not None
    assert data["time_zone"] == "Europe/Berlin"
    assert [t["title"] for t in data["talks"]] == [
        "Talk running now",
        "The next talk",
        "Later in B",
    ]
    assert data["talks"][0]["speakers"] == ["Speaker of Talk running now"]
    assert "crowdwall/schedule.js" in html and "data-schedule-url" in html


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/walls/djangocon/screen/?schedule=0", False),
        ("/walls/djangocon/overlay/", False),
        ("/walls/djangocon/overlay/?schedule=1", True),
        ("/walls/djangocon/screen/?room=Room+B", True),
    ],
)
def test_schedule_query_options(live: Wall, path: str, shown: bool) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert (_embedded(response.content.decode()) is not None) is shown


def test_room_option_is_passed_on(live: Wall) -> None:
    html = Client().get("/walls/djangocon/overlay/?schedule=1&room=Room+B").content.decode()
    assert 'data-room="Room B"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [("schedule=yes", b"schedule: 1 or 0."), ("room=Kitchen", b"no room 'Kitchen'")],
)
def test_bad_options_are_400(live: Wall, query: str, message: bytes) -> None:
    response = Client().get(f"/walls/djangocon/screen/?{query}")
    assert response.status_code == 400
    assert message in response.content


def test_no_schedule_no_panel(wall: Wall) -> None:
    assert _embedded(Client().get("/walls/djangocon/screen/").content.decode()) is None
    body = Client().get("/walls/djangocon/schedule/now.json").json()
    assert body == {"time_zone": "", "talks": []}


def test_now_json(live: Wall) -> None:
    response = Client().get("/walls/djangocon/schedule/now.json")
    assert response.status_code == 200
    assert [t["room"] for t in response.json()["talks"]] == ["Main Hall", "Main Hall", "Room B"]
    assert Client().get("/walls/nope/schedule/now.json").status_code == 404
