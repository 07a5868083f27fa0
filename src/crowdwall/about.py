"""``/walls/<slug>/about/``: what a wall collects, from where, for how long, and how to opt out.

Written for the people whose posts may appear: linked from the big screen's banner (as text,
since nobody clicks a screen) and from the wall page's footer. Everything on it is read from
the wall's own configuration, so it cannot drift from what the wall really does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

import herdcache
from crowdwall.caching import wall_tag
from crowdwall.conf import conf
from crowdwall.models import Source, Wall
from crowdwall.sources.kinds import get_kind
from crowdwall.states import SourceScope


def _where(source: Source) -> str:
    """Where a source reads from, as a visitor would name it (a host, never a secret)."""
    kind = get_kind(source.kind)
    url = str(source.config.get(kind.url_key, "")) if kind.url_key else ""
    host = urlsplit(url).hostname if url.startswith(("https://", "http://", "wss://")) else ""
    if source.kind == "bluesky":
        return "Bluesky (the public network firehose)"
    if source.kind == "webhook":
        return "posts the organisers send in themselves"
    if source.kind == "replay":
        return "made-up demonstration posts"
    return f"{kind.label} {host}".strip() if host else kind.label


def collected_from(wall: Wall) -> list[str]:
    """The places this wall's posts come from: its own sources, then the other walls' sources
    that may reach it (scope "any"), each named once."""
    sources = Source.objects.filter(enabled=True).filter(
        Q(wall=wall) | Q(scope=SourceScope.ANY, kind__in=["mastodon", "bluesky"])
    )
    names: dict[str, None] = {}
    for source in sources.order_by("kind", "name"):
        try:
            names[_where(source)] = None
        except ValueError:  # an unknown kind cannot run: it collects nothing
            continue
    return list(names)


def _about(request: HttpRequest, slug: str) -> HttpResponse:
    wall = get_object_or_404(Wall, slug=slug, is_active=True)
    contact = conf.CONTACT_URL
    context: dict[str, Any] = {
        "wall": wall,
        "networks": collected_from(wall),
        "contact": contact,
        "contact_is_mail": contact.startswith("mailto:"),
    }
    return render(request, "crowdwall/about.html", context)


def _tags(request: HttpRequest, slug: str) -> list[str]:
    return [wall_tag(slug)]


@lru_cache(maxsize=8)
def _cached(timeout: int) -> Any:
    return herdcache.cache_page(timeout, tags=_tags, only_get_keys=[])(_about)


def about(request: HttpRequest, slug: str) -> HttpResponse:
    """The wall's about page (cached like its other pages, purged with them)."""
    return _cached(conf.ARCHIVE_CACHE_SECONDS)(request, slug)
