"""Plain-text tables for ``manage.py herdcache``: aligned columns, no third-party renderer.

herdcache depends on Django only, so its command cannot use rich (a crowdwall dependency); the
output keeps rich's simple-head look: a header, a rule, one line per row, numbers right-aligned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

_GAP = "  "


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Sequence[bool] = (),
    bold: Callable[[str], str] = str,
) -> str:
    """The rows under ``headers`` as aligned text; ``right[i]`` right-aligns column ``i``."""
    align = [*right, *([False] * len(headers))][: len(headers)]
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.rjust(width) if is_right else cell.ljust(width)
            for cell, width, is_right in zip(cells, widths, align, strict=True)
        )
        return _GAP.join(padded).rstrip()

    rule = _GAP.join("─" * width for width in widths)
    return "\n".join([bold(line(headers)), rule, *(line(row) for row in rows)]) + "\n"
