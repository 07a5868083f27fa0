"""Per-talk rules in ingest matching: while a talk runs, its wall also takes the talk's hashtags
and keywords and applies its filters; before and after, it does not. The rules of the running
talks are looked up from a window cached in the process, not queried per chunk."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from crowdwall.ingest.write import ingest
from crowdwall.models import PostWall, Schedule, Source, Talk, Wall
from crowdwall.schedule.importer import import_schedule
from crowdwall.schedule.rules import active_talk_rules, forget_talk_rules
from tests.crowdwall.conftest import make_post
from tests.crowdwall.schedule.conftest import ELEVEN, sample

MINUTE = timedelta(minutes=1)


def _store(source: Source, post: dict[str, Any], now: datetime, capture: Any) -> bool:
    """Ingest ``post`` (written at ``now``) at ``now``; whether it is on the wall."""
    post = {**post, "created_at": now.isoformat()}
    with capture(execute=True):
        ingest(source, [post], now=now)
    return PostWall.objects.filter(wall=source.wall, post__external_id=post["id"]).exists()


@pytest.mark.parametrize(
    ("offset", "on_wall"),
    [(-10, False), (0, True), (44, True), (45, False), (60 * 24, False)],
    ids=["before", "at-start", "last-minute", "at-end", "next-day"],
)
def test_a_talks_hashtag_matches_only_while_it_runs(
    scheduled: Schedule,
    source: Source,
    django_capture_on_commit_callbacks: Any,
    offset: int,
    on_wall: bool,
) -> None:
    post = make_post(html="<p>Great examples! #AsyncDjango</p>")  # not the wall's #djangocon
    now = ELEVEN + offset * MINUTE
    assert _store(source, post, now, django_capture_on_commit_callbacks) is on_wall


def test_a_talks_keyword_matches_while_it_runs(
    scheduled: Schedule, source: Source, django_capture_on_commit_callbacks: Any
) -> None:
    post = make_post(html="<p>Never block the event loop.</p>")
    assert _store(source, post, ELEVEN + 5 * MINUTE, django_capture_on_commit_callbacks)
    later = make_post(html="<p>Never block the event loop.</p>")
    assert not _store(source, later, ELEVEN + 50 * MINUTE, django_capture_on_commit_callbacks)


def test_a_talks_filter_applies_while_it_runs(
    scheduled: Schedule, source: Source, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    assert not _store(source, make_post(reply=True), ELEVEN + 5 * MINUTE, capture)
    assert _store(source, make_post(reply=True), ELEVEN + 50 * MINUTE, capture)


def test_talk_rules_can_be_turned_off(
    scheduled: Schedule, source: Source, django_capture_on_commit_callbacks: Any
) -> None:
    Schedule.objects.filter(pk=scheduled.pk).update(talk_rules=False)
    post = make_post(html="<p>#AsyncDjango</p>")
    assert not _store(source, post, ELEVEN + 5 * MINUTE, django_capture_on_commit_callbacks)


def test_other_walls_are_untouched(scheduled: Schedule, wall: Wall) -> None:
    other = Wall.objects.create(name="Other", slug="other", hashtags=["other"])
    rules = active_talk_rules(ELEVEN + MINUTE)
    assert set(rules) == {wall.pk}
    assert other.pk not in rules
    # Two rooms at once: the rules of every running talk add up (Room B's has none).
    Talk.objects.filter(title="Accessible forms").update(hashtags=["a11y"])
    forget_talk_rules()
    assert active_talk_rules(ELEVEN + MINUTE)[wall.pk].hashtags == {"asyncdjango", "a11y"}


def test_running_talks_come_from_a_cached_window(
    scheduled: Schedule, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        assert active_talk_rules(ELEVEN - 30 * timedelta(seconds=1)) == {}
    # Within the loaded minute no query, and a talk starting inside it is already known.
    with django_assert_num_queries(0):
        assert active_talk_rules(ELEVEN + timedelta(seconds=10))
        assert active_talk_rules(ELEVEN - timedelta(seconds=1)) == {}
    with django_assert_num_queries(1):  # the window has passed: reloaded once
        assert active_talk_rules(ELEVEN + 2 * MINUTE)


def test_an_import_in_this_process_drops_the_window(
    wall: Wall, django_capture_on_commit_callbacks: Any
) -> None:
    assert active_talk_rules(ELEVEN) == {}  # loaded: no schedule yet
    with django_capture_on_commit_callbacks(execute=True):
        import_schedule(wall, sample("pretalx-schedule.json"))
    assert wall.pk in active_talk_rules(ELEVEN + timedelta(seconds=1))


def test_a_room_wall_without_rules_of_its_own_switches_with_its_talks(
    scheduled: Schedule, source: Source, django_capture_on_commit_callbacks: Any
) -> None:
    """A wall per room with no hashtags or keywords of its own follows only the talk running in
    it: #AsyncDjango during that talk, nothing before or after (and not its old #djangocon)."""
    wall = scheduled.wall
    wall.hashtags = []
    wall.full_clean()
    wall.save()
    capture = django_capture_on_commit_callbacks
    talk = make_post(html="<p>Great examples! #AsyncDjango</p>")
    assert _store(source, talk, ELEVEN + 5 * MINUTE, capture)
    assert not _store(source, make_post(html="<p>#AsyncDjango again</p>"), ELEVEN - MINUTE, capture)
    assert not _store(
        source, make_post(html="<p>Hello #djangocon</p>"), ELEVEN + 5 * MINUTE, capture
    )
    assert not _store(source, make_post(html="<p>#AsyncDjango</p>"), ELEVEN + 50 * MINUTE, capture)
