"""What an adapter may hand to the pipeline for one item, and how the pipeline reads it.

An item is an ``IncomingPost``, a dict in crowdwall's JSON format (``post_json.from_dict``), or a
``Deferred`` item that converts itself: its conversion then runs where the rest of the item is
prepared (in a prepare worker for big batches) instead of in the stream process, whose CPU is
the critical path. ``JSONText`` (our format as text) is one; the Jetstream filter's
``JetstreamPost`` is another.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

import orjson

from crowdwall.exceptions import InvalidPost
from crowdwall.ingest.normalize import IncomingPost
from crowdwall.ingest.post_json import from_dict


class Deferred(Protocol):
    """An item whose conversion to ``IncomingPost`` is left to the pipeline: it then runs
    where the rest of the item is prepared (in a prepare worker for big batches) instead of
    in the stream process that received it. Must pickle; ``to_post`` may raise
    ``InvalidPost`` (the item is rejected with that reason)."""

    def to_post(self) -> IncomingPost: ...


class JSONText(NamedTuple):
    """One item in crowdwall's JSON format, as text (``Deferred``: parsed by the pipeline).
    ``origin`` says where it came from (a file and line) for the log, should it not parse."""

    text: str
    origin: str = ""

    def to_post(self) -> IncomingPost:
        return from_json(self)


# What an adapter may hand to the pipeline for one item (a dict: crowdwall's JSON format).
Item = IncomingPost | Deferred | Mapping[str, Any]


def to_incoming(item: Item) -> IncomingPost:
    """``item`` as an ``IncomingPost``: converted if ``Deferred``, parsed if a dict."""
    if isinstance(item, IncomingPost):
        return item
    to_post = getattr(item, "to_post", None)
    return to_post() if to_post is not None else from_dict(item)


def loads(text: str | bytes) -> Any:
    """JSON text parsed with orjson (fast and strict), or with json when orjson refuses it for
    a lone surrogate escape (``"\\ud800"``), which json accepts, as the webhook does:
    ``clean_post`` then makes it U+FFFD rather than the post being lost. ``ValueError`` if
    it is not JSON."""
    try:
        return orjson.loads(text)
    except ValueError as exc:  # orjson.JSONDecodeError
        if "surrogate" not in str(exc):
            raise
    try:
        return json.loads(text)
    except RecursionError:  # json recurses where orjson stops at a depth: the same refusal
        raise ValueError("nested too deeply") from None


def from_json(item: JSONText) -> IncomingPost:
    """Parse one post from crowdwall's JSON format as text (see ``JSONText``)."""
    try:
        data = loads(item.text)
    except ValueError as exc:
        raise InvalidPost(
            "not JSON", f"{item.origin}: {exc}" if item.origin else str(exc)
        ) from None
    return from_dict(data)
