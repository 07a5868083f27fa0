"""Write stamps (herdcache.stamps): tracking costs no cache round trip while a page renders, and
an entry is still outdated by every write its render did not see, across clocks that differ by
less than TRACK_CLOCK_SKEW."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.test import RequestFactory

import herdcache
from herdcache import stamps, tracking
from herdcache.checks import check_settings
from herdcache.drivers import refresher
from tests.herdcache.trackapp.models import Item

pytestmark = pytest.mark.django_db(transaction=True)
HERD = {"STATS_FLUSH_INTERVAL": 0, "XFETCH_BETA": 0, "TRACK_WRITES": True, "TRACK_PURGE": "hard"}


@pytest.fixture(autouse=True)
def _herd(settings, monkeypatch) -> Iterator[None]:
    settings.HERDCACHE = HERD
    monkeypatch.setattr(tracking, "declared", False)
    caches["default"].clear()
    yield
    refresher.wait()
    caches["default"].clear()


def stamp_at(seconds: float) -> int:
    return int(seconds * 1_000_000) * 1000


def test_a_tag_is_current_when_its_stamp_was_seen_or_is_older_than_the_render_minus_the_margin():
    since = 1_000.0
    older, newer = stamp_at(since - 1.5), stamp_at(since - 0.5)
    assert stamps.state({"t:a": (since, None, None)}, {"t:a": (older, 0)}, 1.0) == stamps.FRESH
    # Written 0.5 s before the render started: within the margin, so it may be a write the
    # render did not see on a clock 0.5 s behind.
    assert stamps.state({"t:a": (since, None, None)}, {"t:a": (newer, 0)}, 1.0) == stamps.STALE
    assert (
        stamps.state({"t:a": (since, None, None)}, {"t:a": (newer, newer)}, 1.0) == stamps.MISSING
    )
    # The stamps read before the render (a refresh) vouch for the tag whatever the clocks say.
    assert stamps.state({"t:a": (since, newer, 0)}, {"t:a": (newer, 0)}, 1.0) == stamps.FRESH
    later = stamp_at(since + 60)
    assert stamps.state({"t:a": (since, newer, 0)}, {"t:a": (later, 0)}, 1.0) == stamps.STALE
    # A lost key counts as written now, and as a hard purge.
    assert stamps.state({"t:a": (since, None, None)}, {"t:a": (None, 0)}, 1.0) == stamps.MISSING
    assert stamps.state({"t:a": (since, None, None)}, {}, 1.0) == stamps.MISSING
    # Merging keeps the stricter of two: the earlier start, a stamp only if both saw it.
    assert stamps.merge((5.0, 1, 2), (3.0, 1, 4)) == (3.0, 1, None)


class Spy:
    """Counts the cache operations made while ``active``."""

    def __init__(self) -> None:
        self.active = False
        self.calls: list[str] = []


def test_a_tracked_render_makes_no_cache_round_trip_until_it_is_stored(monkeypatch) -> None:
    first = Item.objects.create(name="one", price=1)
    second = Item.objects.create(name="two", price=2)
    spy = Spy()
    cache = caches["default"]
    for name in ("get", "get_many", "add", "set", "set_many", "incr"):
        original = getattr(cache, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            if spy.active:
                spy.calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(cache, name, counted)

    @herdcache.cached(300, track=True, background=False)
    def prices() -> int:
        spy.active = True
        try:
            return sum(Item.objects.get(pk=pk).price for pk in (first.pk, second.pk)) + sum(
                Item.objects.filter(name__startswith="t").values_list("price", flat=True)
            )
        finally:
            spy.active = False

    assert prices() == 5
    assert spy.calls == []  # the reads were noted by name only
    Item.objects.filter(pk=second.pk).update(price=20)
    assert prices() == 41  # and still purged by the write


def test_a_write_stamped_by_a_clock_behind_by_less_than_the_margin_still_purges(
    monkeypatch,
) -> None:
    item = Item.objects.create(name="one", price=1)
    renders: list[int] = []

    @herdcache.cached(300, track=True, background=False)
    def price() -> int:
        value = Item.objects.get(pk=item.pk).price
        renders.append(value)
        return value

    assert price() == 1
    real = stamps.new_stamp
    # The writer's clock is 0.8 s behind the renderer's (TRACK_CLOCK_SKEW defaults to 1 s).
    monkeypatch.setattr(stamps, "new_stamp", lambda: real() - 800_000_000)
    Item.objects.filter(pk=item.pk).update(price=2)
    assert price() == 2
    assert price() == 2
    assert renders == [1, 2]


def test_a_cold_render_right_after_a_write_is_rendered_once_more_then_trusted() -> None:
    item = Item.objects.create(name="one", price=1)
    renders: list[int] = []

    @herdcache.cached(300, track=True, background=False)
    def price() -> int:
        value = Item.objects.get(pk=item.pk).price
        renders.append(value)
        return value

    Item.objects.filter(pk=item.pk).update(price=2)  # stamped just now: within the margin
    assert price() == 2  # cold: nothing seen before the render, the write may not be in it
    assert price() == 2  # so rendered again, this time knowing the stamp...
    assert price() == price() == 2  # ...and trusted from then on
    assert renders == [2, 2]


def test_page_tags_survive_a_restart_of_the_cache_by_rendering_again() -> None:
    item = Item.objects.create(name="one", price=1)
    renders: list[int] = []

    @herdcache.cache_page(300, track=True)
    def view(request):
        renders.append(1)
        from django.http import HttpResponse

        return HttpResponse(str(Item.objects.get(pk=item.pk).price))

    def page() -> bytes:
        return view(RequestFactory().get("/p/")).content

    assert page() == page() == b"1"
    for key in stamps.keys_for([f"r:trackapp.Item:{item.pk}"]):
        caches["default"].delete(key)  # evicted: whatever purge it recorded is lost
    assert page() == b"1"
    assert len(renders) == 2  # rendered again rather than trusted


@pytest.mark.parametrize("value", [-1, "1", True, 7200])
def test_a_bad_clock_skew_is_reported(settings, value) -> None:
    settings.HERDCACHE = {"TRACK_CLOCK_SKEW": value}
    assert [message.id for message in check_settings()] == ["herdcache.E043"]
