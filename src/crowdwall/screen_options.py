"""The big screen's query options: ``?layout=``, ``?theme=``, ``?overlay=`` and the overlay's
``?position=``, ``?size=``, ``?background=``, each defaulting to the wall's setting. A bad value
is a ``ScreenOptionError`` (the view answers 400); nothing else in the query string counts."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict

from crowdwall.models import (
    OverlayBackground,
    OverlayPosition,
    OverlaySize,
    ScreenLayout,
    ScreenTheme,
    Wall,
)

# Every key that changes the page: the cache key varies on these and nothing else.
QUERY_KEYS = ("layout", "theme", "overlay", "position", "size", "background")


class ScreenOptionError(ValueError):
    """A query option with a value the screen does not know (the message names the choices)."""


@dataclass(frozen=True)
class ScreenOptions:
    """How one big screen or overlay is drawn."""

    layout: str
    theme: str
    overlay: bool
    position: str
    size: str
    background: str


def _choice(query: QueryDict, key: str, default: str, values: list[str]) -> str:
    value = query.get(key) or default
    if value not in values:
        raise ScreenOptionError(f"{key}: one of {', '.join(values)}.")
    return value


def screen_options(query: QueryDict, wall: Wall, *, overlay: bool = False) -> ScreenOptions:
    """The options of ``query`` over ``wall``'s defaults; ``ScreenOptionError`` for a bad value."""
    overlay_value = query.get("overlay", "")
    if overlay_value not in ("", "0", "1"):
        raise ScreenOptionError("overlay: 1 or 0.")
    return ScreenOptions(
        layout=_choice(query, "layout", wall.screen_layout, ScreenLayout.values),
        theme=_choice(query, "theme", wall.screen_theme, ScreenTheme.values),
        overlay=overlay or overlay_value == "1",
        position=_choice(query, "position", wall.overlay_position, OverlayPosition.values),
        size=_choice(query, "size", wall.overlay_size, OverlaySize.values),
        background=_choice(query, "background", wall.overlay_background, OverlayBackground.values),
    )
