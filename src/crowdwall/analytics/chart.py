"""The posts-per-minute chart as server-side SVG: no JavaScript, no vendored library.

Bars are all posts per chart step, a line the approved ones; the SVG scales to its box
(``viewBox``, ``preserveAspectRatio="none"`` for the plot, text kept outside it in HTML), so one
drawing serves a phone and a 4K screen. Only numbers reach the markup; labels are escaped.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

__all__ = ["chart_svg", "nice_ceiling"]

WIDTH = 1000
HEIGHT = 240


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value`` (an axis maximum), at least 1."""
    ceiling = 1
    while True:
        for factor in (1, 2, 5):
            if ceiling * factor >= value:
                return ceiling * factor
        ceiling *= 10


def chart_svg(series: list[dict[str, Any]], *, label: str) -> tuple[SafeString, int]:
    """The chart of ``series`` ({"posts", "approved"} per step) and its y-axis maximum."""
    count = max(len(series), 1)
    top = nice_ceiling(max((point["posts"] for point in series), default=0))
    slot = WIDTH / count
    bar = max(slot * 0.8, 0.5)

    def y(value: int) -> float:
        return round(HEIGHT - value * HEIGHT / top, 2)

    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}"></rect>',
        (
            (
                round(i * slot + (slot - bar) / 2, 2),
                y(p["posts"]),
                round(bar, 2),
                HEIGHT - y(p["posts"]),
            )
            for i, p in enumerate(series)
            if p["posts"]
        ),
    )
    points = " ".join(
        f"{round(i * slot + slot / 2, 2)},{y(p['approved'])}" for i, p in enumerate(series)
    )
    grid = format_html_join(
        "",
        '<line x1="0" x2="{}" y1="{}" y2="{}"></line>',
        ((WIDTH, y(top * k // 4), y(top * k // 4)) for k in (1, 2, 3)),
    )
    svg = format_html(
        '<svg class="an-chart" viewBox="0 0 {w} {h}" preserveAspectRatio="none" role="img" '
        'aria-label="{label}"><g class="an-grid">{grid}</g><g class="an-bars">{bars}</g>'
        '<polyline class="an-line" points="{points}" vector-effect="non-scaling-stroke">'
        "</polyline></svg>",
        w=WIDTH,
        h=HEIGHT,
        label=label,
        grid=grid,
        bars=bars,
        points=points,
    )
    return svg, top
