"""``manage.py crowdwall``: configuring walls and sources, and ``stream`` shutting down cleanly."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crowdwall.models import Post, Source, Wall
from tests.crowdwall.test_rule_limits import TOO_LONG, TOO_MANY

ROOT = Path(__file__).resolve().parents[3]


def crowdwall(*args: str) -> str:
    out = io.StringIO()
    call_command("crowdwall", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# Configuration ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_wall_validates_and_normalises():
    crowdwall(
        "add-wall", "djangocon", "--name", "DjangoCon", "--hashtag", "#DjangoCon", "--hashtag", "Python",
        "--keyword", '"django girls"', "--language", "EN-gb", "--moderation", "pre-approve",
        "--hide-bots", "--no-default-blocklist",
    )  # fmt: skip
    wall = Wall.objects.get()
    assert (wall.hashtags, wall.keywords, wall.languages) == (
        ["djangocon", "python"],
        ['"django girls"'],
        ["en"],
    )
    assert (wall.moderation, wall.hide_bots, wall.use_default_blocklist) == (
        "pre_approve",
        True,
        False,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Not A Slug"], "slug"),
        (["ok", "--keyword", '"unbalanced'], "keywords"),
        (["ok", "--language", "english"], "languages"),
    ],
)
def test_add_wall_reports_validation_errors(args, message):
    with pytest.raises(CommandError, match=message):
        crowdwall("add-wall", *args)
    assert not Wall.objects.exists()


@pytest.mark.django_db
def test_add_source_builds_the_config_per_kind():
    crowdwall("add-wall", "w")
    crowdwall("add-source", "w", "replay", "--name", "demo", "--rate", "5", "--loop")
    crowdwall("add-source", "w", "mastodon", "--url", "https://social.example/", "--secret", "tok")
    crowdwall("add-source", "w", "webhook", "--secret", "s3cret", "--include-all")
    sources = {s.name: s for s in Source.objects.all()}
    assert sources["demo"].config == {"rate": 5.0, "loop": True, "retime": True, "batch_size": 100}
    assert sources["mastodon"].config["instance"] == "https://social.example"
    assert sources["mastodon"].secret == "tok"
    assert sources["webhook"].include_all


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "replay"], "No wall with slug 'nope'"),
        (["w", "webhook"], "needs a secret"),
        (["w", "rss"], "'url' is required"),
        (["w", "replay", "--url", "https://x.example"], "--url does not apply"),
        (["w", "replay", "--config", "{bad json"], "not JSON"),
        (["w", "replay", "--config", '{"tempo": 2}'], "Unknown config key"),
        (["w", "replay", "--path", "/no/such.jsonl"], "bundled samples or in a directory"),
        (["w", "replay", "--path", "/etc/passwd"], "bundled samples or in a directory"),
        (["w", "replay", "--path", "../../../../etc/hosts"], "bundled samples or in a directory"),
        (["w", "replay", "--rate", "nan"], "--rate: must be from 0 to"),
        (["w", "replay", "--rate", "inf"], "--rate: must be from 0 to"),
        (["w", "replay", "--rate=-inf"], "--rate: must be from 0 to"),
        (["w", "replay", "--rate", "fast"], "--rate: not a number"),
        (["w", "replay", "--config", '{"rate": NaN}'], "config: 'rate' must be a number"),
        (["w", "replay", "--config", '{"batch_size": 1e400}'], "'batch_size' must be an integer"),
        (
            ["w", "rss", "--url", "https://x.example/f", "--config", '{"timeout": Infinity}'],
            "config: 'timeout' must be a number",
        ),
    ],
)
def test_add_source_reports_validation_errors(args, message):
    Wall.objects.create(name="w", slug="w")
    with pytest.raises(CommandError, match=message):
        crowdwall("add-source", *args)
    assert not Source.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("flag", "field", "values"),
    [
        ("--hashtag", "hashtags", TOO_MANY["hashtags"]),
        ("--hashtag", "hashtags", TOO_LONG["hashtags"]),
        ("--keyword", "keywords", TOO_MANY["keywords"]),
        ("--keyword", "keywords", TOO_LONG["keywords"]),
        ("--account", "accounts", TOO_LONG["accounts"]),
        ("--language", "languages", TOO_MANY["languages"]),
    ],
)
def test_add_wall_refuses_rules_beyond_their_bounds(flag, field, values):
    args = [arg for value in values for arg in (flag, value)]
    with pytest.raises(CommandError, match=f"Invalid wall: {field}: .*(At|at) most"):
        crowdwall("add-wall", "w", *args)
    assert not Wall.objects.exists()


@pytest.mark.django_db
def test_add_source_takes_replay_files_from_the_configured_directories(tmp_path, settings):
    (tmp_path / "posts.jsonl").write_text("{}\n")
    settings.CROWDWALL = {}
    Wall.objects.create(name="w", slug="w")
    with pytest.raises(CommandError, match="bundled samples") as refused:
        crowdwall("add-source", "w", "replay", "--path", str(tmp_path / "posts.jsonl"))
    settings.CROWDWALL = {"REPLAY_DIRS": [str(tmp_path)]}
    crowdwall("add-source", "w", "replay", "--path", "posts.jsonl")
    assert Source.objects.get().config["path"] == str(tmp_path / "posts.jsonl")
    with pytest.raises(CommandError) as missing:
        crowdwall("add-source", "w", "replay", "--name", "r2", "--path", "gone.jsonl")
    assert str(missing.value) == str(refused.value)


@pytest.mark.parametrize("command", ["stream", "demo"])
@pytest.mark.parametrize("rate", ["nan", "inf", "-1"])
def test_rates_of_stream_and_demo_are_checked(command, rate):
    with pytest.raises(CommandError, match="--rate: must be from 0 to"):
        crowdwall(command, "--rate", rate)


@pytest.mark.django_db
def test_add_source_sets_the_scope_per_kind_or_as_told():
    crowdwall("add-wall", "w")
    crowdwall("add-source", "w", "webhook", "--secret", "s3cret")
    crowdwall("add-source", "w", "mastodon", "--url", "https://social.example/")
    crowdwall("add-source", "w", "replay", "--scope", "any")
    assert dict(Source.objects.values_list("kind", "scope")) == {
        "webhook": "own",
        "mastodon": "any",
        "replay": "any",
    }
    assert "webhook (webhook) scope=own" in crowdwall("walls")
    with pytest.raises(CommandError, match=r"scope: .*own wall only"):
        crowdwall("add-source", "w", "webhook", "--name", "h2", "--secret", "x", "--scope", "any")
    assert Source.objects.count() == 3


@pytest.mark.django_db
def test_walls_lists_walls_and_sources():
    crowdwall("add-wall", "djangocon", "--hashtag", "djangocon")
    crowdwall("add-source", "djangocon", "replay", "--name", "demo")
    output = crowdwall("walls")
    assert "djangocon" in output and "#djangocon" in output and "demo (replay)" in output
    assert output.strip().endswith("1 wall(s).")


def test_subcommand_is_required():
    with pytest.raises(CommandError, match="Name a subcommand"):
        crowdwall()


@pytest.mark.django_db
def test_stream_needs_runnable_sources():
    crowdwall("add-wall", "w")
    with pytest.raises(CommandError, match="No enabled sources"):
        crowdwall("stream", "--wall", "w")
    with pytest.raises(CommandError, match="No wall with slug"):
        crowdwall("stream", "--wall", "missing")


@pytest.mark.django_db(transaction=True)
def test_stream_with_limit_runs_in_process_and_reports():
    crowdwall("add-wall", "w", "--hashtag", "djangocon", "--hashtag", "python")
    crowdwall("add-source", "w", "replay", "--name", "demo", "--include-all")
    output = crowdwall("stream", "--wall", "w", "--rate", "0", "--limit", "40", "-v", "2")
    assert "stream: 1 source(s) running: demo" in output
    assert "demo: +" in output
    assert Source.objects.get().cursor == "40"
    assert 30 <= Post.objects.count() <= 40  # edits/deletes in the first 40 lines fold
    assert "cursors saved." in output


# Clean shutdown on a signal, in a real process ------------------------------------------------------


class Proc:
    """``manage.py`` with the subprocess settings against one SQLite file."""

    def __init__(self, db: Path, *, workers: int = 0) -> None:
        self.env = {
            **os.environ,
            "CROWDWALL_TEST_PREPARE_PROCESSES": str(workers),
            "CROWDWALL_TEST_PREPARE_MIN_BATCH": "1" if workers else "100",
            "DJANGO_SETTINGS_MODULE": "tests.crowdwall.stream_settings",
            "CROWDWALL_TEST_DB": str(db),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
            "PYTHONUNBUFFERED": "1",
        }

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "django", *args],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip


def stored(db: Path) -> tuple[str, list[str]]:
    with sqlite3.connect(db) as conn:
        cursor = conn.execute("SELECT cursor FROM crowdwall_source").fetchone()[0]
        ids = [row[0] for row in conn.execute("SELECT external_id FROM crowdwall_post")]
    return cursor, ids


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "workers"),
    [(signal.SIGTERM, 0), (signal.SIGINT, 0), (signal.SIGTERM, 1)],
    ids=["SIGTERM", "SIGINT", "SIGTERM-with-a-prepare-worker"],
)
def test_stream_stops_cleanly_on_a_signal_with_the_cursor_saved(tmp_path, sig, workers):
    data = tmp_path / "posts.jsonl"
    data.write_text(
        "".join(
            json.dumps(
                {"id": f"p{i}", "created_at": "2025-05-14T10:00:00Z", "text": f"post {i} #djangocon",
                 "author": {"id": f"replay:a{i % 7}", "handle": f"a{i % 7}"}}
            ) + "\n"
            for i in range(5000)
        )
    )  # fmt: skip
    db = tmp_path / "stream.sqlite3"
    manage = Proc(db, workers=workers)
    manage.run("migrate", "--noinput", "-v", "0")
    manage.run("crowdwall", "add-wall", "demo", "--hashtag", "djangocon")
    manage.run("crowdwall", "add-source", "demo", "replay", "--name", "replay", "--path", str(data))

    proc = manage.start("crowdwall", "stream", "--wall", "demo", "--rate", "300", "-v", "2")
    watchdog = threading.Timer(90, proc.kill)  # a hung process fails the test, not the suite
    watchdog.start()
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:  # wait for an event: two batches stored
            lines.append(line)
            if sum(line.startswith("replay: +") for line in lines) >= 2:
                break
        else:
            pytest.fail("stream ended before storing a batch:\n" + "".join(lines))
        proc.send_signal(sig)
        rest = proc.stdout.read()
        assert proc.wait() == 0, rest
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "stopped" in rest and "cursors saved." in rest
    assert "Traceback" not in rest
    # The output pipe closed: no worker or fork server outlived the stream process.
    assert f"({workers} prepare worker process" in "".join(lines)
    cursor, ids = stored(db)
    count = int(cursor)
    assert 0 < count < 5000
    assert sorted(ids) == sorted(f"p{i}" for i in range(count))  # exactly up to the cursor

    # Restart: resumes after the cursor, without repeating or skipping a post.
    output = manage.run("crowdwall", "stream", "--wall", "demo", "--rate", "0", "--limit", "100")
    assert "finished" in output
    cursor, ids = stored(db)
    assert int(cursor) == count + 100
    assert sorted(ids) == sorted(f"p{i}" for i in range(count + 100))
