"""The organiser's side with generated hostile values (issue 19): the console's wall and source
forms and "test this source", the screens' presence beacon (every field), screen commands over
HTTP, and schedule imports. Never a 5xx; a refusal is a 4xx (or the form again) saying what is
wrong; and nothing broken is stored — no NUL or lone surrogate in a row, the moderation log or
the screens' control state (PostgreSQL refuses both in text and jsonb). The socket side (presence
and forged commands over the WebSocket, ``?screen=``) is in ``test_sockets``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from crowdwall.console import sample
from crowdwall.models import ModerationLog, Source, Talk, Wall
from crowdwall.remote import control, presence
from crowdwall.remote import views as remote_views
from tests.crowdwall.schedule.conftest import pretalx
from tests.crowdwall.schedule.conftest import sample as schedule_sample
from tests.security.conftest import assert_answered, examples, tried
from tests.security.strategies import (
    KNOWN_TEXT,
    RAW_BODIES,
    deep_json,
    hostile_json,
    hostile_text,
    huge_int_json,
    json_body,
)

pytestmark = pytest.mark.slow

EXAMPLES = examples(12)
CONSOLE = "/walls/console/"

WALL_FORM = {
    "name": "Hostile", "slug": "hostile", "is_active": "on", "hashtags": "hostile",
    "keywords": "", "accounts": "", "languages": "", "moderation": "open",
    "screen_layout": "columns", "screen_theme": "dark", "slide_every": "0",
    "overlay_position": "bottom-left", "overlay_size": "m", "overlay_background": "transparent",
    "banned_words": "", "banned_authors": "", "trusted_accounts": "", "brand_color": "", "logo_url": "", "qr_url": "",
    "info_text": "", "custom_css": "",
    "slides-TOTAL_FORMS": "1", "slides-INITIAL_FORMS": "0", "slides-MIN_NUM_FORMS": "0",
    "slides-MAX_NUM_FORMS": "1000", "slides-0-title": "", "slides-0-text": "",
}  # fmt: skip
SOURCE_FORM = {
    "name": "hostile", "kind": "rss", "url": "https://feeds.example/x.xml", "hashtags": "",
    "keywords": "", "accounts": "", "config": "", "secret": "", "scope": "own", "enabled": "on",
}  # fmt: skip
PRESENCE = {
    "screen": "abcdef0123456789", "layout": "columns", "theme": "dark", "overlay": False,
    "width": 1920, "height": 1080, "last_id": 0, "lag_ms": 0, "reconnects": 0, "paused": False,
    "offline_posts": 0,
}  # fmt: skip
COMMAND_FIELDS = ["command", "screen", "text", "seconds", "value", "post"]
COMMANDS = [*control.COMMANDS, "explode", ""]


def _encoded(fields: dict[str, str] | list[tuple[str, str]]) -> str:
    pairs = fields.items() if isinstance(fields, dict) else fields
    return urlencode([(k, str(v).encode("utf-8", "surrogatepass")) for k, v in pairs])


def _post_form(client: Client, path: str, fields: Any, **extra: str) -> Any:
    return client.post(
        path, data=_encoded(fields), content_type="application/x-www-form-urlencoded", **extra
    )


def _clean(value: Any) -> bool:
    """No NUL and no lone surrogate anywhere in ``value`` (JSON-like)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return "\\u0000" not in text and "\x00" not in text and not _surrogate(text)


def _surrogate(text: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF for char in text)


def assert_nothing_broken_stored() -> None:
    for wall in Wall.objects.all():
        values = [getattr(wall, f.attname) for f in Wall._meta.concrete_fields]
        assert _clean(values), wall.slug
        assert _clean(list(wall.banned_words.values_list("word", flat=True)))
        assert _clean(list(wall.banned_authors.values_list("account", flat=True)))
        assert _clean(list(wall.trusted_accounts.values_list("account", "note")))
        assert _clean(control.state(wall.pk)), control.state(wall.pk)
    for source in Source.objects.all():
        assert _clean([source.name, source.config, source.secret]), source.pk
    assert _clean(list(ModerationLog.objects.values_list("detail", flat=True)))
    assert _clean(list(Talk.objects.values_list("title", "room", "speakers", "url", "hashtags")))


def assert_clear_json_refusal(response: Any) -> None:
    """A 4xx from the remote views: JSON whose ``error``/``errors`` says what is wrong."""
    assert response.status_code < 500, response.status_code
    if response.status_code >= 400:
        body = response.json()
        message = body.get("error") or body.get("errors")
        assert message, body


def test_hostile_console_wall_forms(staff_client: Client, site: dict[str, Any]) -> None:
    paths = [CONSOLE + "new/", CONSOLE + "walls/djangocon/"]

    @EXAMPLES
    @given(
        path=st.sampled_from(paths),
        fields=st.lists(
            st.tuples(st.sampled_from(list(WALL_FORM)), hostile_text(max_size=40)),
            min_size=1,
            max_size=4,
        ),
    )
    def check(path: str, fields: list[tuple[str, str]]) -> None:
        tried("form")
        assert_answered(_post_form(staff_client, path, [*WALL_FORM.items(), *fields]), api=False)

    check()
    for name in ("name", "hashtags", "banned_words", "banned_authors", "trusted_accounts",
                 "custom_css", "slide_every", "slides-TOTAL_FORMS", "slides-0-title"):  # fmt: skip
        for value in ("a\x00b", "\ud800", "x" * 100_000, "9" * 5_000):
            tried("form")
            response = _post_form(staff_client, paths[1], {**WALL_FORM, name: value})
            assert_answered(response, api=False)
    assert_nothing_broken_stored()


def test_hostile_console_source_forms_and_tests(
    staff_client: Client, site: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved or only tested ("test this source": nothing stored whatever it finds)."""
    monkeypatch.setattr(sample, "SAMPLE_TIMEOUT", 1.0)  # no hostile value waits on the network
    new = CONSOLE + "walls/djangocon/sources/new/"
    edit = CONSOLE + f"walls/djangocon/sources/{site['hook'].pk}/"
    kinds = st.sampled_from(["rss", "mastodon", "bluesky", "webhook", "replay", "nope"])
    testing = st.sampled_from([{}, {"test": "1"}])

    @EXAMPLES
    @given(
        path=st.sampled_from([new, edit]),
        kind=kinds,
        fields=st.lists(
            st.tuples(st.sampled_from(list(SOURCE_FORM)), hostile_text(max_size=40)), max_size=3
        ),
        test=testing,
    )
    def check(path: str, kind: str, fields: list[tuple[str, str]], test: dict[str, str]) -> None:
        tried("form")
        body = [*SOURCE_FORM.items(), ("kind", kind), *fields, *test.items()]
        assert_answered(_post_form(staff_client, path, body), api=False)

    check()
    sources = Source.objects.count()
    for name in ("url", "config", "accounts"):
        for value in ("a\x00b", "\ud800", "x" * 100_000, deep_json(50_000), huge_int_json(),
                      '{"poll_interval": 1e309}', "http://[::1", "https://\ud800.example/",
                      "http://169.254.169.254/latest/meta-data/"):  # fmt: skip
            tried("form")
            response = _post_form(staff_client, new, {**SOURCE_FORM, name: value, "test": "1"})
            assert_answered(response, api=False)
    assert Source.objects.count() == sources  # a test stores nothing
    assert_nothing_broken_stored()


def test_hostile_presence_beacons(
    anon: Client, site: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote_views, "BEACON_RATE", 10_000)
    path = "/walls/djangocon/screen/presence/"

    def send(body: bytes | str) -> Any:
        data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        return anon.post(path, data=data, content_type="application/json")

    for body in RAW_BODIES:
        tried("beacon")
        assert_clear_json_refusal(send(body))

    @EXAMPLES
    @given(body=json_body(PRESENCE))
    def check(body: bytes) -> None:
        tried("beacon")
        assert_clear_json_refusal(send(body))

    check()
    for name in [*PRESENCE, "unknown_field"]:  # every field: each troublemaker alone
        for value in [huge_int_json(), deep_json(50_000), '"\\u0000"', '"\\ud800"', "1e309",
                      "-1", "true", "null", '"x"', "[]", "{}", str(2**63)]:  # fmt: skip
            tried("beacon")
            fields = {**PRESENCE, "screen": "hostile-0123456789"}
            fields.pop(name, None)
            text = json.dumps(fields)[:-1] + f', "{name}": {value}' + "}"
            assert_clear_json_refusal(send(text))
    for screen in presence.screens(site["hook"].wall_id):  # only well-formed reports listed
        assert presence.SCREEN_ID.match(screen["screen"]) and _clean(screen)


def test_hostile_screen_commands(staff_client: Client, site: dict[str, Any]) -> None:
    path = "/walls/djangocon/moderate/screens/command/"
    posts = [str(n) for n in site["posts"]]
    value = st.one_of(hostile_text(), st.sampled_from([*posts, *COMMANDS, "abcdef0123456789"]))

    @EXAMPLES
    @given(
        command=st.sampled_from(COMMANDS),
        fields=st.lists(st.tuples(st.sampled_from(COMMAND_FIELDS), value), max_size=4),
        as_json=st.booleans(),
    )
    def check(command: str, fields: list[tuple[str, str]], as_json: bool) -> None:
        tried("command")
        extra = {"HTTP_ACCEPT": "application/json"} if as_json else {}
        response = _post_form(staff_client, path, [("command", command), *fields], **extra)
        if as_json:
            assert_clear_json_refusal(response)
        else:
            assert_answered(response, api=False)

    check()
    readers = [("text", "banner"), ("seconds", "banner"), ("seconds", "spotlight"),
               ("post", "spotlight"), ("value", "layout"), ("screen", "pause")]  # fmt: skip
    for name, command in readers:  # each field, by a command that reads it
        for bad in KNOWN_TEXT:
            tried("command")
            fields = {"command": command, "text": "Doors open", name: bad}
            response = _post_form(staff_client, path, fields, HTTP_ACCEPT="application/json")
            assert_clear_json_refusal(response)
    assert_nothing_broken_stored()


def hostile_talk() -> st.SearchStrategy[dict[str, Any]]:
    """A Pretalx talk's fields with hostile values (the rest of the file stays good)."""
    names = ["guid", "code", "id", "date", "start", "duration", "room", "title", "url",
             "persons", "slug"]  # fmt: skip
    return st.dictionaries(st.sampled_from(names), hostile_json(), min_size=1, max_size=3)


def test_hostile_schedule_imports(bearer: Client, site: dict[str, Any]) -> None:
    path = "/api/walls/djangocon/schedule/"

    def put(body: bytes | str) -> Any:
        data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        return bearer.put(path, data=data, content_type="application/json")

    for body in RAW_BODIES:
        tried("schedule")
        assert_answered(put(body), api=True)

    @EXAMPLES
    @given(body=json_body({"content": "x", "url": "https://pretalx.example/s.json",
                           "talk_rules": True}))  # fmt: skip
    def check_body(body: bytes) -> None:
        tried("schedule")
        assert_answered(put(body), api=True)

    @EXAMPLES
    @given(talk=hostile_talk())
    def check_talk(talk: dict[str, Any]) -> None:
        tried("schedule")

        def edit(document: dict[str, Any]) -> None:
            rooms = document["schedule"]["conference"]["days"][0]["rooms"]
            first = next(iter(rooms.values()))[0]
            first.update(talk)

        content = pretalx(edit).decode()
        assert_answered(put(json.dumps({"content": content})), api=True)

    check_body()
    check_talk()
    good_ics = schedule_sample("schedule.ics").decode()
    for content in [
        deep_json(50_000),
        deep_json(40_000, kind="object"),
        huge_int_json(),
        '{"schedule": {"conference": {"days": ' + huge_int_json() + "}}}",
        '{"schedule": {"conference": {"days": [{"rooms": {"A": [{"title": "\\u0000"}]}}]}}}',
        pretalx().decode().replace("Opening", "Open\\u0000ing"),
        pretalx().decode().replace("Opening", "Open\\ud800ing"),
        pretalx().decode().replace('"Main Hall"', '"' + "x" * 100_000 + '"'),
        good_ics.replace("SUMMARY:", "SUMMARY:\x00", 1),
        good_ics.replace("SUMMARY:", "SUMMARY:\ud800", 1),
        good_ics.replace("DTSTART", "DTSTART;TZID=" + "9" * 5_000, 1),
        "BEGIN:VCALENDAR\r\n" * 10_000,
        "\x00" * 100,
    ]:
        tried("schedule")
        assert_answered(put(json.dumps({"content": content})), api=True)
    for url in ["http://\x00/", "https://\ud800.example/", "http://[::1", "https://a..b/",
                "http://127.0.0.1:1/schedule.json"]:  # fmt: skip
        tried("schedule")
        assert_answered(put(json.dumps({"url": url})), api=True)
    assert_nothing_broken_stored()
