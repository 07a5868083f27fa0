"""The ingest pipeline: dedupe, edits, deletions, bans, moderation modes, publish-once, bad input."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from crowdwall.ingest.items import JSONText
from crowdwall.ingest.normalize import IncomingAuthor, IncomingPost
from crowdwall.ingest.write import ingest
from crowdwall.models import Author, BannedAuthor, BannedWord, Post, PostWall, Source, Wall
from tests.crowdwall.conftest import T0, make_post

pytestmark = pytest.mark.django_db


def states(wall: Wall) -> dict[str, str]:
    """external id -> state on ``wall``."""
    return dict(PostWall.objects.filter(wall=wall).values_list("post__external_id", "state"))


# Storing and deduplicating -------------------------------------------------------------------


def test_matching_posts_are_stored_approved_and_published_once(store, wall, published):
    result = store(make_post(1), make_post(2))
    assert (result.created, result.rejected) == (2, [])
    assert states(wall) == {"1": "approved", "2": "approved"}
    assert [e.kind for e in published.events] == ["post.new", "post.new"]
    event = published.events[0]
    assert event.walls == {"djangocon": "approved"}
    assert event.post["html"] == "<p>Post 1 about #DjangoCon</p>"
    assert event.post["author"]["handle"] == "ann@social.example"
    assert event.post_id == Post.objects.get(external_id="1").pk


def test_items_as_json_text_are_stored_exactly_like_the_dicts_they_encode(
    store, wall, source, published
):
    """``JSONText`` (an adapter leaving the parsing to the pipeline) is read like the dict;
    text that is not JSON, or JSON that is not an object, is rejected with where it came from."""
    dicts = [make_post(1, tags=["x"]), make_post(2, spoiler_text="cw")]
    other = Source.objects.create(wall=wall, name="text", kind="replay", config={})
    texts = [JSONText(json.dumps(post), f"f.jsonl line {n}") for n, post in enumerate(dicts, 1)]
    texts += [JSONText("{nope", "f.jsonl line 3"), JSONText("[1]", "f.jsonl line 4")]
    assert store(*dicts).created == 2
    result = store(*texts, src=other)
    assert result.created == 2
    assert [(r.reason, r.detail.split(":")[0]) for r in result.rejected] == [
        ("not JSON", "f.jsonl line 3"),
        ("not an object", "list"),
    ]
    fields = ["external_id", "content_html", "text", "spoiler_text", "hashtags", "created_at"]
    assert list(Post.objects.filter(source=source).order_by("id").values_list(*fields)) == list(
        Post.objects.filter(source=other).order_by("id").values_list(*fields)
    )


def test_posts_matching_no_wall_are_not_stored(store, published):
    result = store(make_post(1, html="<p>nothing relevant</p>"))
    assert (result.created, result.unmatched) == (0, 1)
    assert not Post.objects.exists()
    assert published.events == []


def test_duplicates_within_a_batch_store_the_last_version_once(store, published):
    first = make_post(1, html="<p>v1 #djangocon</p>")
    second = make_post(1, html="<p>v2 #djangocon</p>")
    result = store(first, second)
    assert (result.created, result.duplicates) == (1, 1)
    assert Post.objects.get().content_html == "<p>v2 #djangocon</p>"
    assert len(published.events) == 1


def test_within_a_batch_a_deletion_is_final_and_an_older_edit_loses(store):
    newer = make_post(1, html="<p>v2 #djangocon</p>", edited_at="2025-05-14T12:00:00Z")
    older = make_post(1, html="<p>v1 #djangocon</p>", edited_at="2025-05-14T11:00:00Z")
    store(newer, older, make_post(2), {"id": "2", "action": "delete"}, make_post(2))
    assert list(Post.objects.values_list("external_id", "text")) == [("1", "v2 #djangocon")]


def test_duplicates_across_batches_are_ignored_and_not_republished(store, published):
    store(make_post(1), make_post(2))
    result = store(make_post(2), make_post(3))
    assert (result.created, result.duplicates) == (1, 1)
    assert Post.objects.count() == 3
    assert [pid for _, pid in published.kinds()] == sorted(
        Post.objects.values_list("pk", flat=True)
    )


def test_same_external_id_from_two_sources_is_two_posts(store, wall, source):
    other = Source.objects.create(wall=wall, name="other", kind="replay")
    store(make_post(1))
    store(make_post(1), src=other)
    assert Post.objects.filter(external_id="1").count() == 2


def test_authors_are_upserted_not_duplicated(store):
    store(make_post(1), make_post(2, author={"display_name": "Ann B."}))
    store(make_post(3, author={"display_name": "Ann C."}))
    author = Author.objects.get()
    assert author.display_name == "Ann C."
    assert Post.objects.filter(author=author).count() == 3


def test_store_path_uses_a_fixed_number_of_queries(store, wall):
    def count(n: int, start: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            store(
                *(make_post(start + i, author={"id": f"a{i}", "handle": f"a{i}"}) for i in range(n))
            )
        return len(queries)

    small, big = count(5, 100), count(200, 1000)
    # 12 (walls, sources, and one for their bans, words, never-show and trusted accounts:
    # crowdwall.ingest.walls), the running talks (at most once a minute), one per purge for
    # herdcache asking whether it has edge copies (none), and herdcache's purge log: one INSERT
    # per purge (2)
    assert small <= 17, small
    # More rows only add the statements SQLite's 999-parameter limit splits bulk inserts into
    # (about 45 posts per INSERT): nothing per post.
    assert big - small <= 200 // 45 + 200 // 120 + 200 // 140 + 1


def test_post_matching_two_walls_is_one_post_with_two_entries(store, wall, published):
    python = Wall.objects.create(
        name="Python", slug="python", hashtags=["python"], moderation="pre_approve"
    )
    store(make_post(1, html="<p>#DjangoCon and #Python</p>"))
    assert Post.objects.count() == 1
    assert {e.wall.slug: e.state for e in PostWall.objects.select_related("wall")} == {
        "djangocon": "approved",
        "python": "pending",
    }
    assert len(published.events) == 1
    assert published.events[0].walls == {"djangocon": "approved", "python": "pending"}
    assert python.pk


def test_source_tags_match_even_when_the_text_has_none(store, wall):
    store(make_post(1, html="<p>no tag in the text</p>", tags=["DjangoCon"]))
    assert states(wall) == {"1": "approved"}


def test_include_all_source_takes_unmatched_posts(store, wall, source):
    Source.objects.filter(pk=source.pk).update(include_all=True)
    store(make_post(1, html="<p>our own feed, no tags</p>"))
    assert states(wall) == {"1": "approved"}


# Edits and deletions ---------------------------------------------------------------------------


def test_edit_updates_content_and_publishes_an_update(store, wall, published):
    store(make_post(1))
    edited = make_post(
        1,
        html="<p>Post 1 about #DjangoCon, edited</p>",
        edited_at=T0.isoformat().replace("09:00", "12:00"),
    )
    result = store(edited)
    assert result.updated == 1
    post = Post.objects.get()
    assert post.text == "Post 1 about #DjangoCon, edited"
    assert post.edited_at is not None
    assert [e.kind for e in published.events] == ["post.new", "post.update"]
    assert published.events[1].post["html"].endswith("edited</p>")


def test_an_older_version_never_overwrites_a_newer_edit(store):
    store(make_post(1, html="<p>v2 #djangocon</p>", edited_at="2025-05-14T12:00:00Z"))
    result = store(make_post(1, html="<p>v1 #djangocon</p>", edited_at="2025-05-14T11:00:00Z"))
    assert (result.updated, result.duplicates) == (0, 1)
    assert Post.objects.get().text == "v2 #djangocon"


def test_a_redelivered_original_never_reverts_a_stored_edit(store, published):
    original = make_post(1, html="<p>v1 #djangocon</p>")
    edited = make_post(1, html="<p>v2 #djangocon</p>", edited_at="2025-05-14T12:00:00Z")
    store(original)
    store(edited)
    replayed = [store(original), store(edited)]  # a stream read again from an older cursor
    assert [(r.updated, r.duplicates) for r in replayed] == [(0, 1), (0, 1)]
    assert Post.objects.get().text == "v2 #djangocon"
    assert [e.kind for e in published.events] == ["post.new", "post.update"]


def test_count_changes_update_quietly(store, published):
    store(make_post(1, counts={"boosts": 1}))
    result = store(make_post(1, counts={"boosts": 5}))
    assert result.updated == 1
    assert Post.objects.get().boosts_count == 5
    assert published.events[-1].kind == "post.update"


def test_edit_that_adds_a_hashtag_joins_another_wall(store, wall, published):
    Wall.objects.create(name="Python", slug="python", hashtags=["python"])
    store(make_post(1))
    store(make_post(1, html="<p>Post 1 about #DjangoCon and #python</p>"))
    assert PostWall.objects.filter(post__external_id="1").count() == 2
    assert published.events[-1].walls == {"djangocon": "approved", "python": "approved"}


def test_edit_adding_a_banned_word_rejects_the_post(store, wall):
    BannedWord.objects.create(wall=wall, word="spoilers")
    store(make_post(1))
    store(make_post(1, html="<p>#djangocon SPOILERS ahead</p>"))
    assert states(wall) == {"1": "rejected"}
    assert PostWall.objects.get().reason == "banned word: spoilers"


def test_deletion_erases_content_and_hides_the_post(store, wall, published):
    store(make_post(1), make_post(2))
    result = store({"id": "1", "action": "delete"})
    assert result.deleted == 1
    post = Post.objects.get(external_id="1")
    assert post.deleted_at is not None
    assert (post.content_html, post.text, post.media) == ("", "", [])
    assert states(wall) == {"1": "deleted", "2": "approved"}
    assert published.events[-1].kind == "post.delete"
    assert published.events[-1].walls == {"djangocon": "deleted"}


def test_deleted_posts_are_not_resurrected_by_a_late_redelivery(store, wall, published):
    store(make_post(1))
    store(IncomingPost.deletion("1"))
    result = store(make_post(1))
    assert (result.created, result.updated, result.duplicates) == (0, 0, 1)
    assert states(wall) == {"1": "deleted"}
    assert len(published.events) == 2


def test_create_then_delete_in_one_batch_stores_nothing(store, published):
    result = store(make_post(1), {"id": "1", "action": "delete"})
    assert result.stored == 0
    assert not Post.objects.exists()
    assert published.events == []


def test_deleting_an_unknown_post_is_a_no_op(store, published):
    result = store({"id": "404", "action": "delete"})
    assert (result.deleted, result.duplicates, result.rejected) == (0, 1, [])
    assert published.events == []


# Bans, filters, moderation modes -----------------------------------------------------------------


def test_banned_author_is_rejected_by_stable_id(store, wall):
    BannedAuthor.objects.create(wall=wall, account="https://social.example/users/ann")
    store(make_post(1), make_post(2, author={"id": "https://x.example/users/bob", "handle": "bob"}))
    assert states(wall) == {"1": "rejected", "2": "approved"}


def test_banned_author_by_handle_is_case_insensitive(store, wall):
    BannedAuthor.objects.create(wall=wall, account="@ANN@Social.Example")
    store(make_post(1))
    assert states(wall) == {"1": "rejected"}


def test_banned_words_reject_whole_words_only(store, wall):
    BannedWord.objects.create(wall=wall, word="scam")
    store(
        make_post(1, html="<p>#djangocon total SCAM</p>"),
        make_post(2, html="<p>#djangocon scampi lunch</p>"),
    )
    assert states(wall) == {"1": "rejected", "2": "approved"}


def test_default_blocklist_holds_for_review_and_can_be_switched_off(store, wall):
    store(make_post(1, html="<p>#djangocon free crypto for everyone</p>"))
    assert states(wall) == {"1": "pending"}
    assert PostWall.objects.get().reason == 'blocklist: "free crypto"'
    Wall.objects.filter(pk=wall.pk).update(use_default_blocklist=False)
    store(make_post(2, html="<p>#djangocon free crypto again</p>"))
    assert states(wall)["2"] == "approved"


@pytest.mark.parametrize(
    ("flag", "field", "value"),
    [
        ("hide_replies", "reply", True),
        ("hide_boosts", "boost", True),
        ("hide_sensitive", "sensitive", True),
        ("hide_bots", "author", {"bot": True}),
    ],
)
def test_filters_keep_posts_off_the_wall(store, wall, flag, field, value):
    Wall.objects.filter(pk=wall.pk).update(**{flag: True})
    result = store(make_post(1, **{field: value}), make_post(2))
    assert result.unmatched == 1
    assert states(wall) == {"2": "approved"}


def test_language_filter_accepts_unknown_languages(store, wall):
    Wall.objects.filter(pk=wall.pk).update(languages=["de"])
    store(make_post(1, language="de-AT"), make_post(2, language="fr"), make_post(3, language=""))
    assert set(states(wall)) == {"1", "3"}


def test_pre_approve_mode_holds_everything(store, wall):
    Wall.objects.filter(pk=wall.pk).update(moderation="pre_approve")
    store(make_post(1))
    assert states(wall) == {"1": "pending"}


def test_accounts_only_mode_approves_the_walls_accounts(store, wall):
    Wall.objects.filter(pk=wall.pk).update(
        moderation="accounts_only", accounts=["https://social.example/users/ann"]
    )
    store(make_post(1), make_post(2, author={"id": "https://x.example/users/bob", "handle": "bob"}))
    assert states(wall) == {"1": "approved", "2": "pending"}


def test_inactive_walls_match_nothing(store, wall):
    Wall.objects.filter(pk=wall.pk).update(is_active=False)
    assert store(make_post(1)).unmatched == 1


# Publishing --------------------------------------------------------------------------------------


def test_events_are_published_only_after_commit(
    source, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ingest(source, [make_post(1)])
        assert published.events == []  # stored, not yet committed: nothing announced
    assert len(callbacks) == 1
    callbacks[0]()
    assert [e.kind for e in published.events] == ["post.new"]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_batch_publishes_nothing(source, published):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        ingest(source, [make_post(1)])
        raise Boom
    assert not Post.objects.exists()
    assert published.events == []
    ingest(source, [make_post(1)])  # really committed this time
    assert [e.kind for e in published.events] == ["post.new"]


def test_a_failing_subscriber_does_not_break_ingest(store, published):
    def broken(event):
        raise RuntimeError("subscriber bug")

    published.subscribe(broken)
    result = store(make_post(1), make_post(2))
    assert result.created == 2
    assert len(published.events) == 2
    assert published.errors == 2


# Bad input --------------------------------------------------------------------------------------


BAD = [
    ("not an object", ["a", "list"]),
    ("missing field", {"html": "<p>no id</p>"}),
    ("missing field", make_post(900) | {"author": None}),
    ("missing field", {k: v for k, v in make_post(901).items() if k != "created_at"}),
    ("bad date", make_post(902, created_at="the day after tomorrow-ish")),
    ("bad date", make_post(903, created_at="2025-02-30T10:00:00Z")),
    ("bad date", make_post(904, created_at="1969-07-20T20:17:00Z")),
    ("wrong type", make_post(905, sensitive="yes")),
    ("wrong type", make_post(906, media="https://x.example/a.png")),
    ("too large", make_post(907, html="<p>" + "x" * 200_000 + "</p>")),
    ("empty", make_post(908, html="<script>only()</script>")),
]


@pytest.mark.parametrize(("reason", "item"), BAD, ids=[f"{r}-{i}" for i, (r, _) in enumerate(BAD)])
def test_bad_items_are_rejected_with_a_logged_reason_and_the_rest_is_stored(
    store, caplog, reason, item
):
    caplog.set_level(logging.WARNING, logger="crowdwall.ingest")
    result = store(make_post(1), item, make_post(2))
    assert [r.reason for r in result.rejected] == [reason]
    assert result.created == 2
    assert any(reason in message for message in caplog.messages)


def test_future_dates_are_clamped_to_ingest_time(store):
    store(make_post(1, created_at="2999-01-01T00:00:00Z"))
    post = Post.objects.get()
    assert post.created_at == post.ingested_at


def test_naive_and_rfc822_dates_are_stored_as_utc(store):
    store(
        make_post(1, created_at="2025-05-14T10:00:00"),
        make_post(2, created_at="Wed, 14 May 2025 12:00:00 +0200"),
    )
    times = dict(Post.objects.values_list("external_id", "created_at"))
    assert times["1"] == times["2"] == T0.replace(hour=10)


def test_huge_text_is_truncated(store, settings):
    settings.CROWDWALL = {"MAX_TEXT_LENGTH": 100}
    store(make_post(1, html="<p>#djangocon " + "word " * 500 + "</p>"))
    post = Post.objects.get()
    assert len(post.text) <= 100
    assert post.text.endswith("…")
    assert post.content_html.startswith("<p>#djangocon word")


def test_hostile_html_is_sanitized_before_storage(store):
    store(
        make_post(
            1,
            html='<p onclick="x()">#djangocon <a href="javascript:alert(1)">hi</a><script>alert(1)</script></p>',
        )
    )
    html = Post.objects.get().content_html
    assert "script" not in html and "onclick" not in html and "javascript" not in html


def test_unsafe_urls_on_authors_and_media_are_dropped(store):
    store(
        make_post(
            1,
            author={"avatar_url": "javascript:alert(1)", "profile_url": "data:text/html,x"},
            media=[
                {"url": "javascript:alert(1)", "alt": "bad"},
                {"url": "https://m.example/1.png", "type": "image", "alt": "good"},
                {"url": "https://m.example/2.bin", "type": "hologram"},
            ],
        )
    )
    post = Post.objects.select_related("author").get()
    assert (post.author.avatar_url, post.author.profile_url) == ("", "")
    assert post.media == [
        {"url": "https://m.example/1.png", "type": "image", "alt": "good"},
        {"url": "https://m.example/2.bin", "type": "unknown"},
    ]


def test_adapter_objects_are_accepted_directly(store, wall):
    post = IncomingPost(
        external_id="at://did:plc:abc/app.bsky.feed.post/1",
        author=IncomingAuthor(id="did:plc:abc", handle="ann.bsky.example"),
        text="Plain text from Bluesky about #DjangoCon https://djangocon.example/talks",
        created_at=T0,
    )
    store(post)
    stored = Post.objects.get()
    assert '<a href="https://djangocon.example/talks"' in stored.content_html
    assert states(wall) == {post.external_id: "approved"}


def test_unexpected_errors_cost_one_post(store, caplog, monkeypatch):
    from crowdwall.ingest import prepare as preparing

    real = preparing.prepare

    def flaky(post, source_id, limits=None):
        if post.external_id == "2":
            raise ZeroDivisionError("bug")
        return real(post, source_id, limits)

    monkeypatch.setattr(preparing, "prepare", flaky)
    result = store(make_post(1), make_post(2), make_post(3))
    assert result.created == 2
    assert [(r.external_id, r.reason) for r in result.rejected] == [("2", "error")]
    assert "unexpected error" in caplog.text


def test_cursor_is_saved_with_the_batch(store, source):
    store(make_post(1), cursor="17")
    source.refresh_from_db()
    assert source.cursor == "17"
    assert source.last_ingest_at is not None
    store(cursor="18")  # an empty batch still moves the cursor
    source.refresh_from_db()
    assert source.cursor == "18"


def test_batches_larger_than_batch_size_are_chunked(store, settings, published):
    settings.CROWDWALL = {"BATCH_SIZE": 3}
    result = store(*(make_post(i) for i in range(1, 11)), cursor="10")
    assert result.created == 10
    assert len(published.events) == 10
    assert Source.objects.get().cursor == "10"


def test_an_estimated_date_is_stored_and_published_with_its_flag(store, wall, published):
    store(make_post(1), make_post(2, date_estimated=True))
    flags = dict(Post.objects.values_list("external_id", "date_estimated"))
    assert flags == {"1": False, "2": True}
    assert [e.post["date_estimated"] for e in published.events] == [False, True]


def test_a_date_in_the_future_is_replaced_by_now_and_flagged(store, wall):
    store(make_post(1, created_at="2999-01-01T00:00:00Z"))
    post = Post.objects.get()
    assert post.date_estimated
    assert post.created_at == post.ingested_at


def test_block_markup_keeps_hashtags_apart_so_the_wall_matches(store, wall, published):
    html = "<div>Join us at #DjangoCon</div><div>Tomorrow</div>"
    assert store(make_post(1, html=html)).created == 1  # #djangocontomorrow would match nothing
    post = Post.objects.get()
    assert post.hashtags == ["djangocon"]
    assert post.text == "Join us at #DjangoCon\nTomorrow"
    assert post.content_html == "Join us at #DjangoCon<br>Tomorrow"
    assert published.events[0].post["text"] == post.text
