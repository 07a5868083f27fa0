"""Sources stay in their lane: a source confined to its own wall (scope "own": every webhook,
RSS and replay by default) never feeds another wall, through the in-process pipeline, the
prepare workers' verdicts, edits, or when its own wall is inactive; scope "any" (Mastodon and
Bluesky by default) feeds every wall whose rules match."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crowdwall.ingest.normalize import Limits
from crowdwall.ingest.prepare import prepare_batch
from crowdwall.ingest.walls import load_wall_rules
from crowdwall.ingest.write import ingest, store_batch
from crowdwall.models import PostWall, Source, Wall
from tests.crowdwall.conftest import make_post
from tests.crowdwall.sources.test_runner import run

CONFIGS = {
    "webhook": ({}, "s3cret"),
    "rss": ({"url": "https://feed.example/rss.xml"}, ""),
    "replay": ({"rate": 0}, ""),
    "mastodon": ({"instance": "https://social.example"}, ""),
    "bluesky": ({}, ""),
}
DEFAULTS = {"webhook": "own", "rss": "own", "replay": "own", "mastodon": "any", "bluesky": "any"}


@pytest.fixture
def home(db) -> Wall:
    """The source's own wall: everything waits for a moderator."""
    return Wall.objects.create(
        name="Home", slug="home", hashtags=["home"], moderation="pre_approve"
    )


@pytest.fixture
def other(db) -> Wall:
    """Another wall, open: what reaches it is approved at once."""
    return Wall.objects.create(name="Other", slug="other", hashtags=["other"])


def add(wall: Wall, kind: str, scope: str = "", **fields) -> Source:
    """A source added as the API, admin and command add one (validated by ``full_clean``)."""
    config, secret = CONFIGS[kind]
    source = Source(
        wall=wall, name=kind, kind=kind, config=dict(config), secret=secret, scope=scope, **fields
    )
    source.full_clean()
    source.save()
    return source


def placed(external_id: str = "1") -> dict[str, str]:
    return dict(
        PostWall.objects.filter(post__external_id=external_id).values_list("wall__slug", "state")
    )


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_each_kind_has_a_default_scope(home, kind):
    assert add(home, kind).scope == DEFAULTS[kind]


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_a_source_reaches_other_walls_only_with_scope_any(home, other, kind):
    source = add(home, kind)
    ingest(source, [make_post(1, html="<p>#home and #other</p>")])
    expected = {"home": "pending"}
    if DEFAULTS[kind] == "any":
        expected["other"] = "approved"
    assert placed() == expected


@pytest.mark.parametrize("kind", ["rss", "replay", "mastodon", "bluesky"])
@pytest.mark.parametrize("scope", ["own", "any"])
def test_an_explicit_scope_wins_over_the_default(home, other, kind, scope):
    source = add(home, kind, scope=scope)
    ingest(source, [make_post(1, html="<p>#other only</p>")])
    assert placed() == ({"other": "approved"} if scope == "any" else {})


def test_a_webhook_cannot_be_given_scope_any(home):
    with pytest.raises(ValidationError) as caught:
        add(home, "webhook", scope="any")
    assert "own wall only" in caught.value.message_dict["scope"][0]


def test_a_source_created_without_validation_gets_its_kinds_default(home):
    hook = Source.objects.create(wall=home, name="h", kind="webhook", secret="x")
    assert hook.scope == "own"
    assert Source.objects.create(wall=home, name="m", kind="mastodon").scope == "any"


def test_include_all_with_scope_own_keeps_every_post_home(home, other):
    source = add(home, "webhook", include_all=True)
    ingest(source, [make_post(1, html="<p>#other, nothing about home</p>")])
    assert placed() == {"home": "pending"}


def test_a_confined_source_of_an_inactive_wall_feeds_no_wall(home, other):
    source = add(home, "webhook")
    home.is_active = False
    home.save()
    result = ingest(source, [make_post(1, html="<p>#home #other</p>")])
    assert result.unmatched == 1 and placed() == {}


def test_an_edit_never_carries_a_confined_post_to_another_wall(home, other):
    source = add(home, "webhook")
    ingest(source, [make_post(1, html="<p>#home</p>")])
    edit = make_post(1, html="<p>#home, now #other</p>", edited_at=timezone.now().isoformat())
    assert ingest(source, [edit]).updated == 1
    assert placed() == {"home": "pending"}


def test_account_walls_are_closed_to_forged_authors_of_a_webhook(home, other):
    """A webhook names its authors: it must not pass for another wall's trusted account."""
    other.moderation, other.accounts, other.hashtags = "accounts_only", ["https://vip"], []
    other.save()
    source = add(home, "webhook")
    ingest(source, [make_post(1, html="<p>#home</p>", author={"id": "https://vip"})])
    assert placed() == {"home": "pending"}


def test_worker_verdicts_honour_the_lane(home, other):
    """A prepare worker matches with the rules it is given: they carry the lanes."""
    source = add(home, "replay")
    rules = load_wall_rules()
    now = timezone.now()
    items = [make_post(1, html="<p>#home #other</p>")]
    batch = prepare_batch(source.pk, items, now=now, limits=Limits.current(), rules=rules)
    assert [wall for wall, _, _ in batch.entries[0].verdicts] == [home.pk]
    store_batch(source.pk, batch, now=now, matched_with=rules)
    assert placed() == {"home": "pending"}


def test_a_scope_changed_after_a_worker_matched_is_applied_at_store_time(home, other):
    """Verdicts decided while the source could reach any wall are dropped once it cannot."""
    source = add(home, "replay", scope="any")
    rules = load_wall_rules()
    now = timezone.now()
    items = [make_post(1, html="<p>#home #other</p>")]
    batch = prepare_batch(source.pk, items, now=now, limits=Limits.current(), rules=rules)
    assert len(batch.entries[0].verdicts) == 2
    Source.objects.filter(pk=source.pk).update(scope="own")
    store_batch(source.pk, batch, now=now, matched_with=rules)
    assert placed() == {"home": "pending"}


def replay_file(path: Path, count: int) -> Path:
    posts = [make_post(i, html=f"<p>{i} #home #other</p>") for i in range(1, count + 1)]
    path.write_text("".join(json.dumps(p) + "\n" for p in posts))
    return path


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scope", ["own", "any"])
def test_the_runner_with_prepare_workers_honours_the_lane(tmp_path, settings, scope):
    settings.CROWDWALL = {
        "PREPARE_MIN_BATCH": 1,
        "PREPARE_PROCESSES": 1,
        "REPLAY_DIRS": [str(tmp_path)],
    }
    home = Wall.objects.create(name="Home", slug="home", hashtags=["home"])
    Wall.objects.create(name="Other", slug="other", hashtags=["other"])
    source = Source(
        wall=home,
        name="replay",
        kind="replay",
        scope=scope,
        config={"path": str(replay_file(tmp_path / "p.jsonl", 30)), "rate": 0, "batch_size": 10},
    )
    source.full_clean()
    source.save()
    runner = run([source])
    assert runner.pool.prepared > 0  # batches really went through a worker
    walls = set(PostWall.objects.values_list("wall__slug", flat=True))
    assert walls == ({"home"} if scope == "own" else {"home", "other"})
    assert PostWall.objects.filter(wall__slug="home").count() == 30


def test_a_webhook_written_as_any_around_validation_still_feeds_its_own_wall(home, other):
    source = add(home, "webhook")
    Source.objects.filter(pk=source.pk).update(scope="any")  # no clean() on this path
    ingest(source, [make_post(1, html="<p>#home #other</p>")])
    assert placed() == {"home": "pending"}
