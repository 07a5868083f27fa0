"""jetstream: how fast the Bluesky source filters the firehose, against plain ``json.loads``.

Without ``wantedDids`` Jetstream sends every post on the network, and a reconnect may replay
~36 hours of them, so the filter must be much faster than the network (hundreds of posts a
second live): the target is 50,000 non-matching events a second in one process.

Generated events stand in for the real stream (seeded, so every run sees the same): post
creations (~45 % English, the rest Japanese (a tenth with fullwidth letters), Portuguese,
Spanish, German, Korean; a third with emoji),
replies with their references, link/mention/tag facets, image and link-card embeds, ``&`` that
Jetstream escapes as ``\\u0026``, ~10 % deletions, ~1 % identity and account events; ~0.2 % of
posts carry the wall's hashtag or keyword. Measured in this process, best of ``--rounds``:

- baseline: ``json.loads`` of every frame (what any parse-first filter pays at least);
- the adapter's filter path, ``JetstreamFilter.feed`` (prefilter, parse, match, convert, dedupe);
- the same with a needle that occurs in every event (``bsky``): the prefilter never rejects,
  so every event is parsed and matched exactly (the worst case);
- end to end: ``BlueskySource.stream`` reading the events from the fake Jetstream over a
  loopback WebSocket (the server in a child process), which adds the WebSocket client's cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import time
from collections.abc import Callable
from typing import Any

from bench.measure import env_int
from bench.report import Result, Row, console

NAME = "jetstream"
TARGET = 50_000  # non-matching events per second, one process
T0 = 1_747_213_200_000_000
HASHTAGS = ["djangocon"]
KEYWORDS = ["django", '"django girls"']

_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_VOCABULARY = {
    "en": "the a of and to in is it that for on with this just so my what today really good new "
    "time people love great think know thanks morning coffee weather again going back still "
    "work book music game photo night week feel friends city train",
    "pt": "não é que de um uma para com está você muito bom dia obrigado então mais também "
    "ação coração amanhã trabalho música",
    "es": "el la que de y en un una por con para está muy bien gracias mañana también "
    "canción corazón año niño",
    "de": "der die das und ist nicht ein eine ich mit auf für heute schön größer Straße "
    "müde über Grüße",
    "ja": "今日は とても 良い 天気 ですね 散歩 したい みなさん 何を していますか ありがとう 仕事 "
    "終わった 疲れた ラーメン 食べたい ！ ？ 。 、",
    "ko": "오늘 날씨가 정말 좋네요 감사합니다 커피 한잔 어때요",
}
_WORDS = {lang: words.split() for lang, words in _VOCABULARY.items()}
_LANGS = ["en"] * 45 + ["ja"] * 20 + ["pt"] * 15 + ["es"] * 7 + ["de"] * 7 + ["ko"] * 6
_EMOJI = ["🌸", "😂", "🔥", "❤️", "🎉", "👍", "🙏", "✨", "🦋", "☕"]
_OTHER_TAGS = ["art", "photography", "bookstodon", "gamedev", "nowplaying", "イラスト"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(NAME)
    group.add_argument(
        "--jetstream-events",
        type=int,
        default=env_int("BENCH_JETSTREAM_EVENTS", 200_000),
        help="generated Jetstream events per run [BENCH_JETSTREAM_EVENTS, 200000]",
    )
    group.add_argument(
        "--jetstream-rounds",
        type=int,
        default=env_int("BENCH_JETSTREAM_ROUNDS", 3),
        help="timed passes over the events, best kept [BENCH_JETSTREAM_ROUNDS, 3]",
    )


# Events ------------------------------------------------------------------------------------


class _Generator:
    def __init__(self, seed: int = 2025) -> None:
        self.rng = random.Random(seed)
        self.dids = [self.did() for _ in range(5000)]

    def token(self, length: int) -> str:
        return "".join(self.rng.choices(_B32, k=length))

    def did(self) -> str:
        return "did:plc:" + self.token(24)

    def cid(self) -> str:
        return "bafyrei" + self.token(52)

    def uri(self) -> str:
        return f"at://{self.rng.choice(self.dids)}/app.bsky.feed.post/{self.token(13)}"

    def blob(self) -> dict[str, Any]:
        size = self.rng.randint(20_000, 900_000)
        return {
            "$type": "blob",
            "ref": {"$link": self.cid()},
            "mimeType": "image/jpeg",
            "size": size,
        }

    def text(self, lang: str) -> str:
        words = [self.rng.choice(_WORDS[lang]) for _ in range(self.rng.randint(3, 40))]
        joiner = "" if lang == "ja" else " "
        text = joiner.join(words)
        if lang == "ja" and self.rng.random() < 0.1:
            text += self.rng.choice(["ＡＩ", "ＰＣ", "１２３"])  # fullwidth: the prefilter parses
        if self.rng.random() < 0.3:
            text += " " + self.rng.choice(_EMOJI)
        if self.rng.random() < 0.05:
            text += " & more"
        if self.rng.random() < 0.2:
            text += "\n\n" + joiner.join(self.rng.choice(_WORDS[lang]) for _ in range(5))
        return text

    def record(self, match: bool) -> dict[str, Any]:
        lang = self.rng.choice(_LANGS)
        text = self.text(lang)
        facets: list[dict[str, Any]] = []
        if match:
            text += self.rng.choice([" #DjangoCon", " Django girls rock", " #djangocon 🎉"])
        elif self.rng.random() < 0.08:
            tag = self.rng.choice(_OTHER_TAGS)
            start = len(text.encode()) + 1
            text += f" #{tag}"
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
            index = {"byteStart": start, "byteEnd": len(text.encode())}
            facets.append({"features": [feature], "index": index})
        if self.rng.random() < 0.15:
            start = len(text.encode()) + 1
            text += " example.com/articles/2025/…"
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a/1"}
            index = {"byteStart": start, "byteEnd": len(text.encode())}
            facets.append({"features": [feature], "index": index})
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "createdAt": "2025-05-14T09:00:00.000Z",
            "langs": [lang],
            "text": text,
        }
        if facets:
            record["facets"] = facets
        if self.rng.random() < 0.4:
            parent = {"cid": self.cid(), "uri": self.uri()}
            record["reply"] = {"parent": parent, "root": dict(parent)}
        roll = self.rng.random()
        if roll < 0.2:
            images = [
                {"alt": self.text("en")[:80], "aspectRatio": {"height": 1080, "width": 1440},
                 "image": self.blob()}
                for _ in range(self.rng.randint(1, 3))
            ]  # fmt: skip
            record["embed"] = {"$type": "app.bsky.embed.images", "images": images}
        elif roll < 0.3:
            external = {"description": self.text("en")[:100], "thumb": self.blob(),
                        "title": "An article", "uri": "https://example.com/articles/1"}  # fmt: skip
            record["embed"] = {"$type": "app.bsky.embed.external", "external": external}
        return record

    def events(self, count: int, match_rate: float = 0.002) -> list[str]:
        from tests.crowdwall.fakes.jetstream import encode

        frames = []
        for number in range(count):
            time_us = T0 + number * 250
            did = self.rng.choice(self.dids)
            roll = self.rng.random()
            if roll < 0.005:
                identity = {"did": did, "handle": f"{self.token(8)}.bsky.social", "seq": number}
                event = {"did": did, "time_us": time_us, "kind": "identity", "identity": identity}
            elif roll < 0.01:
                account = {"active": True, "did": did, "seq": number}
                event = {"did": did, "time_us": time_us, "kind": "account", "account": account}
            else:
                commit: dict[str, Any] = {
                    "rev": self.token(13),
                    "operation": "delete" if roll < 0.11 else "create",
                    "collection": "app.bsky.feed.post",
                    "rkey": self.token(13),
                }
                if roll >= 0.11:
                    commit["record"] = self.record(self.rng.random() < match_rate)
                    commit["cid"] = self.cid()
                event = {"did": did, "time_us": time_us, "kind": "commit", "commit": commit}
            frames.append(encode(event))
        return frames


# Measuring ---------------------------------------------------------------------------------


def _best_rate(frames: list[str], make: Callable[[], Callable[[str], Any]], rounds: int) -> float:
    best = 0.0
    for _ in range(rounds):
        handle = make()
        started = time.perf_counter()
        for raw in frames:
            handle(raw)
        best = max(best, len(frames) / (time.perf_counter() - started))
    return best


def _serve(frames: list[str], ready: Any, done: Any) -> None:
    """Child process: the fake Jetstream holding ``frames``, until ``done`` is set."""
    from tests.crowdwall.fakes.jetstream import FakeJetstream

    with FakeJetstream(compression=None) as fake:
        fake.append_raw(*frames, time_us=T0)
        ready.put(fake.url)
        done.wait()


class _NoLabels:
    """No labelled accounts and nowhere to apply changes (the benchmark has no database)."""

    async def labelled(self, limit: int) -> list[str]:
        return []

    async def apply(self, changes: Any) -> None:
        pass


async def _end_to_end(url: str, count: int) -> tuple[float, dict[str, Any]]:
    from crowdwall.sources.base import Cursor
    from crowdwall.sources.bluesky import BlueskySource

    # Progress batches every 0.1 s let us notice the end; they cost nothing measurable.
    config = {"endpoint": url, "keywords": KEYWORDS, "overlap": 0, "progress_interval": 0.1}
    config["profile_lookup"] = False  # no AppView in the benchmark
    source = BlueskySource(config=config, wall_hashtags=HASHTAGS, labels=_NoLabels())
    started = time.perf_counter()
    stream = source.stream(Cursor(str(T0)))
    async with asyncio.timeout(300):
        async for _ in stream:
            if source.filter.events >= count:
                break
    elapsed = time.perf_counter() - started
    await stream.aclose()  # type: ignore[attr-defined]
    return source.filter.events / elapsed, source.filter.stats()


def _measure_end_to_end(frames: list[str]) -> tuple[float, dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    ready, done = context.Queue(), context.Event()
    child = context.Process(target=_serve, args=(frames, ready, done), daemon=True)
    child.start()
    try:
        url = ready.get(timeout=120)
        return asyncio.run(_end_to_end(url, len(frames)))
    finally:
        done.set()
        child.join(timeout=30)
        if child.is_alive():
            child.kill()


def run(args: argparse.Namespace) -> Result:
    from crowdwall.sources.bluesky_events import JetstreamFilter

    frames = _Generator().events(args.jetstream_events)
    size = sum(len(f.encode()) for f in frames) / len(frames)
    console.print(f"  {len(frames):,} events, {size:.0f} bytes each on average")
    rounds = max(1, args.jetstream_rounds)

    def wall_filter() -> Callable[[str], Any]:
        return JetstreamFilter(hashtags=HASHTAGS, keywords=KEYWORDS).feed

    def defeated_filter() -> Callable[[str], Any]:
        return JetstreamFilter(hashtags=HASHTAGS, keywords=[*KEYWORDS, "bsky"]).feed

    baseline = _best_rate(frames, lambda: json.loads, rounds)
    filtered = _best_rate(frames, wall_filter, rounds)
    worst = _best_rate(frames, defeated_filter, rounds)
    probe = JetstreamFilter(hashtags=HASHTAGS, keywords=KEYWORDS)
    for raw in frames:
        probe.feed(raw)
    stats = probe.stats()
    end_to_end, e2e_stats = _measure_end_to_end(frames)
    unparsed = stats["skipped unparsed"] / stats["events"]
    result = Result(
        details={
            "events": len(frames),
            "bytes_per_event": round(size),
            "json_loads_per_s": round(baseline),
            "filter_per_s": round(filtered),
            "filter_prefilter_defeated_per_s": round(worst),
            "end_to_end_per_s": round(end_to_end),
            "filter_stats": stats,
            "end_to_end_stats": e2e_stats,
        }
    )
    target = f"target ≥ {TARGET:,}/s: {'met' if filtered >= TARGET else 'MISSED'}"
    result.rows = [
        Row(NAME, "events filtered, json.loads vs adapter filter", "events/s", baseline,
            filtered, f"{unparsed:.0%} dropped unparsed; {stats['posts']} posts, "
            f"{stats['deletions']} deletions out; {target}"),
        Row(NAME, "events filtered, prefilter defeated (every event parsed)", "events/s",
            baseline, worst, "needle 'bsky' occurs in every event"),
        Row(NAME, "end to end over a loopback WebSocket", "events/s", baseline, end_to_end,
            "BlueskySource.stream, fake Jetstream in a child process"),
    ]  # fmt: skip
    return result


if __name__ == "__main__":  # quick run without the suite: python -m bench.jetstream
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    for row in run(parser.parse_args()).rows:
        print(f"{row.metric}: baseline {row.baseline:,.0f}, ours {row.herdcache:,.0f} ({row.note})")
