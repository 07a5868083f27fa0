"""Screen presence in the cache: validated reports, throttled, bounded per wall, stale after
two missed heartbeats, forgotten when expired; ``screens_online`` for the analytics figure."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings

from crowdwall.remote import presence
from crowdwall.remote.presence import BadReport, TooManyScreens, parse_report

NOW = 1_800_000_000_000


def good(**fields: Any) -> dict[str, Any]:
    report = {
        "screen": "abcdef0123456789", "layout": "columns", "theme": "dark", "width": 1920,
        "height": 1080, "last_id": 42, "lag_ms": 120, "reconnects": 1, "offline_posts": 3,
    }  # fmt: skip
    return {**report, **fields}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    now = [NOW]
    monkeypatch.setattr(presence, "now_ms", lambda: now[0])
    return now


def test_a_report_is_read_with_its_bounds():
    found = parse_report(good(lag_ms=-50, paused=True, overlay="yes"))
    assert (found.screen, found.width, found.last_id, found.reconnects) == (
        "abcdef0123456789", 1920, 42, 1,
    )  # fmt: skip
    assert found.lag_ms == 0  # a screen clock behind ours
    assert found.paused is True and found.overlay is False  # only JSON true counts


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"screen": "short"}, "screen"),
        ({"screen": "x" * 41}, "screen"),
        ({"screen": "../../etc/passwd"}, "screen"),
        ({"layout": "carousel"}, "layout"),
        ({"theme": None}, "theme"),
        ({"width": -1}, "width"),
        ({"height": 10**9}, "height"),
        ({"last_id": 2**63}, "last_id"),
        ({"last_id": "42"}, "last_id"),
        ({"reconnects": True}, "reconnects"),
        ({"offline_posts": 1.5}, "offline_posts"),
        ({"lag_ms": "slow"}, "lag_ms"),
    ],
)
def test_a_bad_report_names_its_field(fields, named):
    with pytest.raises(BadReport, match=named):
        parse_report(good(**fields))


def test_not_an_object():
    with pytest.raises(BadReport):
        parse_report(["screen"])


def test_reports_are_listed_and_go_stale_after_two_missed_heartbeats(clock):
    assert presence.report(7, parse_report(good()), transport="channels")
    clock[0] += 1_000
    assert presence.report(7, parse_report(good(screen="second-screen-1")), transport="nchan")
    listed = presence.screens(7)
    assert [(s["screen"], s["transport"], s["stale"]) for s in listed] == [
        ("abcdef0123456789", "channels", False),
        ("second-screen-1", "nchan", False),
    ]
    assert presence.screens(8) == []  # per wall
    clock[0] += 25_000  # the first one missed two and a half reports of 10 s
    stale = {s["screen"]: s["stale"] for s in presence.screens(7)}
    assert stale == {"abcdef0123456789": True, "second-screen-1": False}
    assert presence.screens_online(7) == 1


def test_a_report_too_soon_after_the_last_is_ignored(clock):
    assert presence.report(7, parse_report(good(last_id=1)), transport="channels")
    clock[0] += 4_000  # less than half a heartbeat
    assert not presence.report(7, parse_report(good(last_id=2)), transport="channels")
    assert presence.screens(7)[0]["last_id"] == 1
    clock[0] += 2_000
    assert presence.report(7, parse_report(good(last_id=3)), transport="channels")
    assert presence.screens(7)[0]["last_id"] == 3


@override_settings(CROWDWALL={"SCREENS_PER_WALL": 2})
def test_a_wall_lists_a_bounded_number_of_screens(clock):
    for name in ("screen-one-1", "screen-two-2"):
        presence.report(7, parse_report(good(screen=name)), transport="nchan")
    with pytest.raises(TooManyScreens):
        presence.report(7, parse_report(good(screen="screen-three")), transport="nchan")
    cache.delete("crowdwall:screen:7:screen-one-1")  # expired: its place is free again
    assert presence.report(7, parse_report(good(screen="screen-three")), transport="nchan")
    assert {s["screen"] for s in presence.screens(7)} == {"screen-two-2", "screen-three"}
