"""Kill a job with SIGKILL in the middle, run it again: the result equals one clean run, the
second run skips exactly the chunks the first one logged, and nothing was applied twice.

Real processes against a SQLite file (``subprocess_settings``), one and two worker processes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
JOB_ARGS = ("--chunk-size", "4", "--no-progress")


class Manage:
    """``python -m django`` with the subprocess settings against one SQLite file."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.crowdwall.jobs.subprocess_settings",
            "CROWDWALL_TEST_DB": str(db),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
            "PYTHONUNBUFFERED": "1",
        }

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self, *args: str) -> subprocess.Popen[str]:
        """In a new session, so the whole process group (pool workers too) can be killed."""
        return subprocess.Popen(
            [sys.executable, "-m", "django", *args],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip

    def query(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql).fetchall()

    def execute(self, sql: str, *params: object) -> None:
        with sqlite3.connect(self.db) as conn:
            conn.execute(sql, params)


def snapshot(manage: Manage) -> dict[str, list[tuple]]:
    """Everything a job writes, without ids that depend on insertion order or clocks."""
    return {
        "posts": manage.query(
            "SELECT id, content_html, text, fingerprint FROM crowdwall_post ORDER BY id"
        ),
        "entries": manage.query(
            "SELECT post_id, wall_id, state, reason, pinned, moderated_at, author_id, created_at"
            " FROM crowdwall_postwall ORDER BY post_id, wall_id"
        ),
        "walls": manage.query(
            "SELECT wall_id, approved, pending, rejected, deleted, authors, last_post_at"
            " FROM crowdwall_wallaggregate ORDER BY wall_id"
        ),
        "authors": manage.query(
            "SELECT wall_id, author_id, approved, pending, rejected, deleted, last_post_at"
            " FROM crowdwall_authorwallcount ORDER BY wall_id, author_id"
        ),
    }


def logged(manage: Manage, job: str) -> tuple[int, int, Counter]:
    """(chunks planned, chunks logged done, summed chunk stats) of the job's run."""
    [(buckets,)] = manage.query(f"SELECT buckets FROM crowdwall_jobrun WHERE job = '{job}'")
    rows = manage.query(
        "SELECT c.start, c.stats FROM crowdwall_jobchunk c JOIN crowdwall_jobrun r"
        f" ON c.run_id = r.id WHERE r.job = '{job}'"
    )
    starts = [start for start, _ in rows]
    assert len(starts) == len(set(starts))  # one marker per chunk, ever
    stats: Counter = Counter()
    for _, blob in rows:
        stats.update(json.loads(blob))
    return len(json.loads(buckets)), len(rows), stats


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A populated database, then a rule change waiting for a reindex (built once)."""
    folder = tmp_path_factory.mktemp("jobs")
    feed = folder / "posts.jsonl"
    lines = []
    for i in range(240):
        tags = ["#djangocon #python", "#python", "#djangocon"][i % 3]
        word = " spam" if i % 5 == 0 else (" airdrop" if i % 11 == 0 else "")
        lines.append({
            "id": f"p{i}", "created_at": f"2025-05-14T10:{i // 60:02d}:{i % 60:02d}Z",
            "html": f"<p>Post <strong>{i}</strong>{word} {tags}</p>",
            "author": {"id": f"replay:a{i % 7}", "handle": f"a{i % 7}"},
        })  # fmt: skip
    feed.write_text("".join(json.dumps(line) + "\n" for line in lines))
    manage = Manage(folder / "template.sqlite3")
    manage.run("migrate", "--noinput", "-v", "0")
    manage.run("crowdwall", "add-wall", "conf", "--hashtag", "djangocon")
    manage.run("crowdwall", "add-wall", "py", "--hashtag", "python")
    manage.run(
        "crowdwall", "add-source", "conf", "replay", "--path", str(feed), "--rate", "0",
        "--scope", "any",
    )  # fmt: skip
    manage.run("crowdwall", "stream", "--wall", "conf", "--limit", "240")
    assert manage.query("SELECT COUNT(*) FROM crowdwall_post") == [(240,)]

    # Human decisions on the py wall, then the rule change.
    manage.execute(
        "UPDATE crowdwall_postwall SET moderated_at = '2025-05-15 10:00:00', state = 'rejected'"
        " WHERE wall_id = (SELECT id FROM crowdwall_wall WHERE slug = 'py') AND post_id % 10 = 1"
    )
    manage.execute(
        "UPDATE crowdwall_postwall SET pinned = 1"
        " WHERE wall_id = (SELECT id FROM crowdwall_wall WHERE slug = 'py') AND post_id % 10 = 2"
    )
    manage.execute(
        """UPDATE crowdwall_wall SET hashtags = '["djangocon", "python"]' WHERE slug = 'conf'"""
    )
    manage.execute("""UPDATE crowdwall_wall SET hashtags = '["pycon"]' WHERE slug = 'py'""")
    manage.execute(
        "INSERT INTO crowdwall_bannedword (wall_id, word, created_at)"
        " SELECT id, 'spam', '2025-05-15 10:00:00' FROM crowdwall_wall WHERE slug = 'conf'"
    )
    return manage.db


def copy(template: Path, path: Path) -> Manage:
    shutil.copyfile(template, path)
    return Manage(path)


def kill_after_chunks(manage: Manage, args: list[str], chunks: int) -> list[str]:
    """Start the job, wait until it has reported ``chunks`` chunks done, SIGKILL its process
    group (parent and pool workers at once, as a dying node), return what it printed."""
    proc = manage.start(*args)
    watchdog = threading.Timer(90, lambda: os.killpg(proc.pid, signal.SIGKILL))
    watchdog.start()
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if sum(line.startswith("done [") for line in lines) >= chunks:
                break
        else:
            pytest.fail("the job ended before reporting chunks:\n" + "".join(lines))
        os.killpg(proc.pid, signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return lines


@pytest.fixture(scope="module")
def clean(template, tmp_path_factory) -> tuple[dict[str, list[tuple]], int, Counter]:
    """One uninterrupted single-process run of both jobs: (snapshot, chunks planned, stats)."""
    manage = copy(template, tmp_path_factory.mktemp("clean") / "clean.sqlite3")
    manage.run("crowdwall", "reindex", *JOB_ARGS)
    manage.run("crowdwall", "rebuild-aggregates", *JOB_ARGS)
    planned, done, stats = logged(manage, "reindex")
    assert done == planned
    assert stats["added"] and stats["removed"] and stats["changed"] and stats["kept"]
    return snapshot(manage), planned, stats


@pytest.mark.slow
@pytest.mark.parametrize("processes", ["1", "2"])
def test_kill_and_resume_equals_a_clean_run(template, clean, tmp_path, processes):
    expected, planned, clean_stats = clean
    killed = copy(template, tmp_path / "killed.sqlite3")
    args = ["crowdwall", "reindex", *JOB_ARGS, "--processes", processes]
    kill_after_chunks(killed, [*args, "--sleep", "0.05", "-v", "2"], chunks=3)
    _, done_before, _ = logged(killed, "reindex")
    assert 3 <= done_before < planned  # killed in the middle, with chunks logged
    assert snapshot(killed)["entries"] != expected["entries"]

    output = killed.run(*args)
    assert f"{planned - done_before} chunk(s) done, {done_before} skipped (already done)" in output
    assert "finished" in output
    planned_again, done_after, stats = logged(killed, "reindex")
    assert (planned_again, done_after) == (planned, planned)
    assert stats == clean_stats  # every change made exactly once, as in the clean run

    # The aggregates, killed and resumed too.
    aggregate = ["crowdwall", "rebuild-aggregates", *JOB_ARGS, "--processes", processes]
    kill_after_chunks(killed, [*aggregate, "--chunk-size", "1", "--sleep", "0.2", "-v", "2"], 1)
    output = killed.run(*aggregate)
    assert "finished" in output and re.search(r"[1-9]\d* skipped \(already done\)", output)
    assert snapshot(killed) == expected


@pytest.mark.slow
def test_cluster_slices_with_process_pools_agree_with_one_process(template, clean, tmp_path):
    expected, _, clean_stats = clean
    sliced = copy(template, tmp_path / "sliced.sqlite3")
    first = sliced.run("crowdwall", "reindex", *JOB_ARGS, "--cluster", "1/2", "--processes", "2")
    assert "not finished" in first
    second = sliced.run("crowdwall", "reindex", *JOB_ARGS, "--cluster", "2/2", "--processes", "3")
    assert "finished: all" in second
    sliced.run("crowdwall", "rebuild-aggregates", *JOB_ARGS, "--processes", "2")
    assert snapshot(sliced) == expected
    assert logged(sliced, "reindex")[2] == clean_stats
