"""A wall's posts: the filtered, cursor-paginated list (newest first) and single posts.

The public sees approved posts only; staff may ask for any moderation state (``?state=``),
and anyone else asking for one gets 403. Order and cursors follow the archive's index
``(wall, state, -created_at, -post)``, so every page is one range scan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router
from ninja.decorators import decorate_view

from crowdwall import aggregates
from crowdwall.api.auth import staff_of
from crowdwall.api.caching import cache_wall_response
from crowdwall.api.errors import ApiError
from crowdwall.api.lookups import authors_matching, entries, post_out, public_wall, viewer_of
from crowdwall.api.pagination import CURSOR, MAX_LIMIT, paginate
from crowdwall.api.schemas import MAX_ID, PostOut, PostPage
from crowdwall.models import ModerationState
from crowdwall.params import BadParameter, parse_moment

router = Router(tags=["posts"])

StateName = Literal["approved", "pending", "rejected", "deleted", "all"]
_STATE = Query("approved", description="Moderation state (staff only).")
_QUERY = ("since", "before", "author", "state", "limit", "cursor")


def _moment(value: str) -> datetime:
    try:
        return parse_moment(value)
    except BadParameter as exc:
        raise ApiError(
            422, "The request is not valid.", fields={"before": [f"{exc.args[0].capitalize()}."]}
        ) from None


@router.get("/{slug}/posts/", response=PostPage, summary="A wall's posts, newest first")
@decorate_view(cache_wall_response(*_QUERY))
def list_posts(
    request: HttpRequest,
    slug: str,
    since: int | None = Query(None, ge=0, le=MAX_ID, description="Only posts with a higher id."),  # type: ignore[assignment]
    before: str | None = Query(  # type: ignore[assignment]
        None, max_length=64, description="Only posts created before this ISO 8601 time."
    ),
    author: str | None = Query(  # type: ignore[assignment]
        None, min_length=1, max_length=255, description="Stable account id, or @handle."
    ),
    state: StateName = _STATE,  # type: ignore[assignment]
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT),  # type: ignore[assignment]
    cursor: str | None = CURSOR,  # type: ignore[assignment]
) -> dict[str, Any]:
    """Posts on the wall, newest first, one page at a time (follow ``meta.next``)."""
    staff = staff_of(request)
    if state != ModerationState.APPROVED and staff is None:
        raise ApiError(403, "Only staff may list posts that are not approved.")
    wall = public_wall(slug, staff)
    staff = viewer_of(staff, wall)  # a role on another wall shows nothing more here
    if state != ModerationState.APPROVED and staff is None:
        raise ApiError(403, "Your role on this wall does not allow this.")
    qs = entries(wall)
    if state != "all":
        qs = qs.filter(state=state)
    filtered = False
    if since is not None:
        qs, filtered = qs.filter(post_id__gt=since), True
    if before:
        qs, filtered = qs.filter(created_at__lt=_moment(before)), True
    if author:
        qs, filtered = qs.filter(author__in=authors_matching(author)), True
    # The unfiltered public list counts with the wall's cached figure (one cache read);
    # a filtered one is counted exactly (an index range).
    cheap = not filtered and state == ModerationState.APPROVED
    page = paginate(
        request,
        qs,
        fields=["created_at", "post_id"],
        types=[datetime, int],
        key=lambda entry: (entry.created_at, entry.post_id),
        limit=limit,
        cursor=cursor,
        total=(lambda: aggregates.post_count(wall)) if cheap else None,
    )
    page["objects"] = [post_out(entry, staff=staff is not None) for entry in page["objects"]]
    return page


@router.get("/{slug}/posts/{post_id}/", response=PostOut, summary="One post of a wall")
@decorate_view(cache_wall_response())
def get_post(
    request: HttpRequest,
    slug: str,
    post_id: int = Path(..., ge=1, le=MAX_ID),  # type: ignore[assignment]
) -> dict[str, Any]:
    """One approved post (staff: in any state)."""
    staff = staff_of(request)
    wall = public_wall(slug, staff)
    staff = viewer_of(staff, wall)
    qs = entries(wall).filter(post_id=post_id)
    if staff is None:
        qs = qs.filter(state=ModerationState.APPROVED)
    entry = qs.first()
    if entry is None:
        raise ApiError(404, "No such post on this wall.")
    return post_out(entry, staff=staff is not None)
