"""Posts matched in a prepare worker: its verdicts are stored only while the walls are the ones
it matched with; a wall changed or removed meanwhile is matched again at store time."""

from __future__ import annotations

import pickle

import pytest
from django.utils import timezone

from crowdwall.ingest.normalize import Limits
from crowdwall.ingest.prepare import PreparedBatch, prepare_batch
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.ingest.write import store_batch
from crowdwall.models import BannedWord, PostWall, Wall
from tests.crowdwall.conftest import make_post

pytestmark = pytest.mark.django_db


def prepared(source, *items, rules) -> PreparedBatch:
    """A batch as a worker returns it (pickled there and back)."""
    batch = prepare_batch(
        source.pk, list(items), now=timezone.now(), limits=Limits.current(), rules=rules
    )
    return pickle.loads(pickle.dumps(batch))


def store(source, batch: PreparedBatch, rules, capture) -> None:
    with capture(execute=True):
        store_batch(source.pk, batch, now=timezone.now(), matched_with=rules)


def state(external_id: str) -> dict[str, str]:
    return dict(
        PostWall.objects.filter(post__external_id=external_id).values_list("wall__slug", "state")
    )


def test_a_workers_verdicts_are_stored_when_the_walls_are_unchanged(
    source, wall, django_capture_on_commit_callbacks
):
    rules = load_wall_rules()
    batch = prepared(source, make_post(1), make_post(2, html="<p>nothing to see</p>"), rules=rules)
    assert batch.entries[0].verdicts == ((wall.pk, "approved", ""),)
    assert batch.entries[1].verdicts == ()
    # What the worker decided is what is stored: here, a verdict the store would not reach.
    batch.entries[0].verdicts = ((wall.pk, "pending", "worker said so"),)
    store(source, batch, rules, django_capture_on_commit_callbacks)
    assert state("1") == {"djangocon": "pending"}
    assert state("2") == {}  # matched no wall: not stored


def test_a_wall_changed_since_the_worker_matched_is_matched_again(
    source, wall, django_capture_on_commit_callbacks
):
    rules = load_wall_rules()
    batch = prepared(source, make_post(1), rules=rules)
    Wall.objects.filter(pk=wall.pk).update(moderation="pre_approve")
    Wall.objects.create(name="Python", slug="python", hashtags=["djangocon"])
    store(source, batch, rules, django_capture_on_commit_callbacks)
    assert state("1") == {"djangocon": "pending", "python": "approved"}


def test_a_wall_removed_since_the_worker_matched_gets_nothing(
    source, wall, django_capture_on_commit_callbacks
):
    other = Wall.objects.create(name="Python", slug="python", hashtags=["djangocon"])
    rules = load_wall_rules()
    batch = prepared(source, make_post(1), rules=rules)
    assert {v[0] for v in batch.entries[0].verdicts} == {wall.pk, other.pk}
    other.delete()
    store(source, batch, rules, django_capture_on_commit_callbacks)
    assert state("1") == {"djangocon": "approved"}


def test_without_the_rules_it_matched_with_a_batch_is_matched_at_store_time(
    source, wall, django_capture_on_commit_callbacks
):
    batch = prepared(source, make_post(1), rules=load_wall_rules())
    batch.entries[0].verdicts = ((wall.pk, "pending", "stale"),)
    store(source, batch, None, django_capture_on_commit_callbacks)
    assert state("1") == {"djangocon": "approved"}


def test_matched_posts_cross_back_without_what_the_store_does_not_read(source, wall):
    item = make_post(1, html="<p>Post 1 about #DjangoCon</p><script>x()</script>")
    at_home = prepare_batch(source.pk, [item], now=timezone.now(), limits=Limits.current())
    batch = prepared(source, item, rules=load_wall_rules())
    entry, expected = batch.entries[0], at_home.entries[0]
    assert entry.match is None and entry.post.html == "" and entry.post.text == ""
    assert entry.html == expected.html and "<script>" not in entry.html
    rebuilt, original = entry.matching(), expected.matching()
    assert (rebuilt.source_id, rebuilt.body.text, rebuilt.hashtags, rebuilt.author_handle) == (
        original.source_id,
        original.body.text,
        original.hashtags,
        original.author_handle,
    )
    assert rebuilt.name.text == original.name.text == "Ann"


def test_an_edit_matched_in_a_worker_is_checked_against_the_bans_again(
    source, wall, django_capture_on_commit_callbacks
):
    rules = load_wall_rules()
    store(
        source,
        prepared(source, make_post(1), rules=rules),
        rules,
        django_capture_on_commit_callbacks,
    )
    BannedWord.objects.create(wall=wall, word="spam")
    rules = load_wall_rules()
    edit = make_post(
        1, html="<p>Post 1 about #DjangoCon, now with spam</p>", edited_at="2025-05-14T12:00:00Z"
    )
    store(source, prepared(source, edit, rules=rules), rules, django_capture_on_commit_callbacks)
    assert state("1") == {"djangocon": "rejected"}
