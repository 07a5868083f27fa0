"""Staff-only stats page (HTML or JSON) and a Prometheus endpoint over herdcache's counters.

Both read the shared counters (``herdcache.stats``), which read as zeros (plus this process's
unflushed counts) when the cache is down, so neither view answers 5xx during an outage, when it
matters most. Both are ``never_cache``: a cached stats page would lie, and a cached answer to one
visitor's credentials must never reach another.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from herdcache import purgelog
from herdcache.conf import conf
from herdcache.purging import find_urls
from herdcache.stats import EVENTS, URL_EVENTS, get_stats, hit_ratio

PAGE_SIZE = 200  # URLs per page of the table, most hits first
LOG_SIZE = 20  # newest purge log entries shown
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STAFF_ONLY = "herdcache stats are for staff only: log in with a staff account."
METRICS_FORBIDDEN = (
    "herdcache metrics need a staff session or "
    "an \"Authorization: Bearer <HERDCACHE['METRICS_TOKEN']>\" header."
)
# Requests answered from the cache, and requests that rendered (refresh includes background
# refreshes, so the ratio errs on the low side). error/bypass/... are not cache lookups.
COLORS: dict[str, str] = {
    "hit": "#2e7d32",
    "stale": "#9e9d24",
    "lock_wait": "#0277bd",
    "miss": "#c62828",
    "refresh": "#ef6c00",
    "error": "#6a1b9a",
}
_OTHER_COLOR = "#78909c"
_CHART_WIDTH, _CHART_ROW, _CHART_LABEL = 560, 22, 90  # global chart geometry (px)
_MIX_WIDTH = 120  # per-URL stacked bar width (px)


def url_rows(patterns: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Remembered URLs matching ``patterns`` (all if none) with their counters, most hits first."""
    rows = [
        {"url": url, "key": key, "stats": {event: counters.get(event, 0) for event in URL_EVENTS}}
        for url, key, counters in find_urls(patterns)
    ]
    rows.sort(key=lambda row: (-row["stats"]["hit"], row["url"]))
    return rows


def render_metrics(counters: Mapping[str, int]) -> str:
    """Prometheus text exposition (format 0.0.4) of the global counters."""
    lines = [
        "# HELP herdcache_events_total Cache events counted by herdcache across processes.",
        "# TYPE herdcache_events_total counter",
    ]
    lines += [f'herdcache_events_total{{event="{e}"}} {counters.get(e, 0)}' for e in EVENTS]
    return "\n".join(lines) + "\n"


@never_cache
def stats_view(request: HttpRequest) -> HttpResponse:
    """Global counters, hit ratio and remembered URLs: HTML, or JSON with ``?format=json``.

    ``?url=<pattern>`` (repeatable) filters URLs as ``find_urls`` does; ``?page=N`` pages them.
    """
    as_json = _wants_json(request)
    if not _is_staff(request):
        if as_json:
            return JsonResponse({"error": STAFF_ONLY}, status=403)
        return HttpResponseForbidden(STAFF_ONLY, content_type="text/plain; charset=utf-8")
    patterns = [pattern for pattern in request.GET.getlist("url") if pattern]
    counters = get_stats()
    page = Paginator(url_rows(patterns), PAGE_SIZE).get_page(request.GET.get("page"))
    purges, log_error = purge_log_rows()
    if as_json:
        return JsonResponse(
            {
                "global": counters,
                "hit_ratio": hit_ratio(counters),
                "urls": list(page.object_list),
                "page": page.number,
                "pages": page.paginator.num_pages,
                "total_urls": page.paginator.count,
                "purges": purges,
                "purge_log_error": log_error,
            }
        )
    bars = _counter_bars(counters)
    context = {
        "counters": counters,
        "hit_ratio": _percent(hit_ratio(counters)),
        "bars": bars,
        "chart": {"width": _CHART_WIDTH, "height": len(bars) * _CHART_ROW, "row": _CHART_ROW},
        "page": page,
        "rows": [_table_row(row) for row in page.object_list],
        "url_events": URL_EVENTS,
        "legend": [(event, COLORS.get(event, _OTHER_COLOR)) for event in URL_EVENTS],
        "mix_width": _MIX_WIDTH,
        "patterns": patterns,
        "purges": purges,
        "purge_log_error": log_error,
    }
    return render(request, "herdcache/stats.html", context)


def purge_log_rows(limit: int = LOG_SIZE) -> tuple[list[dict[str, Any]], str | None]:
    """The newest purge log entries as plain dicts, and why there are none if it is unreadable."""
    try:
        logs = purgelog.recent(limit)
    except DatabaseError as exc:  # the page must still show the counters
        return [], f"The purge log is unavailable ({exc}); has `manage.py migrate` run?"
    rows = []
    for log in logs:
        criteria = log.criteria or {}
        what = [
            f"{name}: {', '.join(criteria[name])}"
            for name in ("tags", "urls")
            if criteria.get(name)
        ]
        if "prefix" in criteria:
            what.append(f"prefix: {criteria['prefix']}")
        rows.append(
            {
                "id": log.pk,
                "time": log.created.isoformat(timespec="seconds"),
                "when": log.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                "reason": log.reason,
                "user": log.user,
                "soft": log.soft,
                "what": "; ".join(what),
                "matched": log.matched,
                # A tag reaches every entry carrying it; nothing counts them (see PurgeLog.matched).
                "matched_label": (
                    "tagged" if criteria.get("tags") and not log.matched else str(log.matched)
                ),
                "sample": log.sample,
                "tiers": log.tiers,
                "failures": log.failures,
                "duration_ms": round(log.duration * 1000, 1),
            }
        )
    return rows, None


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Global counters for Prometheus: for a valid bearer token or a staff session."""
    # Token first: a scraper with the right token costs no session lookup.
    if not (_has_metrics_token(request) or _is_staff(request)):
        return HttpResponseForbidden(METRICS_FORBIDDEN, content_type="text/plain; charset=utf-8")
    return HttpResponse(render_metrics(get_stats()), content_type=METRICS_CONTENT_TYPE)


def _is_staff(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)  # None without AuthenticationMiddleware
    return bool(user is not None and user.is_active and user.is_staff)


def _has_metrics_token(request: HttpRequest) -> bool:
    expected = conf.METRICS_TOKEN
    if not expected:  # no token configured: staff sessions only
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    # Bytes, so a non-ASCII header compares (as unequal) instead of raising TypeError.
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def _wants_json(request: HttpRequest) -> bool:
    if "format" in request.GET:  # explicit choice beats the Accept header
        return request.GET["format"] == "json"
    preferred = request.get_preferred_type(["text/html", "application/json"])
    return preferred == "application/json"


def _percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.1%}"


def _counter_bars(counters: Mapping[str, int]) -> list[dict[str, Any]]:
    """One horizontal bar per event, scaled to the largest count (numbers preformatted, so
    template localization cannot turn ``12.5`` into ``12,5`` inside SVG attributes)."""
    top = max(counters.values(), default=0) or 1
    span = _CHART_WIDTH - _CHART_LABEL - 70  # room for the count after the bar
    bars = []
    for index, event in enumerate(EVENTS):
        count = counters.get(event, 0)
        width = span * count / top
        bars.append(
            {
                "event": event,
                "count": count,
                "y": str(index * _CHART_ROW),
                "label_x": str(_CHART_LABEL - 6),
                "bar_x": str(_CHART_LABEL),
                "width": f"{width:.1f}",
                "count_x": f"{_CHART_LABEL + width + 4:.1f}",
                "color": COLORS.get(event, _OTHER_COLOR),
            }
        )
    return bars


def _table_row(row: dict[str, Any]) -> dict[str, Any]:
    """A URL row for the template: counters in ``URL_EVENTS`` order and stacked-bar segments."""
    counters = row["stats"]
    total = sum(counters.values())
    segments, x = [], 0.0
    for event in URL_EVENTS:
        count = counters.get(event, 0)
        if not count:
            continue
        width = _MIX_WIDTH * count / total
        segments.append(
            {
                "event": event,
                "count": count,
                "x": f"{x:.1f}",
                "width": f"{width:.1f}",
                "color": COLORS.get(event, _OTHER_COLOR),
            }
        )
        x += width
    return {
        **row,
        "counts": [counters.get(event, 0) for event in URL_EVENTS],
        "ratio": _percent(hit_ratio(counters)),
        "segments": segments,
    }
