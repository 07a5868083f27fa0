"""Sources: one adapter per external system behind ``base.SourceAdapter``.

``kinds`` lists what can be configured (and validates configs); ``adapter_for(source)`` builds
the adapter of a configured ``Source`` row. Implemented: ``replay`` (demo data), ``mastodon``
(REST polling + streaming), ``bluesky`` (Jetstream), ``rss`` (RSS/Atom) and ``webhook`` (pushed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from crowdwall.exceptions import SourceError
from crowdwall.sources.kinds import KINDS, get_kind

if TYPE_CHECKING:
    from crowdwall.models import Source
    from crowdwall.sources.base import SourceAdapter

__all__ = ["KINDS", "adapter_for", "get_kind"]


def adapter_for(
    source: Source, *, adapter_options: Mapping[str, Any] | None = None, **overrides: Any
) -> SourceAdapter:
    """The adapter for a configured source; ``overrides`` replace config keys (``rate``...),
    except ``limit`` which caps the posts streamed; ``adapter_options`` go to the adapter's
    constructor (timeouts, backoff: the console's short test). ``SourceError`` if it cannot run."""
    kind = get_kind(source.kind)
    if kind.adapter is None:
        raise SourceError(f"Source kind {kind.name!r} has no adapter yet.")
    limit = overrides.pop("limit", None)
    try:
        config = kind.validate({**(source.config or {}), **overrides})
    except ValueError as exc:
        raise SourceError(f"Source {source.name!r}: {exc}") from exc
    adapter_class = import_string(kind.adapter)
    return adapter_class(
        name=source.name,
        config=config,
        secret=source.secret,
        wall_hashtags=list(source.wall.hashtags or ()),
        limit=limit,
        **(adapter_options or {}),
    )
