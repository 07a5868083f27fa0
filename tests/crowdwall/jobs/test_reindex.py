"""``manage.py crowdwall reindex``: stored posts follow a rule change; human decisions stay."""

from __future__ import annotations

import io
import json
import re

import nh3
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from crowdwall.ingest import prepare, sanitize
from crowdwall.ingest.match import Haystack, MatchInput
from crowdwall.ingest.match import WallRules as Rules
from crowdwall.jobs.reindex import reconcile
from crowdwall.models import BannedWord, ModerationState, Post, PostWall, Source, Wall
from crowdwall.sources.replay import DEFAULT_PATH
from tests.crowdwall.conftest import make_post

APPROVED, PENDING, REJECTED = (
    ModerationState.APPROVED,
    ModerationState.PENDING,
    ModerationState.REJECTED,
)


def crowdwall(*args: str) -> str:
    out = io.StringIO()
    call_command("crowdwall", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def reindex(*args: str) -> str:
    return crowdwall("reindex", "--chunk-size", "3", "--no-progress", *args)


def entries(wall: Wall) -> dict[str, tuple[str, str]]:
    """external id -> (state, reason) of the wall's entries."""
    return {
        e.post.external_id: (e.state, e.reason)
        for e in PostWall.objects.filter(wall=wall).select_related("post")
    }


@pytest.fixture
def python_wall(db) -> Wall:
    wall = Wall.objects.create(name="Python", slug="python", hashtags=["python"])
    Source.objects.create(wall=wall, name="py", kind="replay", config={"rate": 0})
    return wall


@pytest.fixture
def posts(wall, python_wall, store):
    """Posts 1-4 about #DjangoCon, 5-8 about #Python only (stored for the python wall)."""
    store(*[make_post(i) for i in range(1, 5)])
    store(*[make_post(i, html=f"<p>Post {i} on #Python</p>") for i in range(5, 9)])
    return Post.objects.order_by("pk")


def test_a_new_hashtag_brings_older_posts_onto_the_wall(wall, python_wall, posts):
    assert set(entries(wall)) == {"1", "2", "3", "4"}
    wall.hashtags = ["djangocon", "python"]
    wall.save()

    output = reindex()
    assert "added 4" in output and "removed 0" in output
    assert entries(wall) == {str(i): (APPROVED, "") for i in range(1, 9)}
    assert re.search(r"run #\d+ finished", output)
    # New entries carry the post's copies, as ingest writes them.
    entry = PostWall.objects.get(wall=wall, post__external_id="7")
    assert (entry.author_id, entry.created_at) == (entry.post.author_id, entry.post.created_at)


def test_a_banned_word_rejects_posts_and_lifting_it_restores_them(wall, posts):
    ban = BannedWord.objects.create(wall=wall, word="post 2")
    reindex()
    assert entries(wall)["2"] == (REJECTED, "banned word: post 2")
    assert {v for k, v in entries(wall).items() if k != "2"} == {(APPROVED, "")}

    ban.delete()  # a ban rejection is automatic: lifted with the ban
    output = reindex()
    assert "changed 1" in output
    assert entries(wall)["2"] == (APPROVED, "")


def test_posts_that_no_longer_match_leave_but_human_decisions_stay(wall, python_wall, posts):
    now = timezone.now()
    PostWall.objects.filter(wall=wall, post__external_id="1").update(moderated_at=now)  # approved
    PostWall.objects.filter(wall=wall, post__external_id="2").update(pinned=True)
    PostWall.objects.filter(wall=wall, post__external_id="3").update(
        state=REJECTED, moderated_at=now
    )
    wall.hashtags = ["elixirconf"]
    wall.save()

    output = reindex()
    assert entries(wall) == {"1": (APPROVED, ""), "2": (APPROVED, ""), "3": (REJECTED, "")}
    assert "removed 1" in output and "kept 3" in output
    assert Post.objects.count() == 8  # posts stay: the rules may widen again
    assert len(entries(python_wall)) == 4  # other walls untouched


def test_a_mode_change_applies_to_automatic_states_only(wall, posts):
    PostWall.objects.filter(wall=wall, post__external_id="1").update(moderated_at=timezone.now())
    wall.moderation = "pre_approve"
    wall.save()
    reindex()
    assert entries(wall) == {"1": (APPROVED, ""), "2": (PENDING, ""), "3": (PENDING, ""),
                             "4": (PENDING, "")}  # fmt: skip


def test_a_ban_still_rejects_a_human_approval(wall, posts):
    """As ``reapply_bans`` does: a ban is the later human decision (and it unpins)."""
    PostWall.objects.filter(wall=wall, post__external_id="1").update(
        moderated_at=timezone.now(), pinned=True
    )
    BannedWord.objects.create(wall=wall, word="post 1")
    assert "changed 1, kept 0" in reindex()
    entry = PostWall.objects.get(wall=wall, post__external_id="1")
    assert (entry.state, entry.reason, entry.pinned) == (REJECTED, "banned word: post 1", False)


def test_wall_option_limits_the_walls_rematched(wall, python_wall, posts):
    wall.hashtags = ["djangocon", "python"]
    wall.save()
    python_wall.hashtags = ["djangocon", "python"]
    python_wall.save()
    reindex("--wall", "python")
    assert set(entries(python_wall)) == {str(i) for i in range(1, 9)}
    assert set(entries(wall)) == {"1", "2", "3", "4"}
    with pytest.raises(CommandError, match="No wall with slug 'nope'"):
        reindex("--wall", "nope")


def test_deleted_posts_are_left_alone(wall, python_wall, posts, store):
    store({"id": "2", "action": "delete"})
    wall.hashtags = ["python"]
    wall.save()
    reindex()
    assert entries(wall)["2"] == (ModerationState.DELETED, "deleted at the source")


def test_a_narrower_sanitizer_rewrites_html_text_and_fingerprint(wall, store, monkeypatch):
    store(
        make_post(
            1, html="<p>Keep <strong>bold</strong> #DjangoCon</p><blockquote>quoted</blockquote>"
        )
    )
    stricter = nh3.Cleaner(
        tags={"p", "br", "a"}, attributes={"a": {"href"}}, clean_content_tags={"blockquote"}
    )

    def sanitize_html(html: str) -> str:  # the allow-list without strong and blockquote
        return stricter.clean(html).strip()

    monkeypatch.setattr(sanitize, "sanitize_html", sanitize_html)
    monkeypatch.setattr(prepare, "sanitize_html", sanitize_html)  # ingest's own reference

    output = reindex()
    assert "sanitized 1" in output
    post = Post.objects.get()
    assert post.content_html == "<p>Keep bold #DjangoCon</p>"
    assert post.text == "Keep bold #DjangoCon"
    # The fingerprint is what ingest now computes: a re-delivery is a duplicate, not an edit.
    result = store(
        make_post(
            1, html="<p>Keep <strong>bold</strong> #DjangoCon</p><blockquote>quoted</blockquote>"
        )
    )
    assert (result.duplicates, result.updated) == (1, 0)


def test_reindex_without_a_rule_change_changes_nothing(wall, store):
    """Sanitizing is idempotent and matching deterministic, over the whole demo corpus (HTML
    and plain-text posts, edits, deletions, blocklisted words, several modes)."""
    wall.hashtags, wall.keywords, wall.moderation = (
        ["djangocon", "python"],
        ["django"],
        "accounts_only",
    )
    wall.accounts = ["https://social.example/users/tomasz"]
    wall.save()
    BannedWord.objects.create(wall=wall, word="jobs")
    lines = [json.loads(line) for line in DEFAULT_PATH.read_text().splitlines() if line.strip()]
    for start in range(0, len(lines), 10):  # in batches, so later deletions find their post
        store(*lines[start : start + 10])
    before = list(Post.objects.order_by("pk").values())
    before_entries = list(PostWall.objects.order_by("pk").values())
    assert len(before) > 100
    states = set(PostWall.objects.values_list("state", flat=True))
    assert states == {APPROVED, PENDING, REJECTED, ModerationState.DELETED}

    output = reindex("--chunk-size", "50")
    assert "sanitized 0, added 0, removed 0, changed 0" in output
    assert list(Post.objects.order_by("pk").values()) == before
    assert list(PostWall.objects.order_by("pk").values()) == before_entries


def test_changes_are_announced_after_commit(wall, python_wall, posts, published,
                                            django_capture_on_commit_callbacks):  # fmt: skip
    wall.hashtags = ["python"]
    wall.save()
    published.events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reindex()
    walls = {e.post_id: dict(e.walls) for e in published.events}
    ids = dict(Post.objects.values_list("external_id", "pk"))
    assert walls[ids["1"]] == {"djangocon": REJECTED}  # removed: no longer shown
    assert walls[ids["5"]] == {"djangocon": APPROVED}  # added
    assert {str(e.kind) for e in published.events} == {"post.moderation"}


def test_rules_changed_during_a_run_stop_it(wall, posts, monkeypatch):
    from crowdwall.jobs.reindex import ReindexJob

    original = ReindexJob.run_chunk
    calls = []

    def change_rules_after_first(self, chunk):
        calls.append(chunk)
        if len(calls) == 2:
            Wall.objects.filter(pk=wall.pk).update(hashtags=["other"])
        return original(self, chunk)

    monkeypatch.setattr(ReindexJob, "run_chunk", change_rules_after_first)
    with pytest.raises(CommandError, match="rules changed since this reindex started"):
        reindex("--chunk-size", "1")
    assert entries(wall)  # the first chunk stays done under the old rules; nothing mixed


def test_reconcile_table():
    wall = Rules(id=1, slug="w", moderation="open")
    post = MatchInput(source_id=1, body=Haystack("hi"), hashtags=frozenset(), author_id="a",
                      author_handle="a")  # fmt: skip
    auto = {"state": APPROVED, "reason": "", "pinned": False, "moderated_at": None}
    human = {**auto, "moderated_at": timezone.now()}
    assert reconcile(None, wall, post, matched=True) == ("add", APPROVED, "")
    assert reconcile(None, wall, post, matched=False) is None
    assert reconcile(auto, wall, post, matched=True) is None
    assert reconcile(auto, wall, post, matched=False) == ("remove", "", "")
    assert reconcile(human, wall, post, matched=False) is None
    assert reconcile({**auto, "pinned": True}, wall, post, matched=False) is None
    assert reconcile({**auto, "state": "deleted"}, wall, post, matched=False) is None
    pending = {**auto, "state": PENDING, "reason": "blocklist: x"}
    assert reconcile(pending, wall, post, matched=True) == ("set", APPROVED, "")


def test_a_source_narrowed_to_its_own_wall_leaves_the_other_walls(wall, python_wall, posts, source):
    assert set(entries(python_wall)) == {"5", "6", "7", "8"}
    source.scope = "own"  # its own wall is djangocon
    source.save()
    reindex()
    assert entries(python_wall) == {}
    assert set(entries(wall)) == {"1", "2", "3", "4"}
