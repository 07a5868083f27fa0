"""A post that fails to store for a reason nobody foresaw costs itself only: the rest of its
chunk is stored, it is quarantined with its reason and payload, the cursor moves on; replayed
after the fix it is stored and leaves the quarantine."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.db import OperationalError

from crowdwall.ingest import quarantine
from crowdwall.ingest.normalize import IncomingAuthor, IncomingPost
from crowdwall.ingest.post_json import from_dict
from crowdwall.ingest.quarantine import payload, replay
from crowdwall.models import Post, PostWall, QuarantinedPost, Source
from tests.crowdwall.conftest import POISON, T0, drop_poison, make_post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("poisoned")]


def stored(source: Source) -> list[str]:
    return sorted(Post.objects.filter(source=source).values_list("external_id", flat=True))


def bad(number: int) -> dict:
    return make_post(number, id=f"{POISON}-{number}")


def test_the_failing_post_is_quarantined_and_the_rest_of_its_chunk_stored(store, source, published):
    result = store(make_post(1), bad(2), make_post(3), cursor="c3")
    assert (result.created, result.quarantined, result.rejected) == (2, 1, [])
    assert stored(source) == ["1", "3"]
    assert len(published.events) == 2  # the stored posts are announced, once
    row = QuarantinedPost.objects.get()
    assert (row.source_id, row.external_id, row.attempts) == (source.pk, "poison-2", 1)
    assert row.reason.split(":")[0] in ("IntegrityError", "ProgrammingError")
    assert "poisoned row" in row.reason
    assert from_dict(json.loads(row.payload)).external_id == "poison-2"
    source.refresh_from_db()
    assert source.cursor == "c3"  # the source moves on past it


def test_every_failing_post_of_every_chunk_is_isolated_and_the_cursor_saved(
    store, source, settings
):
    settings.CROWDWALL = {"BATCH_SIZE": 4}
    posts = [bad(n) if n in (2, 5, 9, 10) else make_post(n) for n in range(1, 11)]
    result = store(*posts, cursor="c10")  # the last chunk (9, 10) fails whole
    assert (result.created, result.quarantined) == (6, 4)
    assert stored(source) == sorted(str(n) for n in (1, 3, 4, 6, 7, 8))
    assert sorted(QuarantinedPost.objects.values_list("external_id", flat=True)) == [
        f"{POISON}-{n}" for n in (10, 2, 5, 9)
    ]
    assert Source.objects.get(pk=source.pk).cursor == "c10"


def test_a_clean_chunk_is_stored_in_one_go(store, source):
    with mock.patch.object(quarantine, "store_chunk", wraps=quarantine.store_chunk) as chunk:
        assert store(make_post(1), make_post(2)).created == 2
    assert chunk.call_count == 1  # no bisection, nothing quarantined
    assert not QuarantinedPost.objects.exists()


def test_a_replayed_post_stores_after_the_fix_and_leaves_the_quarantine(store, source, wall):
    store(make_post(1), bad(2))
    assert replay(QuarantinedPost.objects.all()) == (0, 1)  # not fixed yet: it stays
    row = QuarantinedPost.objects.get()
    assert row.attempts == 2 and "poisoned row" in row.reason
    drop_poison()
    assert replay(QuarantinedPost.objects.all()) == (1, 0)
    assert not QuarantinedPost.objects.exists()
    assert stored(source) == ["1", "poison-2"]
    assert PostWall.objects.filter(wall=wall, post__external_id="poison-2").exists()


def test_a_replayed_post_that_is_invalid_now_stays_with_the_reason(store, source):
    store(bad(2))
    QuarantinedPost.objects.update(payload=json.dumps({"id": "x"}))
    assert replay(QuarantinedPost.objects.all()) == (0, 1)
    assert QuarantinedPost.objects.get().reason.startswith("InvalidPost: missing field")


def test_a_database_outage_is_not_blamed_on_the_posts(store, source):
    with (
        mock.patch.object(quarantine, "store_chunk", side_effect=OperationalError("gone")),
        pytest.raises(OperationalError),
    ):
        store(make_post(1), bad(2), cursor="c2")
    assert not QuarantinedPost.objects.exists()
    assert Source.objects.get(pk=source.pk).cursor == ""  # retried from where it was


def test_an_unforeseen_error_inside_the_store_is_isolated_too(store, source):
    """Not only database errors: anything an item makes the store raise."""
    real = quarantine.store_chunk

    def explode_on_seven(source_id, chunk, **kwargs):
        if any(entry.external_id == "7" for entry in chunk):
            raise RuntimeError("item seven")
        return real(source_id, chunk, **kwargs)

    with mock.patch.object(quarantine, "store_chunk", explode_on_seven):
        result = store(*(make_post(n) for n in range(1, 9)), cursor="c8")
    assert (result.created, result.quarantined) == (7, 1)
    row = QuarantinedPost.objects.get()
    assert (row.external_id, row.reason) == ("7", "RuntimeError: item seven")
    assert Source.objects.get(pk=source.pk).cursor == "c8"


def test_the_payload_keeps_any_character_as_an_escape_and_reads_back():
    post = IncomingPost(
        "a\x00\ud800",
        author=IncomingAuthor("id\x00", "ann\x00"),
        html="<p>\x00\ud800x</p>",
        created_at=T0,
        hashtags=("t\x00",),
    )
    text = payload(post)
    assert text.isascii() and "\x00" not in text
    back = from_dict(json.loads(text))
    assert (back.external_id, back.html, back.hashtags) == (post.external_id, post.html, ("t\x00",))
    assert back.author == post.author and back.created_at == T0


def test_an_item_whose_id_and_error_hold_nul_is_still_quarantined(store, source):
    """What the database refuses in the item must not stop its quarantine either."""
    real = quarantine.store_chunk

    def refuse(source_id, chunk, **kwargs):
        if any("\x00" in entry.external_id for entry in chunk):
            raise ValueError("refused \x00 value")
        return real(source_id, chunk, **kwargs)

    entry = IncomingPost("n\x00ul", author=IncomingAuthor("a", "ann"), html="<p>x #djangocon</p>")
    entry.created_at = T0
    with (
        mock.patch.object(quarantine, "store_chunk", refuse),
        mock.patch("crowdwall.ingest.normalize.storable_post", lambda post: post),
    ):
        result = store(entry, make_post(1))
    assert (result.created, result.quarantined) == (1, 1)
    row = QuarantinedPost.objects.get()
    assert (row.external_id, row.reason) == ("nul", "ValueError: refused  value")
    assert from_dict(json.loads(row.payload)).external_id == "n\x00ul"
