"""A wall's schedule through the API: public read, staff import (content or url) and per-talk
rules, errors in the API's error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crowdwall.models import ModerationLog, Talk
from tests.crowdwall.schedule.conftest import sample

URL = "/api/walls/djangocon/schedule/"


def put(client: Any, body: Any) -> Any:
    return client.put(URL, json.dumps(body), content_type="application/json")


def test_import_then_read(bearer: Any, anon: Any, wall: Any) -> None:
    assert anon.get(URL).status_code == 404
    response = put(bearer, {"content": sample("pretalx-schedule.json").decode()})
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 6, "updated": 0, "removed": 0, "unchanged": 0}
    again = put(bearer, {"content": sample("pretalx-schedule.json").decode(), "talk_rules": False})
    assert again.json()["unchanged"] == 6
    body = anon.get(URL).json()
    assert (body["title"], body["time_zone"], body["talk_rules"]) == (
        "PonyCon 2025",
        "Europe/Berlin",
        False,
    )
    first = body["talks"][0]
    assert (first["title"], first["room"], first["start"]) == (
        "Opening",
        "Main Hall",
        "2025-05-14T08:30:00Z",
    )
    assert ModerationLog.objects.filter(action="configure").count() == 2


def test_staff_only(anon: Any, wall: Any) -> None:
    assert put(anon, {"content": "x"}).status_code == 401
    assert not Talk.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"content": "BEGIN:VCALENDAR\r\nnope"}, "content", "Not a valid iCalendar file"),
        ({"content": "{}"}, "content", "Not a Pretalx schedule"),
        ({"url": "http://127.0.0.1:9/schedule.json"}, "url", "Cannot fetch"),
        ({}, None, "Give the schedule's content or its url"),
        ({"content": "{}", "url": "https://example.org/x.json"}, None, "one of the two"),
        ({"url": "ftp://example.org/x.ics"}, "url", ""),
    ],
)
def test_bad_imports_are_422(
    bearer: Any, wall: Any, body: dict[str, Any], field: str | None, message: str
) -> None:
    response = put(bearer, body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert message in error["message"] or any(message in m for m in error["fields"].get(field, []))
    if field:
        assert field in error["fields"]
    assert not Talk.objects.exists()


def test_a_talks_rules(bearer: Any, anon: Any, wall: Any) -> None:
    put(bearer, {"content": sample("schedule.ics").decode()})
    uid = "pretalx-ponycon-2025-FORM04@pretalx.example"
    path = f"{URL}talks/{uid}/"
    response = bearer.patch(
        path, json.dumps({"hashtags": ["#A11y"], "filters": ["bots"]}), "application/json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["hashtags"], response.json()["filters"]) == (["a11y"], ["bots"])
    assert Talk.objects.get(uid=uid).keywords == []  # left out: unchanged
    bad = bearer.patch(path, json.dumps({"filters": ["all"]}), "application/json")
    assert bad.status_code == 422 and "unknown filters" in bad.json()["error"]["message"]
    missing = bearer.patch(f"{URL}talks/nope/", json.dumps({}), "application/json")
    assert missing.status_code == 404
    assert anon.patch(path, json.dumps({}), "application/json").status_code == 401
