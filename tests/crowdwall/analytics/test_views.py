"""The analytics page and its CSV export: staff only, ranges, figures, a clean CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client

from crowdwall.models import PostWall, Source, Wall
from crowdwall.moderation.actions import set_state
from crowdwall.remote import presence
from tests.crowdwall.conftest import T0, make_post

pytestmark = pytest.mark.django_db

URL = "/walls/djangocon/analytics/"
CSV_URL = "/walls/djangocon/analytics/export.csv"
AROUND_T0 = {"range": "custom", "start": "2025-05-14T09:00", "end": "2025-05-14T10:00"}


@pytest.fixture
def staff(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user("mo", is_staff=True))
    return client


@pytest.fixture
def four(store, wall: Wall) -> Wall:
    """Four posts in T0's first minutes by ann (3, one of them rejected) and bob (1)."""
    bob = {"id": "https://social.example/users/bob", "handle": "bob@social.example"}
    store(make_post(1), make_post(2), make_post(3, author=bob), make_post(4))
    set_state(PostWall.objects.filter(post__external_id="4"), "rejected")
    return wall


def test_screens_online_come_from_screen_presence(staff: Client, four: Wall, monkeypatch):
    report = {"screen": "abcdef0123456789", "layout": "columns", "theme": "dark", "width": 1920,
              "height": 1080, "last_id": 4, "lag_ms": 120, "reconnects": 0, "offline_posts": 0}  # fmt: skip
    assert presence.report(four.pk, presence.parse_report(report), transport="channels")
    assert 'data-figure="screens_online">1<' in staff.get(URL).content.decode()

    def unreadable(wall: object) -> int:
        raise ConnectionError("cache down")

    monkeypatch.setattr(presence, "screens_online", unreadable)
    assert 'data-figure="screens_online">unknown<' in staff.get(URL).content.decode()


def test_the_page_shows_the_figures_of_the_range(staff: Client, four: Wall):
    response = staff.get(URL, AROUND_T0)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]  # names moderators' work: never cached
    html = response.content.decode()
    assert 'data-figure="posts">4<' in html
    assert 'data-figure="approved">3<' in html
    assert 'data-figure="removals">1<' in html
    assert 'data-figure="unique_posters">2<' in html
    assert 'data-figure="approval_rate">75 %<' in html
    assert 'data-figure="screens_online">0<' in html
    assert "<svg" in html and "#djangocon" in html and "ann@social.example" in html
    # The last hour (now, not 2025) has none of them; the whole event has all four.
    assert 'data-figure="posts">0<' in staff.get(URL).content.decode()
    assert 'data-figure="posts">4<' in staff.get(URL, {"range": "event"}).content.decode()


def test_a_new_post_moves_the_figures_on_the_next_poll(staff: Client, four: Wall, store):
    partial = staff.get(URL, {**AROUND_T0, "partial": "1"})
    assert partial.status_code == 200
    assert b"<html" not in partial.content and b'data-figure="posts">4<' in partial.content
    store(make_post(5))
    assert b'data-figure="posts">5<' in staff.get(URL, {**AROUND_T0, "partial": "1"}).content


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"range": "week"}, "range must be one of"),
        ({"range": "custom"}, "needs start"),
        ({"range": "custom", "start": "2025-05-14", "end": "soon"}, "end is not an ISO 8601"),
        ({"range": "custom", "start": "2025-05-14", "end": "2025-05-13"}, "end must be after"),
        ({"range": "custom", "start": "2020-01-01", "end": "2025-01-01"}, "at most 366 days"),
        ({"range": "custom", "start": "9999-12-31T23:59", "end": "9999-12-31T23:59:59"}, "years"),
    ],
)
def test_a_bad_range_is_a_400_page_that_says_why(staff: Client, wall: Wall, query, message):
    response = staff.get(URL, query)
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
    assert message in response.content.decode()
    if query.get("start") == "2025-05-14":  # a date is shown as the field's date and time
        assert 'name="start" value="2025-05-14T00:00"' in response.content.decode()
    refused = staff.get(CSV_URL, query)
    assert refused.status_code == 400 and message in refused.content.decode()


def test_not_staff_is_refused_and_anonymous_is_sent_to_log_in(wall: Wall, django_user_model):
    anonymous = Client().get(URL)
    assert (
        anonymous.status_code == 302 and "next=/walls/djangocon/analytics/" in anonymous["Location"]
    )
    member = Client()
    member.force_login(django_user_model.objects.create_user("joe"))
    assert member.get(URL).status_code == 403
    assert member.get(CSV_URL).status_code == 403
    assert Client().get(CSV_URL, HTTP_ACCEPT="application/json").status_code == 403


def test_unknown_wall_is_404(staff: Client, db):
    assert staff.get("/walls/nope/analytics/").status_code == 404


def test_csv_export_has_a_row_per_minute_and_source(staff: Client, four: Wall, store):
    other = Source.objects.create(wall=four, name="=HYPERLINK()", kind="replay", config={})
    store(make_post(9, created_at=(T0 + timedelta(minutes=1)).isoformat()), src=other)
    response = staff.get(CSV_URL, AROUND_T0)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["minute"][11:16], r["source"], r["posts"], r["approved"]) for r in rows] == [
        ("09:01", "demo", "1", "1"),
        ("09:01", "'=HYPERLINK()", "1", "1"),  # a formula stays text in a spreadsheet
        ("09:02", "demo", "1", "1"),
        ("09:03", "demo", "1", "1"),
        ("09:04", "demo", "1", "0"),
    ]
    assert rows[-1]["rejected"] == "1" and rows[0]["network"] == "replay"
