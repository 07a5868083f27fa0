"""The archive by talk: one day's talks with their posts, one talk's posts page by page, bad
talk ids answered 400, and the cached pages purged when the schedule is imported again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from crowdwall.models import Schedule, Talk
from crowdwall.schedule.importer import import_schedule
from tests.crowdwall.conftest import make_post
from tests.crowdwall.schedule.conftest import ELEVEN, pretalx, talks_of

MINUTE = timedelta(minutes=1)


@pytest.fixture
def posts(scheduled: Schedule, store: Any) -> None:
    """Posts on the wall: during the opening, at 11:05 (two rooms), at 11:40 and next day."""
    moments = {
        "opening": ELEVEN - 20 * MINUTE,
        "both-rooms": ELEVEN + 5 * MINUTE,
        "async-only": ELEVEN + 40 * MINUTE,
        "day-two": ELEVEN + timedelta(days=1, minutes=-50),  # 10:10 in Berlin
    }
    store(
        *[
            make_post(n, created_at=moment.isoformat(), html=f"<p>{name} #DjangoCon</p>")
            for n, (name, moment) in enumerate(moments.items(), start=1)
        ]
    )


def _get(path: str, **query: str) -> Any:
    return Client().get(path, query)


def test_by_talk_groups_a_days_posts_under_each_talk(posts: None) -> None:
    response = _get("/walls/djangocon/archive/talks/", day="2025-05-14")
    assert response.status_code == 200
    html = response.content.decode()
    sections = {
        talk.title: html.split(f'id="talk-{talk.pk}"')[1].split("</section>")[0]
        for talk in Talk.objects.filter(start__date="2025-05-14")
    }
    assert "opening #DjangoCon" in sections["Opening"]
    assert "both-rooms" in sections["Async views in practice"]
    assert "async-only" in sections["Async views in practice"]
    assert "both-rooms" in sections["Accessible forms"]
    assert "async-only" not in sections["Accessible forms"]
    assert "No posts during this talk." in sections["Caching for a crowd"]
    # Times in the event's zone (Berlin), with room and speakers.
    assert "Main Hall" in sections["Async views in practice"]
    assert "11:00</time>–<time" in sections["Async views in practice"]
    assert "11:45 CEST" in sections["Async views in practice"]
    assert "Bo Speaker, Chidi Cospeaker" in sections["Async views in practice"]
    assert "day-two" not in html


def test_by_talk_defaults_to_the_latest_day(posts: None) -> None:
    html = _get("/walls/djangocon/archive/talks/").content.decode()
    assert "Keynote: ten years of ponies" in html and "day-two" in html
    assert "?day=2025-05-14" in html  # the other day is a link


def test_one_talks_posts_on_the_archive_page(posts: None) -> None:
    talk = Talk.objects.get(title="Async views in practice")
    response = _get("/walls/djangocon/archive/", talk=str(talk.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Async views in practice" in html
    assert "both-rooms" in html and "async-only" in html
    assert "opening #DjangoCon" not in html and "day-two" not in html


def test_one_talks_pages_keep_to_the_talk(posts: None, settings: Any) -> None:
    settings.CROWDWALL = {"ARCHIVE_PAGE_SIZE": 1}
    talk = Talk.objects.get(title="Async views in practice")
    first = _get("/walls/djangocon/archive/", talk=str(talk.pk)).content.decode()
    assert "async-only" in first and "both-rooms" not in first
    older = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert older.startswith(f"/walls/djangocon/archive/?talk={talk.pk}&amp;before=")
    second = Client().get(older.replace("&amp;", "&")).content.decode()
    assert "both-rooms" in second and "opening #DjangoCon" not in second


@pytest.mark.parametrize("value", ["abc", "0", "999999", "-1"])
def test_unknown_talks_are_400(scheduled: Schedule, value: str) -> None:
    response = _get("/walls/djangocon/archive/", talk=value)
    assert response.status_code == 400
    assert b"no such talk" in response.content


def test_bad_day_is_400_and_no_schedule_is_404(wall: Any, scheduled: Schedule) -> None:
    assert _get("/walls/djangocon/archive/talks/", day="yesterday").status_code == 400
    Schedule.objects.all().delete()
    assert _get("/walls/djangocon/archive/talks/").status_code == 404


def test_reimport_purges_the_cached_pages(
    posts: None, wall: Any, django_capture_on_commit_callbacks: Any
) -> None:
    path = "/walls/djangocon/archive/talks/"
    assert "Accessible forms" in _get(path, day="2025-05-14").content.decode()
    Talk.objects.filter(title="Accessible forms").update(title="Renamed behind the cache")
    assert "Accessible forms" in _get(path, day="2025-05-14").content.decode()  # cached

    def rename(document: dict[str, Any]) -> None:
        talks_of(document, 0, "Room B")[0]["title"] = "Accessible forms, revised"

    with django_capture_on_commit_callbacks(execute=True):
        import_schedule(wall, pretalx(rename))
    html = _get(path, day="2025-05-14").content.decode()
    assert "Accessible forms, revised" in html
