"""The replay source: resumable by cursor with no gaps or repeats, rate, laps, bad lines; and the
bundled sample data (deterministic, varied, and clean through the pipeline)."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import runpy
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crowdwall.ingest.items import JSONText
from crowdwall.ingest.write import ingest
from crowdwall.models import Post, PostWall, Source, Wall
from crowdwall.sources.base import Batch, Cursor
from crowdwall.sources.replay import (
    DEFAULT_PATH,
    LAP_GAP,
    MAX_GAP,
    ReplaySource,
    read_lines,
    recorded_times,
)
from crowdwall.sources.replay_data import render

LINES = DEFAULT_PATH.read_text(encoding="utf-8").splitlines()
RECORDS = [json.loads(line) for line in LINES]


def replay(**config) -> ReplaySource:
    limit = config.pop("limit", None)
    return ReplaySource(name="r", config={"rate": 0, "retime": False, **config}, limit=limit)


async def drain(
    source: ReplaySource, cursor: str = "", *, batches: int | None = None
) -> list[Batch]:
    out = []
    async for batch in source.stream(Cursor(cursor)):
        out.append(batch)
        if batches is not None and len(out) >= batches:
            break
    return out


def item(post) -> dict:
    """A batch item as the pipeline reads it: lines that need no rewriting come as text."""
    return json.loads(post.text) if isinstance(post, JSONText) else post


def ids(batches: list[Batch]) -> list[str]:
    return [item(post)["id"] for batch in batches for post in batch.posts]


def test_streams_the_whole_file_in_order_with_a_cursor_per_batch():
    batches = asyncio.run(drain(replay(batch_size=50)))
    assert ids(batches) == [r["id"] for r in RECORDS]
    assert [b.cursor.value for b in batches][-1] == str(len(RECORDS))
    assert all(len(b.posts) <= 50 for b in batches)


@pytest.mark.parametrize("stop_after", [1, 3, 7])
def test_resuming_from_the_cursor_has_no_gaps_and_no_repeats(stop_after):
    first = asyncio.run(drain(replay(batch_size=17), batches=stop_after))  # interrupted
    cursor = first[-1].cursor.value
    rest = asyncio.run(drain(replay(batch_size=17), cursor))
    assert ids(first) + ids(rest) == [r["id"] for r in RECORDS]


def test_limit_stops_exactly():
    batches = asyncio.run(drain(replay(batch_size=7, limit=10)))
    assert len(ids(batches)) == 10
    assert batches[-1].cursor.value == "10"


def test_loop_gives_each_lap_new_ids_and_the_cursor_counts_laps(tmp_path: Path):
    path = tmp_path / "three.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}"}) + "\n" for i in range(3)))
    batches = asyncio.run(drain(replay(path=str(path), loop=True, limit=7, batch_size=2)))
    assert ids(batches) == ["p0", "p1", "p2", "p0~1", "p1~1", "p2~1", "p0~2"]
    resumed = asyncio.run(
        drain(replay(path=str(path), loop=True, limit=2), batches[-1].cursor.value)
    )
    assert ids(resumed) == ["p1~2", "p2~2"]


def test_lines_that_are_not_json_are_skipped_but_counted(tmp_path: Path, caplog):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a"}\n{not json\n\n{"id": "b"}\n')
    batches = asyncio.run(drain(replay(path=str(path), retime=True)))  # parsed to retime
    assert ids(batches) == ["a", "b"]
    assert batches[-1].cursor.value == "3"
    assert "line 2 is not JSON" in caplog.text


def test_lines_go_out_as_text_when_nothing_is_rewritten(tmp_path: Path):
    """First lap, no retime: the pipeline parses the line (in a prepare worker for big
    batches), not the stream process; later laps and retimed lines are rewritten first."""
    path = tmp_path / "two.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b"}\n')
    batches = asyncio.run(drain(replay(path=str(path), loop=True, limit=3)))
    posts = [post for batch in batches for post in batch.posts]
    assert posts[:2] == [
        JSONText('{"id": "a"}', "two.jsonl line 1"),
        JSONText('{"id": "b"}', "two.jsonl line 2"),
    ]
    assert posts[2] == {"id": "a~1"}
    retimed = asyncio.run(drain(replay(path=str(path), retime=True)))[0].posts
    assert all(isinstance(post, dict) for post in retimed)


@pytest.mark.django_db
def test_a_line_that_is_not_json_is_rejected_by_the_pipeline_with_its_line(tmp_path: Path, caplog):
    wall = Wall.objects.create(name="All", slug="all", hashtags=["x"])
    path = tmp_path / "bad.jsonl"
    good = {"id": "a", "created_at": "2025-05-14T10:00:00Z", "text": "#x", "tags": ["x"]}
    good["author"] = {"id": "u", "handle": "u"}
    path.write_text(f"{json.dumps(good)}\n{{not json\n")
    source = Source.objects.create(wall=wall, name="r", kind="replay", config={})
    batches = asyncio.run(drain(replay(path=str(path))))
    result = ingest(source, [post for batch in batches for post in batch.posts])
    assert result.created == 1
    assert [r.reason for r in result.rejected] == ["not JSON"]
    assert "bad.jsonl line 2" in caplog.text


def test_retime_stamps_posts_with_the_replay_time():
    source = ReplaySource(config={"rate": 0, "retime": True}, limit=1)
    post = asyncio.run(drain(source))[0].posts[0]
    assert post["created_at"] != RECORDS[0]["created_at"]
    assert post["created_at"].startswith("20")


def test_rate_spaces_posts_out():
    async def timed() -> tuple[float, int]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        batches = await drain(ReplaySource(config={"rate": 200.0, "retime": False}, limit=11))
        return loop.time() - start, len(ids(batches))

    elapsed, count = asyncio.run(timed())
    assert count == 11
    assert elapsed >= 10 / 200  # the 11th post is due 50 ms after the first


def test_backfill_reads_to_the_end_at_full_speed():
    source = ReplaySource(config={"rate": 0.001, "retime": False})  # stream would take days
    batches = []

    async def run():
        async for batch in source.backfill(Cursor(str(len(RECORDS) - 5))):
            batches.append(batch)

    asyncio.run(run())
    assert ids(batches) == [r["id"] for r in RECORDS[-5:]]


# The bundled data -------------------------------------------------------------------------------


def test_bundled_file_is_what_the_generator_builds():
    assert DEFAULT_PATH.read_text(encoding="utf-8") == render()
    assert DEFAULT_PATH.stat().st_size < 300_000


def test_bundled_data_is_varied():
    creates = [r for r in RECORDS if r.get("action", "create") == "create"]
    assert 120 <= len(creates) <= 500
    assert len({r["author"]["id"] for r in creates}) >= 20
    assert len(Counter(r["language"] for r in creates)) >= 6
    assert sum(bool(r.get("boost")) for r in creates) >= 10
    assert sum(bool(r.get("reply")) for r in creates) >= 10
    assert sum(bool(r.get("spoiler_text")) for r in creates) >= 10
    media = [m for r in creates for m in r.get("media", [])]
    assert sum(bool(m["alt"]) for m in media) >= 5 and any(not m["alt"] for m in media)
    assert (
        sum(
            "<script" in r["html"] or "onerror" in r["html"] or "javascript:" in r["html"]
            for r in creates
        )
        >= 3
    )
    assert any(r["author"]["bot"] for r in creates)
    assert any(r.get("action") == "update" for r in RECORDS)
    assert any(r.get("action") == "delete" for r in RECORDS)


@pytest.mark.django_db
def test_bundled_data_goes_through_the_pipeline_cleanly(django_capture_on_commit_callbacks):
    wall = Wall.objects.create(name="DjangoCon", slug="djangocon", hashtags=["djangocon", "python"])
    source = wall.sources.create(name="demo", kind="replay")
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest(source, RECORDS, cursor=str(len(RECORDS)))
    assert result.rejected == []
    edits = sum(r.get("action") == "update" for r in RECORDS)
    deletes = sum(r.get("action") == "delete" for r in RECORDS)
    # Each edit or delete of an earlier post in the same batch folds into that post's final
    # state (one duplicate each); a post created and deleted in one batch is never stored, and
    # its deletion then finds nothing to delete (one more).
    assert result.created == Post.objects.count() > 120
    assert result.duplicates == edits + 2 * deletes
    assert Post.objects.exclude(deleted_at=None).count() == 0  # deleted before storing: gone
    assert PostWall.objects.filter(state="approved").count() > 120
    assert not Post.objects.filter(content_html__icontains="script").exists()
    assert not Post.objects.filter(content_html__icontains="onerror").exists()


@pytest.mark.django_db
def test_replayed_batches_apply_edits_and_deletions(django_capture_on_commit_callbacks):
    wall = Wall.objects.create(name="All", slug="all")
    source = wall.sources.create(name="demo", kind="replay", include_all=True)

    async def batches() -> list[Batch]:
        return await drain(replay(batch_size=10))

    totals = Counter()
    for batch in asyncio.run(batches()):
        with django_capture_on_commit_callbacks(execute=True):
            result = ingest(source, batch.posts, cursor=batch.cursor.value)
        totals.update(updated=result.updated, deleted=result.deleted, rejected=len(result.rejected))
    assert totals["rejected"] == 0
    assert totals["updated"] >= 1 and totals["deleted"] >= 1
    source.refresh_from_db()
    assert source.cursor == str(len(RECORDS))
    for record in RECORDS:
        post = Post.objects.filter(external_id=record["id"]).first()
        if record.get("action") == "delete":
            assert post is None or post.deleted_at is not None
        elif record.get("action") == "update" and post is not None and post.deleted_at is None:
            assert post.text.endswith("(edit: fixed a typo)")
    deleted = {r["id"] for r in RECORDS if r.get("action") == "delete"}
    assert (
        set(PostWall.objects.filter(state="deleted").values_list("post__external_id", flat=True))
        <= deleted
    )


def texts_of(records: list[dict]) -> list[str]:
    """Each created post's text, without the @mention a reply starts with."""
    return [
        re.sub(r"^<p>(@\w+ )?", "", r["html"])
        for r in records
        if r.get("action", "create") == "create"
    ]


def test_every_bundled_text_is_written_once_by_one_author():
    texts = texts_of(RECORDS)
    assert len(texts) == len(set(texts))  # so no post shows under two authors, even in a loop
    assert not any(re.search(r"\bthe the\b", text, re.IGNORECASE) for text in texts)
    authors = {r["id"]: r["author"]["id"] for r in RECORDS if "author" in r}
    edits = [r for r in RECORDS if r.get("action") == "update"]
    assert edits and all(authors[r["id"]] == r["author"]["id"] for r in edits)


def test_bundled_day_has_bursts_and_quiet_spells():
    times = recorded_times(read_lines(DEFAULT_PATH))
    gaps = [b - a for a, b in itertools.pairwise(times) if b != a]
    runs, run = [], 0
    for gap in gaps:
        run = run + 1 if gap <= 8 else 0
        runs.append(run)
    ends = [a for a, b in itertools.pairwise([*runs, 0]) if a >= 5 and b == 0]
    assert len(ends) >= 3  # bursts: a keynote, the lightning talks, the closing keynote
    assert sum(gap >= 90 for gap in gaps) >= 6  # the breaks
    assert 10 <= sorted(gaps)[len(gaps) // 2] <= 50  # and steady chatter in between


def test_bundled_avatars_and_photos_are_the_apps_static_files():
    demo = DEFAULT_PATH.parents[2] / "static" / "crowdwall" / "demo"
    urls = [r["author"]["avatar_url"] for r in RECORDS if r.get("author", {}).get("avatar_url")]
    urls += [m["url"] for r in RECORDS for m in r.get("media", [])]
    assert len(urls) > 100 and all(url.startswith("static:crowdwall/demo/") for url in urls)
    assert all((demo / url.removeprefix("static:crowdwall/demo/")).is_file() for url in urls)
    assert any(not r["author"]["avatar_url"] for r in RECORDS if "author" in r)  # initials
    assert sum(f.stat().st_size for f in demo.rglob("*") if f.is_file()) < 1_500_000
    script = runpy.run_path(str(Path(__file__).parents[3] / "scripts" / "demo_images.py"))
    assert script["main"](["--check"]) == 0  # what the committed drawing script draws


@pytest.mark.parametrize(
    ("static_url", "site_url", "expected"),
    [
        ("/static/", "http://127.0.0.1:8001", "http://127.0.0.1:8001/static/crowdwall/demo/"),
        ("/assets/", "http://127.0.0.1:8001/", "http://127.0.0.1:8001/assets/crowdwall/demo/"),
        ("https://cdn.example/s/", "", "https://cdn.example/s/crowdwall/demo/"),
        ("/static/", "", ""),  # no absolute URL can be made: dropped, initials show
    ],
)
def test_static_urls_become_the_sites_static_urls(settings, static_url, site_url, expected):
    settings.STATIC_URL = static_url
    config = {"rate": 0, "retime": False} | ({"site_url": site_url} if site_url else {})
    posts = [item(p) for b in asyncio.run(drain(ReplaySource(config=config))) for p in b.posts]
    avatars = {p["author"]["avatar_url"] for p in posts if "author" in p} - {""}
    photos = {m["url"] for p in posts for m in p.get("media", [])}
    if not expected:
        assert avatars == set() and photos == {""}
        return
    assert {url[: len(expected)] for url in avatars | photos} == {expected}
    assert len(avatars) > 20 and len(photos) >= 5 and f"{expected}avatars/ana.svg" in avatars


@pytest.mark.django_db
def test_replayed_demo_posts_are_stored_with_their_static_avatars(settings):
    settings.STATIC_URL = "/static/"
    wall = Wall.objects.create(name="DjangoCon", slug="djangocon", hashtags=["djangocon"])
    source = wall.sources.create(name="demo", kind="replay")
    config = {"rate": 0, "site_url": "http://127.0.0.1:8001"}
    batches = asyncio.run(drain(ReplaySource(config=config, limit=20)))
    ingest(source, [post for batch in batches for post in batch.posts])
    avatars = set(Post.objects.values_list("author__avatar_url", flat=True))
    assert "" in avatars or avatars  # some authors have no picture
    assert {a for a in avatars if a} and all(
        a.startswith("http://127.0.0.1:8001/static/crowdwall/demo/avatars/") for a in avatars if a
    )


def stamped(path: Path, seconds: list[float]) -> Path:
    start = datetime(2025, 5, 14, 8, 0, tzinfo=UTC)
    lines = [
        {"id": f"p{i}", "created_at": (start + timedelta(seconds=s)).isoformat()}
        for i, s in enumerate(seconds)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_recorded_gaps_are_scaled_by_speed_and_capped(tmp_path: Path):
    path = stamped(tmp_path / "day.jsonl", [0, 0, 10, 4000])
    source = ReplaySource(config={"pacing": "recorded", "speed": 2.0, "path": str(path)})
    records = read_lines(path)
    assert [source.gap(p, records) for p in range(6)] == [0.0, 0.0, 5.0, MAX_GAP, LAP_GAP / 2, 0]


def test_recorded_pacing_sends_a_burst_together_and_waits_out_the_gap(tmp_path: Path):
    path = stamped(tmp_path / "day.jsonl", [0, 0.5, 1, 41])
    config = {"pacing": "recorded", "speed": 100.0, "retime": False, "path": str(path)}

    async def timed() -> list[tuple[float, list[str]]]:
        loop = asyncio.get_running_loop()
        start, out = loop.time(), []
        async for batch in ReplaySource(config=config).stream(Cursor()):
            out.append((loop.time() - start, [item(p)["id"] for p in batch.posts]))
        return out

    batches = asyncio.run(timed())
    assert [i for _, ids_ in batches for i in ids_] == ["p0", "p1", "p2", "p3"]
    last = batches[-1]
    assert last[1] == ["p3"] and last[0] >= (41 - 1) / 100  # 0.4 s after p2: the quiet spell
    assert batches[0][0] < 0.3  # the first at once


def test_keep_deletes_each_post_again_keep_lines_later(tmp_path: Path):
    path = tmp_path / "three.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}"}) + "\n" for i in range(3)))
    source = replay(path=str(path), loop=True, limit=6, keep=2, batch_size=1)
    items = [item(p) for b in asyncio.run(drain(source)) for p in b.posts]
    deleted = [p["id"] for p in items if p.get("action") == "delete"]
    created = [p["id"] for p in items if p.get("action") != "delete"]
    assert created == ["p0", "p1", "p2", "p0~1", "p1~1", "p2~1"]
    assert deleted == ["p0", "p1", "p2", "p0~1"]


def test_keep_asks_for_the_erased_rows_to_go_every_batch_size_deletions(tmp_path: Path):
    """The runner removes the erased rows when a batch says so (``prune_deleted``): once per
    ``batch_size`` deletions, counted from the cursor, so a resumed replay keeps the rhythm."""
    path = tmp_path / "ten.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i}"}) + "\n" for i in range(10)))
    source = replay(path=str(path), loop=True, limit=30, keep=5, batch_size=4)
    batches = asyncio.run(drain(source))
    deleted, pruned_after = 0, []
    for batch in batches:
        deleted += sum(item(p).get("action") == "delete" for p in batch.posts)
        if batch.prune_deleted:
            pruned_after.append(deleted)
    # Batches of four lines delete lines 0-2, 3-6, 7-10, …: the batch whose deletions pass
    # line 4, 8, 12, … asks, so never more than a batch of erased rows waits.
    assert pruned_after == [7, 11, 15, 19, 23, 25]
    assert not any(b.prune_deleted for b in asyncio.run(drain(replay(path=str(path)))))


@pytest.mark.django_db
def test_a_looping_demo_with_keep_holds_at_most_keep_posts_on_the_wall(
    django_capture_on_commit_callbacks,
):
    wall = Wall.objects.create(name="DjangoCon", slug="djangocon", hashtags=["djangocon", "python"])
    source = wall.sources.create(name="demo", kind="replay")
    config = {"rate": 0, "loop": True, "keep": 40, "batch_size": 25}
    shown = []
    for batch in asyncio.run(drain(ReplaySource(config=config, limit=len(RECORDS) * 2 + 7))):
        with django_capture_on_commit_callbacks(execute=True):
            ingest(source, batch.posts, cursor=batch.cursor.value)
        shown.append(PostWall.objects.filter(wall=wall, state="approved").count())
    assert max(shown) <= 40 and shown[-1] >= 30
