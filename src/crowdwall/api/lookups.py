"""Shared lookups of the routers: walls by slug (public or staff view), posts as output dicts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from crowdwall.api.errors import ApiError
from crowdwall.live.frames import post_payload
from crowdwall.models import Author, PostWall, Wall


def public_wall(slug: str, staff: Any = None) -> Wall:
    """An active wall (staff also see inactive ones); 404 otherwise."""
    qs = Wall.objects.all() if staff is not None else Wall.objects.filter(is_active=True)
    wall = qs.filter(slug=slug).first()
    if wall is None:
        raise ApiError(404, f"No wall {slug!r}.", code="not_found")
    return wall


def staff_wall(slug: str) -> Wall:
    """Any wall, active or not, for staff operations; 404 otherwise."""
    return public_wall(slug, staff=True)


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
