"""The completion log: re-runs skip finished chunks, cluster slices share one run, a failed chunk
leaves nothing behind, and a rule change or ``--restart`` starts a new run."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from crowdwall.jobs.log import fingerprint, open_run, totals
from crowdwall.jobs.reindex import ReindexJob
from crowdwall.models import BannedWord, JobChunk, JobRun, Post, PostWall
from tests.crowdwall.conftest import make_post


def reindex(*args: str) -> str:
    out = io.StringIO()
    call_command(
        "crowdwall", "reindex", "--chunk-size", "2", "--no-progress", *args,
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    return out.getvalue()


def counts(output: str) -> tuple[int, int]:
    """(chunks done, chunks skipped) from a run's summary line."""
    match = re.search(r"(\d+) chunk\(s\) done, (\d+) skipped", output)
    assert match, output
    return int(match.group(1)), int(match.group(2))


@pytest.fixture
def posts(wall, store):
    store(*[make_post(i) for i in range(1, 12)])  # 11 consecutive ids: 6 chunks of 2
    return Post.objects.order_by("pk")


@pytest.fixture
def work(monkeypatch) -> list[int]:
    """Start of every chunk whose work actually ran (committed or not)."""
    calls: list[int] = []
    original = ReindexJob.run_chunk

    def counting(self, chunk):
        calls.append(chunk.start)
        return original(self, chunk)

    monkeypatch.setattr(ReindexJob, "run_chunk", counting)
    return calls


def test_a_rerun_skips_every_finished_chunk(posts, work):
    first = reindex()
    planned = JobRun.objects.get().buckets
    assert len(planned) == len(work) == JobChunk.objects.count() == 6
    assert counts(first) == (6, 0)
    assert "finished: all 6 chunk(s) done" in first

    second = reindex()
    assert "already finished" in second and "nothing to do" in second
    assert len(work) == 6  # no chunk ran again


def test_cluster_slices_share_one_run_and_the_last_finishes_it(posts, work):
    first = reindex("--cluster", "1/3")
    assert counts(first) == (2, 0)
    assert "not finished: 4 chunk(s) left in other slices" in first
    reindex("--cluster", "2/3")
    third = reindex("--cluster", "3/3")
    assert "finished: all 6 chunk(s) done" in third
    assert sorted(work) == sorted(set(work)) and len(work) == 6  # disjoint, complete
    assert JobRun.objects.count() == 1


def test_a_failed_chunk_rolls_back_and_a_rerun_does_only_the_rest(wall, posts, work, monkeypatch):
    BannedWord.objects.create(wall=wall, word="post")  # every post of the wall: rejected
    original = ReindexJob.run_chunk

    def crash_on_fourth(self, chunk):
        stats = original(self, chunk)
        if len(work) == 4:
            raise KeyboardInterrupt  # after the work, before the done marker
        return stats

    monkeypatch.setattr(ReindexJob, "run_chunk", crash_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        reindex()
    assert JobChunk.objects.count() == 3
    end = max(JobChunk.objects.values_list("end", flat=True))  # the first three chunks
    states = dict(PostWall.objects.values_list("post_id", "state"))
    assert {state for pid, state in states.items() if pid < end} == {"rejected"}
    assert {state for pid, state in states.items() if pid >= end} == {"approved"}  # rolled back

    monkeypatch.setattr(ReindexJob, "run_chunk", original)  # the counting one, not crashing
    del work[:]
    output = reindex()
    assert counts(output) == (3, 3)
    assert sorted(work) == [end, end + 2, end + 4]
    assert set(PostWall.objects.values_list("state", flat=True)) == {"rejected"}
    assert totals(JobRun.objects.get())["changed"] == 11  # each post changed exactly once


def test_a_rule_change_makes_a_new_run_and_restart_forgets_the_old(wall, posts, work):
    reindex()
    BannedWord.objects.create(wall=wall, word="nothing matches this")
    assert counts(reindex()) == (6, 0)  # new rules: a new run over every chunk
    assert JobRun.objects.count() == 2
    assert counts(reindex("--restart")) == (6, 0)
    assert JobRun.objects.count() == 2 and len(work) == 18
    assert counts(reindex("--label", "again")) == (6, 0)  # a named separate run


def test_a_resumed_run_keeps_its_plan(wall, posts, work, store):
    reindex("--cluster", "1/2")
    store(*[make_post(i) for i in range(50, 60)])  # new posts after the plan was made
    output = reindex("--cluster", "2/2", "--chunk-size", "7")
    assert "resuming with the run's chunk size 2" in output
    assert "finished: all 6 chunk(s) done" in output


def test_open_run_joins_the_existing_run(posts):
    params = ReindexJob.describe()
    run, created = open_run(ReindexJob, params, chunk_size=4)
    again, created_again = open_run(ReindexJob, params, chunk_size=99)
    assert (created, created_again, again.pk, again.chunk_size) == (True, False, run.pk, 4)
    assert run.fingerprint == fingerprint("reindex", params)
    assert run.buckets == sorted({post.pk // 4 for post in posts})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cluster", "3/2"], "k/N"),
        (["--processes", "0"], "--processes must be >= 1"),
        (["--chunk-size", "0"], "--chunk-size must be >= 1"),
        (["--processes", "2"], "needs a database other processes can open"),
    ],
)
def test_bad_options(args, message):
    if "--processes" in args and args[1] == "2" and connection.vendor != "sqlite":
        pytest.skip("the test database is in memory only with SQLite")
    with pytest.raises(CommandError, match=message):
        reindex(*args)
