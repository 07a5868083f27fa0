"""The analytics page of a wall (staff only) and its CSV export.

``/walls/<slug>/analytics/?range=hour|day|event|custom&start=&end=``: figures, a server-side
SVG chart and tables, complete without JavaScript; ``analytics.js`` re-fetches the figures
(``&partial=1``, the same HTML fragment) every few seconds so they move while the event runs.
``/walls/<slug>/analytics/export.csv`` has the same query: one row per minute and source.

Every request first refreshes the wall's rollups (``crowdwall.analytics.rollup.refresh``,
bounded, skipped when another request is already refreshing), then reads only rollups.
"""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from crowdwall.analytics.chart import chart_svg
from crowdwall.analytics.figures import Analytics, analytics
from crowdwall.analytics.grains import minute_start
from crowdwall.analytics.ranges import KINDS, Range, RangeError, input_value, parse_range
from crowdwall.analytics.rollup import refresh
from crowdwall.models import Source, Wall, WallMinute
from crowdwall.moderation.access import wall_required

__all__ = ["export_csv", "page"]

POLL_SECONDS = 5
CSV_COLUMNS = ("minute", "source_id", "source", "network", "posts", "approved", "pending")
CSV_COLUMNS += ("rejected", "deleted")


def _range(request: HttpRequest, wall: Wall) -> Range:
    refresh(wall.pk)  # first: "event" is the span of the rollups
    return parse_range(
        wall.pk, request.GET.get("range"), request.GET.get("start"), request.GET.get("end")
    )


def _query(request: HttpRequest) -> str:
    kept = {k: request.GET[k] for k in ("range", "start", "end") if request.GET.get(k)}
    return urlencode(kept)


def _context(request: HttpRequest, wall: Wall, found: Analytics) -> dict[str, Any]:
    span = found.range
    svg, top = chart_svg(
        found.series,
        label=f"Posts per {found.step} minute(s), {span.start_at:%Y-%m-%d %H:%M} to "
        f"{span.end_at:%Y-%m-%d %H:%M} UTC",
    )
    query = _query(request)
    here = reverse("crowdwall:analytics", args=[wall.slug])
    return {
        "wall": wall,
        "a": found,
        "chart": svg,
        "chart_top": top,
        "poll_url": f"{here}?{query}&partial=1" if query else f"{here}?partial=1",
        "csv_url": reverse("crowdwall:analytics_csv", args=[wall.slug])
        + (f"?{query}" if query else ""),
        "poll_seconds": POLL_SECONDS,
        "updated_at": timezone.now(),
    }


@wall_required("view")
@require_GET
def page(request: HttpRequest, slug: str) -> HttpResponse:
    """The analytics page (or, with ``partial=1``, just its figures, for polling)."""
    wall = get_object_or_404(Wall, slug=slug)
    choice = {
        "kinds": KINDS,
        "kind": request.GET.get("range") or "hour",
        "start": input_value(request.GET.get("start")),
        "end": input_value(request.GET.get("end")),
    }
    try:
        span = _range(request, wall)
    except RangeError as exc:
        context = {"wall": wall, "choice": choice, "error": str(exc), "field": exc.field}
        return render(request, "crowdwall/analytics.html", context, status=400)
    context = {**_context(request, wall, analytics(wall, span)), "choice": choice}
    template = "crowdwall/_analytics_figures.html" if request.GET.get("partial") else None
    return render(request, template or "crowdwall/analytics.html", context)


@wall_required("view")
@require_GET
def export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The range's rollups as CSV: one row per minute and source that had entries."""
    wall = get_object_or_404(Wall, slug=slug)
    try:
        span = _range(request, wall)
    except RangeError as exc:
        return HttpResponse(f"{exc}\n", status=400, content_type="text/plain; charset=utf-8")
    rows = WallMinute.objects.filter(
        wall_id=wall.pk, minute__gte=span.first, minute__lt=span.end
    ).order_by("minute", "source_id")
    sources = Source.objects.in_bulk(
        list(rows.order_by().values_list("source_id", flat=True).distinct())
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{wall.slug}-analytics-{span.start_at:%Y%m%dT%H%M}-{span.end_at:%Y%m%dT%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in rows.iterator(chunk_size=2000):
        source = sources.get(row.source_id)
        writer.writerow(
            [
                minute_start(row.minute).isoformat(),
                row.source_id,
                _cell(source.name) if source else "",
                source.kind if source else "",
                row.posts,
                row.approved,
                row.pending,
                row.rejected,
                row.deleted,
            ]
        )
    return response


def _cell(text: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula: a source name is data.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
