"""Server-rendered wall pages: the wall list, each wall's page and archive (JavaScript optional).

The archive is paginated by position, never by OFFSET: ``?before=<post id>`` shows the posts
older than that post, ``?after=<post id>`` the newer ones (``?before=<ISO time>`` works too).
Each page is one range scan of the ``crowdwall_pw_archive`` index however deep it is, and stays
stable while new posts arrive. ``?talk=<id>`` narrows it to the posts written during one talk of
the wall's schedule (``crowdwall.schedule.archive``). Pages are cached with herdcache under the wall's tag; the ingest
pipeline and moderation soft-purge that tag when what the wall shows changes.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

import herdcache
from crowdwall.caching import WALL_LIST_TAG, wall_tag
from crowdwall.conf import conf
from crowdwall.models import ModerationState, PostWall, Schedule, Wall
from crowdwall.params import BadParameter, parse_id, parse_moment
from crowdwall.schedule.archive import BadTalk, archive_talk, during

_NO_POST = "No such post on this wall."


class BadPosition(ValueError):
    """A ``before``/``after`` value that is neither an approved post id on this wall nor an ISO
    time."""


def position(wall: Wall, value: str) -> tuple[datetime, int | None]:
    """Where ``value`` (an approved post's id on ``wall``, or an ISO time) sits: (created_at,
    post id or None); raises ``BadPosition``.

    Only approved posts are positions: a pending, hidden or rejected id answers exactly like an
    unknown one, so nobody can probe which ids wait in the moderation queue.
    """
    value = value.strip()
    if value.isascii() and value.isdigit():
        try:
            post_id = parse_id(value)
        except BadParameter:
            raise BadPosition(_NO_POST) from None
        created = (
            PostWall.objects.filter(wall=wall, post_id=post_id, state=ModerationState.APPROVED)
            .values_list("created_at", flat=True)
            .first()
        )
        if created is None:
            raise BadPosition(_NO_POST)
        return created, post_id
    try:
        return parse_moment(value), None
    except BadParameter as exc:
        raise BadPosition(f"Not a post id or an ISO time ({exc})") from None


def older(qs: QuerySet[PostWall], moment: datetime, post_id: int | None) -> QuerySet[PostWall]:
    """The entries of ``qs`` placed after (older than) a ``position``."""
    if post_id is None:
        return qs.filter(created_at__lt=moment)
    return qs.filter(created_at__lte=moment).exclude(Q(created_at=moment) & Q(post_id__gte=post_id))


def _newer(qs: QuerySet[PostWall], moment: datetime, post_id: int | None) -> QuerySet[PostWall]:
    if post_id is None:
        return qs.filter(created_at__gt=moment)
    return qs.filter(created_at__gte=moment).exclude(Q(created_at=moment) & Q(post_id__lte=post_id))


def _archive(request: HttpRequest, slug: str) -> HttpResponse:
    wall = get_object_or_404(Wall, slug=slug, is_active=True)
    size = conf.ARCHIVE_PAGE_SIZE
    approved = PostWall.objects.filter(wall=wall, state=ModerationState.APPROVED).select_related(
        "post", "author"
    )
    before, after = request.GET.get("before"), request.GET.get("after")
    talk, talk_query = None, request.GET.get("talk", "")
    try:
        if talk_query:  # one talk's posts (crowdwall.schedule.archive)
            talk = archive_talk(wall, talk_query)
            approved = during(approved, talk)
        if before:
            entries = list(
                older(approved, *position(wall, before)).order_by("-created_at", "-post_id")[
                    : size + 1
                ]
            )
            has_older, has_newer = len(entries) > size, True
            entries = entries[:size]
        elif after:
            entries = list(
                _newer(approved, *position(wall, after)).order_by("created_at", "post_id")[
                    : size + 1
                ]
            )
            has_older, has_newer = True, len(entries) > size
            entries = entries[:size][::-1]
        else:
            entries = list(approved.order_by("-created_at", "-post_id")[: size + 1])
            has_older, has_newer = len(entries) > size, False
            entries = entries[:size]
    except (BadPosition, BadTalk) as exc:
        # Not cached (status 400), so nobody can fill the cache with junk positions.
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    base = reverse("crowdwall:archive", args=[wall.slug])
    first_page = not before and not after
    newest = f"{base}?talk={talk.pk}" if talk else base
    step = f"{newest}&" if talk else f"{base}?"
    context: dict[str, Any] = {
        "wall": wall,
        "talk": talk,
        "has_schedule": talk is not None or Schedule.objects.filter(wall=wall).exists(),
        "entries": entries,
        "pinned": list(approved.filter(pinned=True).order_by("-created_at")[:size])
        if first_page and talk is None
        else [],
        "older_url": f"{step}before={entries[-1].post_id}" if entries and has_older else "",
        "newer_url": f"{step}after={entries[0].post_id}" if entries and has_newer else "",
        "newest_url": newest if not first_page else "",
    }
    return render(request, "crowdwall/archive.html", context)


def _wall(request: HttpRequest, slug: str) -> HttpResponse:
    wall = get_object_or_404(Wall, slug=slug, is_active=True)
    approved = PostWall.objects.filter(wall=wall, state=ModerationState.APPROVED)
    context: dict[str, Any] = {
        "wall": wall,
        "page_size": conf.ARCHIVE_PAGE_SIZE,
        "pinned": list(
            approved.filter(pinned=True)
            .select_related("post", "author")
            .order_by("-created_at")[: conf.ARCHIVE_PAGE_SIZE]
        ),
        # Where live catch-up starts: one index lookup on (wall, state, post).
        "last_id": approved.aggregate(last=Max("post_id"))["last"],
    }
    return render(request, "crowdwall/wall.html", context)


def _wall_list(request: HttpRequest) -> HttpResponse:
    walls = Wall.objects.filter(is_active=True).order_by("name")
    return render(request, "crowdwall/wall_list.html", {"walls": walls})


def _archive_tags(request: HttpRequest, slug: str) -> list[str]:
    return [wall_tag(slug)]


@lru_cache(maxsize=8)
def _cached_archive(timeout: int) -> Any:
    return herdcache.cache_page(
        timeout, tags=_archive_tags, only_get_keys=["before", "after", "talk"]
    )(_archive)


@lru_cache(maxsize=8)
def _cached_wall(timeout: int) -> Any:
    # Tagged like the archive, so ingest and moderation purge it; no query string matters.
    return herdcache.cache_page(timeout, tags=_archive_tags, only_get_keys=[])(_wall)


@lru_cache(maxsize=8)
def _cached_wall_list(timeout: int) -> Any:
    return herdcache.cache_page(timeout, tags=[WALL_LIST_TAG], only_get_keys=[])(_wall_list)


def archive(request: HttpRequest, slug: str) -> HttpResponse:
    """A wall's approved posts, newest first, one page at a time."""
    # The timeout is read per request (settings at use time); one decorated view per value.
    return _cached_archive(conf.ARCHIVE_CACHE_SECONDS)(request, slug)


def wall(request: HttpRequest, slug: str) -> HttpResponse:
    """A wall's page: its latest posts and figures, server-rendered; the live script (when
    there is one) attaches to ``#wall-posts`` and adds newer posts."""
    return _cached_wall(conf.ARCHIVE_CACHE_SECONDS)(request, slug)


def wall_list(request: HttpRequest) -> HttpResponse:
    """The active walls, with links to their archives."""
    return _cached_wall_list(conf.ARCHIVE_CACHE_SECONDS)(request)
