"""A wall's analytics through the API (staff only): the analytics page's figures as JSON.

``GET /api/walls/{slug}/analytics/?range=hour|day|event|custom&start=&end=``; a bad range is a
422 naming the parameter in ``fields``. Like the page, it refreshes the wall's rollups first and
reads only rollups (``crowdwall.analytics``; definitions in docs/analytics.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from crowdwall.analytics.figures import analytics
from crowdwall.analytics.ranges import RangeError, parse_range
from crowdwall.analytics.rollup import refresh
from crowdwall.api.auth import STAFF
from crowdwall.api.errors import ApiError
from crowdwall.api.lookups import wall_for

router = Router(tags=["analytics"], auth=STAFF)

RangeName = Literal["hour", "day", "event", "custom"]


class RangeOut(Schema):
    kind: RangeName
    start: datetime
    end: datetime
    step_minutes: int


class PointOut(Schema):
    at: datetime
    posts: int
    approved: int


class TotalsOut(Schema):
    posts: int
    approved: int
    pending: int
    rejected: int
    deleted: int


class SourceCountOut(Schema):
    source_id: int
    name: str
    network: str
    posts: int
    approved: int
    pending: int
    rejected: int
    deleted: int


class NetworkCountOut(Schema):
    network: str
    posts: int
    approved: int


class HashtagCountOut(Schema):
    tag: str
    posts: int


class AuthorCountOut(Schema):
    handle: str
    display_name: str
    approved: int
    posts: int


class ModerationFiguresOut(Schema):
    approval_rate: float | None
    median_seconds_to_approve: float | None
    removals: int


class AnalyticsOut(Schema):
    """A wall's figures over a range (docs/analytics.md)."""

    slug: str
    range: RangeOut
    totals: TotalsOut
    posts_per_step: list[PointOut]
    sources: list[SourceCountOut]
    networks: list[NetworkCountOut]
    top_hashtags: list[HashtagCountOut]
    top_authors: list[AuthorCountOut]
    unique_posters: int
    moderation: ModerationFiguresOut
    screens_online: int | None


_RANGE = Query(
    "hour", alias="range", description="Last hour, last 24 hours, the whole event, or custom."
)
_START = Query(None, description="Custom range: ISO 8601 date or time (UTC if naive).")
_END = Query(None, description="Custom range: ISO 8601 date or time, after start.")


@router.get("/{slug}/analytics/", response=AnalyticsOut, summary="The wall's analytics")
def wall_analytics(
    request: HttpRequest,
    slug: str,
    kind: RangeName = _RANGE,  # type: ignore[assignment]
    start: str | None = _START,  # type: ignore[assignment]
    end: str | None = _END,  # type: ignore[assignment]
) -> dict[str, Any]:
    """Posts per minute (or coarser step), by source and network, top hashtags and authors,
    unique posters, moderation figures and screens online (null: unknown)."""
    wall = wall_for(request, slug, "view")
    refresh(wall.pk)  # first: "event" is the span of the rollups
    try:
        span = parse_range(wall.pk, kind, start, end)
    except RangeError as exc:
        raise ApiError(422, "The request is not valid.", fields={exc.field: [str(exc)]}) from None
    found = analytics(wall, span)
    return {
        "slug": wall.slug,
        "range": {
            "kind": span.kind,
            "start": span.start_at,
            "end": span.end_at,
            "step_minutes": found.step,
        },
        "totals": found.totals,
        "posts_per_step": found.series,
        "sources": found.sources,
        "networks": found.networks,
        "top_hashtags": found.top_hashtags,
        "top_authors": found.top_authors,
        "unique_posters": found.unique_posters,
        "moderation": {
            "approval_rate": found.approval_rate,
            "median_seconds_to_approve": found.median_wait_seconds,
            "removals": found.removals,
        },
        "screens_online": found.screens_online,
    }
