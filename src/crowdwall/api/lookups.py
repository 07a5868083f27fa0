"""Shared lookups of the routers: walls by slug (public view, or checked against the caller's
role on it: ``crowdwall.moderation.access``), posts as output dicts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from crowdwall.api.errors import ApiError
from crowdwall.live.frames import post_payload
from crowdwall.models import Author, PostWall, Wall
from crowdwall.moderation.access import REFUSED, may


def public_wall(slug: str, staff: Any = None) -> Wall:
    """An active wall (those who may view it also see it inactive); 404 otherwise."""
    wall = Wall.objects.filter(slug=slug).first()
    if wall is None or not (wall.is_active or viewer_of(staff, wall) is not None):
        raise ApiError(404, f"No wall {slug!r}.", code="not_found")
    return wall


def viewer_of(staff: Any, wall: Wall) -> Any:
    """``staff`` when they may view ``wall``'s moderation (held posts, states), else ``None``."""
    return staff if staff is not None and may(staff, wall, "view") else None


def wall_for(request: HttpRequest, slug: str, action: str) -> Wall:
    """Any wall, active or not, when the caller may ``action`` on it; 404 or 403 otherwise."""
    wall = Wall.objects.filter(slug=slug).first()
    if wall is None:
        raise ApiError(404, f"No wall {slug!r}.", code="not_found")
    if not may(request.auth, wall, action):  # type: ignore[attr-defined]
        raise ApiError(403, REFUSED)
    return wall


def site_wide(request: HttpRequest, action: str) -> None:
    """403 unless the caller may ``action`` site-wide (create walls, the global never-show)."""
    if not may(request.auth, None, action):  # type: ignore[attr-defined]
        raise ApiError(403, "Only superusers and staff with full access may do this.")


def post_out(entry: PostWall, *, staff: bool) -> dict[str, Any]:
    """A wall entry (with ``post__author`` loaded) in the API's post shape."""
    data = post_payload(entry.post)
    data["pinned"] = entry.pinned
    data["state"] = entry.state if staff else None
    return data


def entries(wall: Wall) -> QuerySet[PostWall]:
    """A wall's entries with what ``post_out`` reads loaded in the same query."""
    return PostWall.objects.filter(wall=wall).select_related("post__author")


def authors_matching(account: str) -> QuerySet[Author]:
    """Authors named by a stable account id, or by ``@handle`` (any case)."""
    account = account.strip()
    if account.startswith("@"):
        return Author.objects.filter(handle__iexact=account.lstrip("@"))
    return Author.objects.filter(key=account)
