"""The wall pages: archive pagination by position, JavaScript-free HTML, caching and purging."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from crowdwall.models import Author, ModerationState, Post, PostWall, Wall
from crowdwall.moderation.actions import set_pinned, set_state
from tests.crowdwall.conftest import T0, make_post

pytestmark = pytest.mark.django_db

URL = "/walls/djangocon/archive/"


def get(path: str = URL, **params):
    response = Client().get(path, params)
    return response


def shown(response) -> list[str]:
    """External ids of the posts on a page, in order (``id="post-<pk>"``)."""
    pks = [int(pk) for pk in re.findall(r'id="post-(\d+)"', response.content.decode())]
    by_pk = dict(Post.objects.filter(pk__in=pks).values_list("pk", "external_id"))
    return [by_pk[pk] for pk in pks]


@pytest.fixture
def many(store, settings):
    """25 posts, minutes apart, three per page; 3 and 4 share a timestamp (ties by id)."""
    settings.CROWDWALL = {"ARCHIVE_PAGE_SIZE": 3}
    posts = [make_post(n) for n in range(1, 26)]
    posts[3]["created_at"] = posts[2]["created_at"]
    store(*posts)
    return posts


def test_wall_list_links_to_active_walls(wall):
    Wall.objects.create(name="Hidden", slug="hidden", is_active=False)
    page = get("/walls/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'href="/walls/djangocon/archive/"' in body
    assert "Hidden" not in body


def test_unknown_or_inactive_wall_is_404(wall):
    Wall.objects.filter(pk=wall.pk).update(is_active=False)
    assert get().status_code == 404
    assert get("/walls/nope/archive/").status_code == 404


def test_archive_pages_walk_back_by_position_without_gaps_or_repeats(many):
    seen, page = [], get()
    pages = 0
    while True:
        pages += 1
        seen += shown(page)
        older = re.search(r'href="([^"]+)" rel="next"', page.content.decode())
        if not older:
            break
        page = Client().get(older.group(1).replace("&amp;", "&"))
        assert page.status_code == 200
    assert pages == 9
    assert len(seen) == len(set(seen)) == 25
    assert seen[:4] == ["25", "24", "23", "22"]
    assert seen.index("4") < seen.index("3")  # same time: higher id first


def test_newer_link_walks_forward(many):
    middle = get(before=Post.objects.get(external_id="13").pk)
    assert shown(middle) == ["12", "11", "10"]
    newer = re.search(r'href="([^"]+)" rel="prev"', middle.content.decode()).group(1)
    assert shown(Client().get(newer.replace("&amp;", "&"))) == ["15", "14", "13"]


def test_before_accepts_an_iso_time(many):
    moment = (T0 + timedelta(minutes=10)).isoformat()
    assert shown(get(before=moment)) == ["9", "8", "7"]
    assert shown(get(before="2025-05-14T09:10:00Z")) == ["9", "8", "7"]


@pytest.mark.parametrize("bad", ["yesterday", "999999", "<script>"])
def test_bad_positions_are_400_without_echoing_the_input(many, bad):
    response = get(before=bad)
    assert response.status_code == 400
    assert bad not in response.content.decode()


def test_only_approved_posts_are_shown(store, wall):
    store(make_post(1), make_post(2), make_post(3))
    set_state(PostWall.objects.filter(post__external_id="2"), ModerationState.REJECTED)
    set_state(PostWall.objects.filter(post__external_id="3"), ModerationState.PENDING)
    assert shown(get()) == ["1"]


def test_page_works_without_javascript(store, wall):
    store(
        make_post(
            1,
            html='<p>Hello <a href="https://ok.example/">link</a> #djangocon</p>',
            spoiler_text="keynote spoilers",
            media=[{"url": "https://m.example/1.png", "type": "image", "alt": "A full room"}],
            counts={"boosts": 2, "favourites": 5, "replies": 1},
        ),
        make_post(2, sensitive=True, media=[{"url": "https://m.example/2.png", "alt": ""}]),
        make_post(3, boost=True, author={"bot": True}),
    )
    body = get().content.decode()
    # Only the image fallback's deferred script: a failed picture must not leave a broken icon.
    assert re.findall(r"<script[^>]*>", body) == [
        '<script src="crowdwall/fallback.js" defer>'  # the tests' STATIC_URL is ""
    ]
    assert re.search(
        r"<details class=\"cw\">\s*<summary>Content warning: keynote spoilers</summary>", body
    )
    assert '<img src="https://m.example/1.png" alt="A full room" loading="lazy">' in body
    assert 'alt="Image without a description"' in body
    assert '<details class="sensitive"><summary>Sensitive media</summary>' in body
    assert 'rel="nofollow noopener noreferrer">link</a>' in body
    assert "2 boosts" in body and "5 favourites" in body and "1 reply<" in body
    assert '<span class="badge">bot</span>' in body and '<span class="badge">boost</span>' in body
    assert 'href="crowdwall/crowdwall.css"' in body or "crowdwall/crowdwall.css" in body
    assert '<time datetime="2025-05-14T09:01:00+00:00">' in body


def test_pinned_posts_are_listed_first_on_the_first_page(store, wall):
    store(make_post(1), make_post(2))
    set_pinned(PostWall.objects.filter(post__external_id="1"), True)
    body = get().content.decode()
    pinned = body.index("Pinned")
    assert pinned < body.index('id="post-' + str(Post.objects.get(external_id="2").pk))


def test_archive_is_cached_until_ingest_purges_it(store, wall):
    store(make_post(1))
    assert shown(get()) == ["1"]
    # Written behind the pipeline's back: no purge, so the cached page is served.
    author = Author.objects.get()
    sneaky = Post.objects.create(
        source=wall.sources.get(), external_id="sneaky", author=author, content_html="<p>x</p>",
        text="x", fingerprint="x", created_at=timezone.now(), ingested_at=timezone.now(),
    )  # fmt: skip
    PostWall.objects.create(
        wall=wall, post=sneaky, author=author, created_at=sneaky.created_at, state="approved"
    )
    assert shown(get()) == ["1"]
    store(make_post(2))  # the pipeline soft-purges the wall's tag after commit
    assert shown(get()) == ["sneaky", "2", "1"]


def test_ingest_for_another_wall_does_not_purge_this_one(store, wall):
    Wall.objects.create(name="Rust", slug="rust", hashtags=["rust"])
    store(make_post(1))
    assert shown(get()) == ["1"]
    Post.objects.filter(external_id="1").update(content_html="<p>changed behind our back</p>")
    store(make_post(2, html="<p>#rust only</p>"))
    assert "changed behind our back" not in get().content.decode()


def test_moderation_purges_the_page(store, wall, django_capture_on_commit_callbacks):
    store(make_post(1), make_post(2))
    assert shown(get()) == ["2", "1"]
    with django_capture_on_commit_callbacks(execute=True):
        set_state(PostWall.objects.filter(post__external_id="2"), ModerationState.REJECTED)
    assert shown(get()) == ["1"]
    with django_capture_on_commit_callbacks(execute=True):
        set_state(PostWall.objects.filter(post__external_id="2"), ModerationState.APPROVED)
    assert shown(get()) == ["2", "1"]


def test_query_junk_shares_the_cached_page(store, wall):
    store(make_post(1))
    get(utm_source="x")
    Post.objects.filter(external_id="1").update(content_html="<p>changed behind our back</p>")
    assert "changed behind our back" not in get(utm_source="y").content.decode()


# The wall page: /walls/<slug>/


WALL = "/walls/djangocon/"


def test_wall_page_shows_latest_posts_and_figures_without_javascript(store, wall, settings):
    settings.CROWDWALL = {"ARCHIVE_PAGE_SIZE": 3}
    store(
        make_post(1, counts={"boosts": 3, "favourites": 1}),
        make_post(2, spoiler_text="keynote spoilers"),
        make_post(3, boost=True),
        make_post(4, author={"id": "bob", "handle": "bob@x.example", "display_name": "Bob"}),
    )
    page = get(WALL)
    assert page.status_code == 200
    body = page.content.decode()
    assert shown(page) == ["4", "3", "2"]  # the timeline (top posts use another id prefix)
    assert '<span class="post-count" data-post-count>4</span> <span data-post-noun>posts' in body
    assert re.search(r"<details class=\"cw\">\s*<summary>Content warning: keynote spoilers", body)
    assert 'data-boost="1"' in body
    assert 'id="top-post-' + str(Post.objects.get(external_id="1").pk) in body
    assert re.search(r'<ol class="top-authors">\s*<li>.*<strong>Ann</strong>', body)
    assert 'href="/walls/djangocon/archive/"' in body
    # JavaScript only enhances: deferred external scripts only (no inline code), and the
    # boost switch starts hidden.
    scripts = re.findall(r"<script[^>]*>", body)
    assert [re.search(r'crowdwall/([\w-]+\.js)" defer>$', s).group(1) for s in scripts] == [
        "fallback.js",
        "boost-switch.js",
        "figures.js",
        "live.js",
        "reltime.js",
        "wall.js",
    ]
    assert not re.search(r"<script[^>]*>[^<]", body)
    assert "data-boost-switch hidden" in body


def test_wall_page_marks_where_live_updates_attach(store, wall):
    store(make_post(1), make_post(2))
    newest = PostWall.objects.filter(wall=wall).order_by("-post_id")[0].post_id
    body = get(WALL).content.decode()
    root = re.search(r'<section [^>]*id="wall-posts"[^>]*>', body, re.S).group(0)
    assert "data-live-root" in root
    assert 'data-wall="djangocon"' in root
    assert f'data-last-id="{newest}"' in root


def test_wall_page_of_an_empty_wall(wall):
    body = get(WALL).content.decode()
    assert 'data-last-id="0"' in body and "No posts here yet." in body


def test_wall_page_unknown_or_inactive_is_404(wall):
    assert get("/walls/nope/").status_code == 404
    Wall.objects.filter(pk=wall.pk).update(is_active=False)
    assert get(WALL).status_code == 404


def test_wall_page_is_cached_until_ingest_purges_it(store, wall, django_assert_num_queries):
    store(make_post(1))
    assert shown(get(WALL)) == ["1"]
    with django_assert_num_queries(0):
        cached = get(WALL, utm_source="x")  # query junk shares the entry
    assert shown(cached) == ["1"]
    store(make_post(2))  # the pipeline soft-purges the wall's tag after commit
    assert shown(get(WALL)) == ["2", "1"]


def test_wall_page_is_purged_by_moderation(store, wall, django_capture_on_commit_callbacks):
    store(make_post(1), make_post(2))
    assert shown(get(WALL)) == ["2", "1"]
    with django_capture_on_commit_callbacks(execute=True):
        set_state(PostWall.objects.filter(post__external_id="2"), ModerationState.REJECTED)
    assert shown(get(WALL)) == ["1"]


# Hostile positions (issue 14): never a 500, and no oracle on the moderation queue.

EXTREMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.mark.parametrize("moment", EXTREMES)
@pytest.mark.parametrize("key", ["before", "after"])
def test_times_that_overflow_utc_are_400(many, key, moment):
    response = get(**{key: moment})
    assert response.status_code == 400
    assert "between the years 1 and 9999" in response.content.decode()


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"])
def test_times_at_the_ends_of_the_calendar_are_positions(many, moment):
    assert get(before=moment).status_code == 200
    assert get(after=moment).status_code == 200


@pytest.mark.parametrize("bad", ["9" * 30, "²", "1²", str(2**63)])
def test_numbers_that_are_no_post_id_are_400(many, bad):
    assert get(before=bad).status_code == 400
    assert get(after=bad).status_code == 400


@pytest.mark.parametrize("state", [ModerationState.PENDING, ModerationState.REJECTED])
def test_held_and_hidden_ids_answer_like_unknown_ones(store, wall, state):
    store(make_post(1), make_post(2))
    held = PostWall.objects.get(post__external_id="2")
    set_state(PostWall.objects.filter(pk=held.pk), state)
    unknown = get(before=str(held.post_id + 1000))
    probe = get(before=str(held.post_id))
    assert (probe.status_code, probe["Content-Type"], probe.content) == (
        unknown.status_code,
        unknown["Content-Type"],
        unknown.content,
    )
    assert probe.status_code == 400
    assert get(after=str(held.post_id)).content == get(after=str(held.post_id + 1000)).content


def test_repeated_positions_use_the_last_value_and_its_own_cache_entry(many):
    # Django's QueryDict.get takes the last value: the cache key must follow the same rule, or
    # the first request's page is served for a different effective query.
    nine, three = (
        str(PostWall.objects.get(post__external_id="9").post_id),
        str(PostWall.objects.get(post__external_id="3").post_id),
    )
    first = Client().get(f"{URL}?before={nine}&before={three}")
    second = Client().get(f"{URL}?before={three}&before={nine}")
    assert shown(first) == ["2", "1"]
    assert shown(second) == ["8", "7", "6"]
