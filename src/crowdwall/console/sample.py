""" "Test this source": a few posts fetched from the real endpoint, within a short timeout.

Nothing here touches the database: the caller hands in an unsaved (or saved) ``Source`` with its
wall, and gets back the items the adapter produced, or one sentence saying why there are none
(DNS, refused connection, timeout, 4xx, a document that is no feed). The adapters are the ones
the stream runner uses (``crowdwall.sources.adapter_for``), told to give up instead of retrying:
a console request cannot wait through a backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from crowdwall.exceptions import SourceDisconnected, SourceError
from crowdwall.ingest.items import Item
from crowdwall.models import Source
from crowdwall.sources import adapter_for, outbound
from crowdwall.sources.base import Backoff, Batch, Cursor, SourceAdapter
from crowdwall.sources.kinds import get_kind

logger = logging.getLogger("crowdwall.console")

SAMPLE_SIZE = 20  # posts: enough to see what matches, few enough to read on one page
SAMPLE_TIMEOUT = 10.0  # seconds for the whole test; the request waits for it
_URL_KEYS = ("url", "instance", "endpoint", "site_url")  # the kinds' endpoint settings


@dataclass(slots=True)
class Sample:
    """What a test fetch brought: ``items`` (raw, as the adapter gives them) or ``error``."""

    items: list[Item] = field(default_factory=list)
    error: str = ""
    note: str = ""  # something worth knowing that is not an error (a live stream was quiet)


class _GiveUp(Exception):
    """Raised instead of the backoff's sleep: the first failed connection ends the test."""


async def _give_up(delay: float) -> None:
    raise _GiveUp


def _options(kind: str, timeout: float) -> dict[str, Any]:
    """Constructor options that make an adapter fail fast rather than retry."""
    once = Backoff(1.0, 1.0, sleep=_give_up)
    if kind == "mastodon":
        return {"timeout": timeout, "retries": 0, "backoff": once, "retry_backoff": once}
    if kind == "bluesky":
        return {"backoff": once}
    return {}


async def _collect(batches: AsyncIterator[Batch], size: int, items: list[Item]) -> list[Item]:
    """Posts into ``items`` (kept by the caller: a timeout keeps what had arrived)."""
    async for batch in batches:
        items += batch.posts
        if len(items) >= size:
            break
    return items[:size]


async def _fetch(adapter: SourceAdapter, kind: str, size: int, items: list[Item]) -> Sample:
    if kind == "rss":
        feed = await adapter.read_now()  # type: ignore[attr-defined]
        if feed.problem:
            return Sample(error=f"The URL does not serve a usable feed: {feed.problem}.")
        newest = [entry.post for entry in feed.entries[:size]]
        return Sample(newest, note="" if newest else "The feed is valid but has no entries.")
    if kind == "mastodon":  # recent history of its hashtags and accounts
        return Sample(await _collect(adapter.backfill(Cursor(), limit=size), size, items))
    return Sample(await _collect(adapter.stream(Cursor()), size, items))


def _endpoints(source: Source) -> list[str]:
    """The URLs in the source's settings that the test will connect to."""
    try:  # as the adapter gets them, defaults filled in (Bluesky's Jetstream)
        config = get_kind(source.kind).validate(dict(source.config or {}))
    except ValueError:
        return []  # adapter_for refuses it with the reason
    urls = [config.get(key) for key in _URL_KEYS]
    return [url for url in urls if isinstance(url, str) and url]


def _message(exc: BaseException) -> str:
    """One sentence for the organiser about why the fetch failed."""
    if isinstance(exc, _GiveUp) and exc.__context__ is not None:
        exc = exc.__context__  # the connection error the adapter would have retried
    text = str(exc) or type(exc).__name__
    if isinstance(exc, SourceDisconnected):  # what the stream would retry: network, 5xx
        return f"Could not read the source: {text}"
    if isinstance(exc, SourceError):
        return f"The source cannot be read: {text}"
    if isinstance(exc, OSError):
        return f"Could not connect: {text}"
    return f"The test failed: {type(exc).__name__}: {text}"


async def fetch_sample(
    source: Source, *, size: int = SAMPLE_SIZE, timeout: float | None = None
) -> Sample:
    """Up to ``size`` posts from ``source``'s endpoint within ``timeout`` seconds (default
    ``SAMPLE_TIMEOUT``), or an error. ``source`` must have passed ``full_clean`` and have its
    wall set; it need not be saved."""
    timeout = SAMPLE_TIMEOUT if timeout is None else timeout
    if source.kind == "webhook":
        return Sample(note="A webhook has nothing to fetch: posts arrive when they are sent to it.")
    adapter: SourceAdapter | None = None
    items: list[Item] = []
    try:
        with outbound.guarded():  # public addresses only (crowdwall.sources.outbound)
            adapter = adapter_for(
                source, limit=size, adapter_options=_options(source.kind, timeout)
            )
            async with asyncio.timeout(timeout):
                for url in _endpoints(source):  # the WebSocket ones are not httpx's
                    await outbound.check_url(url)
                return await _fetch(adapter, source.kind, size, items)
    except TimeoutError:
        if source.kind == "bluesky":  # a live stream: what arrived is the sample
            return Sample(items[:size], note=f"Listened for {timeout:g} seconds.")
        return Sample(error=f"No answer within {timeout:g} seconds (timeout).")
    except Exception as exc:  # any failure is the organiser's answer, never a 500
        logger.info("Testing source %r failed: %r", source.name, exc)
        return Sample(error=_message(exc))
    finally:
        if adapter is not None:
            await adapter.aclose()
