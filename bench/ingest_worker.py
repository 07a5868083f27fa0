"""The ingest benchmark's measuring process: one database, Django configured for crowdwall.

``python -m bench.ingest_worker`` reads its spec (database, posts, rounds, server pid) as JSON on
stdin and prints its measurements as one JSON line (see ``bench.ingest`` for what is measured).
A process of its own per database: Django is configured once per process, and the bench
process runs the herdcache site.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx

BATCH = 500  # posts per source batch and per bulk_create call (the pipeline's BATCH_SIZE)
VARIANTS = [
    "replay",
    "replay_one_process",
    "jetstream",
    "bulk_create",
    "save_txn",
    "save_auto",
    "parse_sanitize",
]


def _configure(database: dict[str, Any], crowdwall: dict[str, Any] | None = None) -> None:
    """Django for the benchmark: ``database`` as the default, ``crowdwall`` as CROWDWALL
    (default: replay files under the temporary directory)."""
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench-only-not-secret",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "herdcache",
            "crowdwall",
        ],
        DATABASES={"default": database},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        HERDCACHE={"STATS_FLUSH_INTERVAL": 0},
        # Where the replay file is written.
        CROWDWALL=crowdwall or {"REPLAY_DIRS": [tempfile.gettempdir()]},
        LOGGING_CONFIG=None,
    )
    django.setup()


def _records(count: int) -> list[dict[str, Any]]:
    """``count`` items: the bundled sample posts, lap after lap with fresh ids."""
    from crowdwall.sources.replay import DEFAULT_PATH

    # The demo's avatars and photos are "static:<path>" (resolved by the replay source from a
    # site URL): absolute URLs here, as posts from a network carry, so every line streams as
    # it is, like the lines of any replay file.
    text = DEFAULT_PATH.read_text().replace('"static:', '"https://demo.example/static/')
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    out = []
    for position in range(count):
        item = dict(records[position % len(records)])
        lap = position // len(records)
        if lap:
            item["id"] = f"{item['id']}~{lap}"
        out.append(item)
    return out


def _frames(records: list[dict[str, Any]]) -> list[str] | None:
    """The same posts as Jetstream frames (None when the Bluesky adapter is not there)."""
    try:
        from tests.crowdwall.fakes.jetstream import delete_event, encode, post_event, tag_facet

        from crowdwall.sources.bluesky_events import JetstreamFilter  # noqa: F401
    except ImportError:
        return None
    from crowdwall.ingest.sanitize import html_to_text, sanitize_html

    frames, t0 = [], 1_747_213_200_000_000
    for number, item in enumerate(records):
        did = "did:plc:" + item.get("author", {}).get("handle", "x").split("@")[0].ljust(24, "x")
        rkey = item["id"].replace("~", "-")
        time_us = t0 + number * 1000
        if item.get("action") == "delete":
            frames.append(encode(delete_event(did, rkey, time_us=time_us)))
            continue
        text = html_to_text(sanitize_html(item["html"]))
        facets = [
            tag_facet(text, t) for t in dict.fromkeys(item.get("tags", [])) if f"#{t}" in text
        ]
        operation = "update" if item.get("action") == "update" else "create"
        event = post_event(
            did, rkey, text, time_us=time_us, operation=operation, langs=[item["language"]],
            created_at=item["created_at"], facets=facets,
        )  # fmt: skip
        frames.append(encode(event))
    return frames


def _setup_walls() -> Any:
    from crowdwall.models import Wall

    walls = [
        Wall(name="DjangoCon", slug="djangocon", hashtags=["djangocon", "python"]),
        Wall(
            name="Talks",
            slug="talks",
            keywords=['"query planner"', "async*", "htmx", "=Postgres", "caching without"],
            moderation="pre_approve",
        ),
        Wall(name="Python (de, fr)", slug="python-eu", hashtags=["python"], languages=["de", "fr"]),
    ]
    for wall in walls:
        wall.full_clean()
        wall.save()
    return walls[0]


def _empty(*, authors: bool = True) -> None:
    """Every table ingest writes emptied (authors too, unless told); walls and sources kept."""
    from django.apps import apps
    from django.db import connection

    kept = {"wall", "source", "bannedauthor", "bannedword"} | (set() if authors else {"author"})
    tables = [
        model._meta.db_table
        for model in apps.get_app_config("crowdwall").get_models(include_auto_created=True)
        if model._meta.model_name not in kept
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            return
        cursor.execute("PRAGMA foreign_keys = OFF")  # table by table, in any order
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("PRAGMA foreign_keys = ON")


def _counts() -> tuple[int, int]:
    from crowdwall.models import Post, PostWall

    return Post.objects.count(), PostWall.objects.count()


def _server_cpu(pid: int | None) -> float:
    """CPU seconds of a server and its processes, including children that have exited."""
    if pid is None:
        return 0.0
    ticks = 0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        for child in children.read().split():
            try:
                with open(f"/proc/{child}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue  # exited meanwhile: counted in cutime next time
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _process_cpu(pids: list[int]) -> float:
    """CPU seconds of running processes (the prepare workers)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class Clock:
    """Wall-clock and CPU seconds of one operation: this process, its prepare workers
    (``workers()``: their pids) and the database server's processes."""

    def __init__(self, server_pid: int | None, workers: Callable[[], list[int]]) -> None:
        self.server_pid = server_pid
        self.workers = workers

    def _cpu(self) -> float:
        return _server_cpu(self.server_pid) + _process_cpu(self.workers())

    def measure(self, op: Callable[[], Any]) -> tuple[float, float, Any]:
        cpu0, others0 = time.process_time(), self._cpu()
        started = time.perf_counter()
        value = op()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu0 + self._cpu() - others0
        return wall, cpu, value


def _run_replay(source_id: int, pool: Any) -> dict[str, int]:
    """The replay source's whole file through ``StreamRunner``, as ``manage.py crowdwall``
    (``pool``: the prepare workers, started once like a long-running stream process's)."""
    from crowdwall.models import Source
    from crowdwall.sources.runner import StreamRunner

    def fail(source: Source, exc: BaseException, delay: float) -> None:
        raise RuntimeError(f"source failed: {exc!r}") from exc  # no restarts in a benchmark

    Source.objects.filter(pk=source_id).update(cursor="")
    source = Source.objects.select_related("wall").get(pk=source_id)
    runner = StreamRunner([source], mode="backfill", on_error=fail, pool=pool)
    runner.on_batch = _clock_batches(marks := [])
    stats = asyncio.run(runner.run())[source_id]
    if stats.error:
        raise RuntimeError(f"source failed: {stats.error}")
    counts = {k: getattr(stats, k) for k in ("posts", "created", "updated", "deleted", "rejected")}
    return {**counts, "steady": _steady(marks)}


def _clock_batches(marks: list[tuple[float, int]]) -> Callable[..., None]:
    """An ``on_batch`` callback noting when each batch was stored, and the items so far."""

    def note(source: Any, result: Any, stats: Any) -> None:
        marks.append((time.perf_counter(), stats.posts))

    return note


def _steady(marks: list[tuple[float, int]]) -> float | None:
    """Items per second from the first stored batch to the last: the rate of a stream that is
    running (no start-up, no first batch that nothing overlaps)."""
    if len(marks) < 3:
        return None
    (t0, n0), (t1, n1) = marks[0], marks[-1]
    return (n1 - n0) / (t1 - t0) if t1 > t0 else None


JETSTREAM_CONFIG = {"hashtags": ["djangocon", "python"], "batch_size": BATCH}


def _jetstream_items(frames: list[str]) -> int:
    """How many items the adapter hands over for ``frames`` (posts and deletions it keeps)."""
    from crowdwall.sources.bluesky import BlueskySource

    probe = BlueskySource(name="probe", config=JETSTREAM_CONFIG).filter
    return sum(probe.feed(frame) is not None for frame in frames)


def _no_labels(request: httpx.Request) -> httpx.Response:
    """The AppView's ``getProfiles`` as a stand-in: every asked-for profile, none labelled."""
    dids = request.url.params.get_list("actors")
    return httpx.Response(200, json={"profiles": [{"did": did, "labels": []} for did in dids]})


def _run_jetstream(
    source_id: int, frames: list[str], pool: Any, items: int | None = None
) -> dict[str, int]:
    """Jetstream frames through the Bluesky adapter's own receive loop (``_receive``: the filter,
    batches of 500 with the time cursor, its flush timers) and ``StreamRunner``, as ``manage.py
    crowdwall stream`` runs a Bluesky source: only the network is left out, the WebSocket replaced
    by the frames handed over as ``websockets`` would (``BufferedFrames``), and the AppView that
    the profile lookup asks about first-seen authors by an in-process stand-in (``_no_labels``). ``items``: what
    ``_jetstream_items`` says for these frames (counted before the clock starts)."""
    from crowdwall.models import Source
    from crowdwall.sources import runner as runner_module
    from crowdwall.sources.base import Cursor
    from crowdwall.sources.bluesky import BlueskySource
    from crowdwall.sources.http import http_client

    config = JETSTREAM_CONFIG
    if items is None:
        items = _jetstream_items(frames)

    class BufferedFrames:
        """The frames as ``websockets``' ``recv()`` hands them to the adapter: from its buffer
        of up to ``max_queue`` (16) frames without suspending, then a wait (here one turn of the
        event loop) while the network refills it."""

        def __init__(self) -> None:
            self.frames, self.received = iter(frames), 0

        async def recv(self) -> str:
            self.received += 1
            if self.received % 16 == 0:
                await asyncio.sleep(0)
            return next(self.frames)

    class FramesSource(BlueskySource):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if self.lookup is not None:  # the AppView answers in process: no network either
                self.lookup._client = http_client(transport=httpx.MockTransport(_no_labels))

        def stream(self, cursor: Cursor) -> Any:
            return self._receive(BufferedFrames())  # type: ignore[arg-type]

    def adapter_for(source: Source, **overrides: Any) -> FramesSource:
        # limit: every item the frames carry, so the adapter ends after the last one.
        return FramesSource(name=source.name, config=config, limit=items)

    def fail(source: Source, exc: BaseException, delay: float) -> None:
        raise RuntimeError(f"source failed: {exc!r}") from exc

    Source.objects.filter(pk=source_id).update(cursor="")
    source = Source.objects.select_related("wall").get(pk=source_id)
    real, runner_module.adapter_for = runner_module.adapter_for, adapter_for
    try:
        runner = runner_module.StreamRunner([source], on_error=fail, pool=pool)
        runner.on_batch = _clock_batches(marks := [])
        stats = asyncio.run(runner.run())[source_id]
    finally:
        runner_module.adapter_for = real
    if stats.error:
        raise RuntimeError(f"source failed: {stats.error}")
    counts = {"posts": len(frames), "created": stats.created, "updated": stats.updated}
    return {**counts, "steady": _steady(marks)}


def _profile(source_id: int, records: list[dict[str, Any]]) -> None:
    """The replay run's pipeline work in this thread (the runner's is another), under cProfile."""
    from crowdwall.ingest.write import ingest

    lines = [json.dumps(item) for item in records]
    profiler = cProfile.Profile()
    profiler.enable()
    items = [json.loads(line) for line in lines]
    for start in range(0, len(items), BATCH):
        ingest(source_id, items[start : start + BATCH], cursor=str(start + BATCH))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
    print(out.getvalue(), file=sys.stderr)


def _snapshot() -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The rows the replay run stored: each post with its wall entries."""
    from crowdwall.models import Post, PostWall

    entries: dict[int, list[dict[str, Any]]] = {}
    for entry in PostWall.objects.order_by("pk").values():
        entries.setdefault(entry.pop("post_id"), []).append(entry)
    return [(post, entries.get(post["id"], [])) for post in Post.objects.order_by("pk").values()]


def _orm_rows(snapshot: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> list[Any]:
    """Fresh unsaved model instances for the snapshot's rows."""
    from crowdwall.models import Post, PostWall

    def fields(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if k != "id"}

    return [(Post(**fields(p)), [PostWall(**fields(e)) for e in es]) for p, es in snapshot]


def _bulk_create(rows: list[Any]) -> None:
    from django.db import transaction

    from crowdwall.models import Post, PostWall

    with transaction.atomic():
        Post.objects.bulk_create([post for post, _ in rows], batch_size=BATCH)
        for post, entries in rows:
            for entry in entries:
                entry.post_id = post.pk
        PostWall.objects.bulk_create([e for _, es in rows for e in es], batch_size=BATCH)


def _save_each(rows: list[Any]) -> None:
    for post, entries in rows:
        post.save()
        for entry in entries:
            entry.post_id = post.pk
            entry.save()


def _save_in_transaction(rows: list[Any]) -> None:
    from django.db import transaction

    with transaction.atomic():
        _save_each(rows)


def _parse_sanitize(lines: list[str], source_id: int) -> None:
    """Parse, validate and sanitize every line (no matching, no database)."""
    from django.utils import timezone

    from crowdwall.exceptions import InvalidPost
    from crowdwall.ingest.normalize import DELETE, Limits, clean_post
    from crowdwall.ingest.post_json import from_dict
    from crowdwall.ingest.prepare import prepare

    now, limits = timezone.now(), Limits.current()
    for line in lines:
        try:
            post = clean_post(from_dict(json.loads(line)), now=now, limits=limits)
            if post.action != DELETE:
                prepare(post, source_id, limits)
        except InvalidPost:
            pass


def _dedupe_check(first: dict[str, int], again: dict[str, int], stored: tuple[int, int]) -> Any:
    new_rows = _counts()[0] - stored[0]
    changed = again["created"] + again["updated"] + again["deleted"]
    return {
        "first": first,
        "again": again,
        "rows": stored[0],
        "wall_entries": stored[1],
        "new_rows": new_rows,
        "changed": changed,
        "exact": new_rows == 0 and changed == 0 and stored[0] == first["created"],
    }


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Measure every variant on ``spec["database"]``; the results as a JSON-ready dict."""
    _configure(spec["database"])
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    folder = Path(tempfile.mkdtemp(prefix="crowdwall-bench-replay-"))
    try:
        return {"vendor": connection.vendor, **_measure(spec, folder / "posts.jsonl")}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _measure(spec: dict[str, Any], path: Path) -> dict[str, Any]:
    from crowdwall.conf import conf
    from crowdwall.sources.prepare_pool import PreparePool

    wall = _setup_walls()
    pool = PreparePool(conf.PREPARE_PROCESSES, min_batch=conf.PREPARE_MIN_BATCH)
    count, clock = spec["posts"], Clock(spec.get("server"), pool.pids)
    alone = PreparePool(0, min_batch=conf.PREPARE_MIN_BATCH)  # everything in one process
    try:
        return _rounds(spec, path, wall, count, clock, pool, alone)
    finally:
        pool.close()


def _rounds(
    spec: dict[str, Any], path: Path, wall: Any, count: int, clock: Clock, pool: Any, alone: Any
) -> dict[str, Any]:
    from crowdwall.models import Source

    records = _records(count)
    lines = [json.dumps(item, ensure_ascii=False) for item in records]
    frames = _frames(records)
    jetstream_items = None if frames is None else _jetstream_items(frames)
    path.write_text("\n".join(lines) + "\n")
    config = {"path": str(path), "rate": 0, "retime": False, "batch_size": BATCH}
    # Matched against every wall, as before sources had a scope: the same work to measure.
    replay = Source.objects.create(
        wall=wall, name="replay", kind="replay", config=config, scope="any"
    )
    bluesky = Source.objects.create(wall=wall, name="bluesky", kind="bluesky")
    walls: dict[str, list[float]] = {name: [] for name in [*VARIANTS, "reingest"]}
    cpus: dict[str, list[float]] = {name: [] for name in walls}
    check: dict[str, Any] = {}

    steady: dict[str, list[float]] = {"replay": [], "jetstream": []}

    def note(name: str, items: float, measured: tuple[float, float, Any]) -> Any:
        walls[name].append(items / measured[0])
        cpus[name].append(items / max(measured[1], 1e-9))
        value = measured[2]
        if name in steady and isinstance(value, dict) and value.get("steady"):
            steady[name].append(value.pop("steady"))
        elif isinstance(value, dict):
            value.pop("steady", None)
        return value

    if spec["profile"]:
        _empty()
        _profile(replay.pk, records)
    for _ in range(spec["rounds"]):  # every variant once per round: drift hits all alike
        if not walls["replay"]:  # workers started, as in a stream process that is running
            _empty()
            _run_replay(replay.pk, pool)
        _empty()
        note("replay_one_process", count, clock.measure(lambda: _run_replay(replay.pk, alone)))
        _empty()
        first = note("replay", count, clock.measure(lambda: _run_replay(replay.pk, pool)))
        stored = _counts()
        again = note("reingest", count, clock.measure(lambda: _run_replay(replay.pk, pool)))
        check = _dedupe_check(first, again, stored)
        snapshot = _snapshot()  # this round's authors
        per_row = count / len(snapshot)  # the ORM writes the stored rows: rate per item
        variants: list[tuple[str, Callable[[Any], None], list[Any]]] = [
            ("bulk_create", _bulk_create, snapshot),
            ("save_txn", _save_in_transaction, snapshot),
            ("save_auto", _save_each, snapshot[:BATCH]),
        ]
        for name, op, rows in variants:
            _empty(authors=False)  # the rows refer to the authors the pipeline stored
            objects = _orm_rows(rows)
            note(name, len(rows) * per_row, clock.measure(lambda op=op, o=objects: op(o)))
        if frames is not None:
            _empty()
            run = partial(_run_jetstream, bluesky.pk, frames, pool, jetstream_items)
            note("jetstream", count, clock.measure(run))
        note("parse_sanitize", count, clock.measure(lambda: _parse_sanitize(lines, replay.pk)))
    return {
        "posts": count,
        "rounds": spec["rounds"],
        "prepare_processes": pool.processes,
        "rates": {k: statistics.median(v) for k, v in walls.items() if v},
        "cpu_rates": {k: statistics.median(v) for k, v in cpus.items() if v},
        "steady_rates": {k: statistics.median(v) for k, v in steady.items() if v},
        "all_rates": walls,
        "dedupe": check,
    }


if __name__ == "__main__":
    print(json.dumps(worker(json.loads(sys.stdin.read())), default=str))
