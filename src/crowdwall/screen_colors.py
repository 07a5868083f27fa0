"""The brand theme's text colours, worked out from the wall's brand colour on the server.

The brand theme paints the page in the wall's colour (``--brand``), so the colour of the text on
it cannot be fixed in CSS: white is unreadable on a yellow or a white brand, black on a dark one.
``brand_inks`` picks, by WCAG 2 relative luminance, black or white ink (whichever contrasts
more), a muted ink as far toward the brand as it can go while keeping 4.5:1 (WCAG AA for body
text), and the brand as text on the theme's white cards, darkened until it reads there too.
Pure functions, no Django; ``crowdwall.screen`` writes the result into the page as CSS custom properties.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Framework-free (no Django import), so the same rule as crowdwall.models.screens.BRAND_COLOR.
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_BRAND = "#0b6e4f"  # the theme's colour when the wall has none (screen.css's fallback)
MINIMUM_CONTRAST = 4.5  # WCAG 2 AA, normal-size text
# A little above 4.5 so rounding to whole RGB steps (and axe's own rounding) never dips below.
TARGET_CONTRAST = 4.6
MUTED_MIX = 0.4  # how far toward the background a muted ink may go at most
CARD = "#ffffff"  # the brand theme's card (screen.css: .theme-brand --card)
EDGE_BELOW = 1.25  # a brand this close to the card's white gets visible card edges

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class BrandInks:
    """The colours of text on and around a brand colour, as ``#rrggbb``."""

    brand: str  # the background
    ink: str  # text on the brand: black or white
    muted: str  # secondary text on the brand (at least 4.5:1)
    on_card: str  # the brand as text on the white cards (at least 4.5:1)
    edge: str  # card borders: "transparent" unless the brand is near white

    def css(self) -> str:
        """The custom properties screen.css's brand theme reads, for a ``style`` attribute."""
        return (
            f"--brand-ink: {self.ink}; --brand-muted: {self.muted}; "
            f"--brand-on-card: {self.on_card}; --brand-edge: {self.edge}"
        )


def parse_hex(color: str) -> RGB:
    """``#rrggbb`` as three 0–255 integers; ``ValueError`` for anything else."""
    if not HEX_COLOR.match(color):
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def to_hex(rgb: RGB) -> str:
    """Three 0–255 integers as ``#rrggbb``."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _linear(channel: int) -> float:
    # sRGB to linear light, WCAG 2's formula (its 0.03928 threshold; 0.04045 gives the same bytes).
    value = channel / 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``: 0 for black, 1 for white."""
    red, green, blue = (_linear(channel) for channel in parse_hex(color))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(color: str, other: str, amount: float) -> str:
    """``color`` moved ``amount`` (0–1) of the way toward ``other``, in sRGB steps."""
    pairs = zip(parse_hex(color), parse_hex(other), strict=True)
    red, green, blue = (round(a + (b - a) * amount) for a, b in pairs)
    return to_hex((red, green, blue))


def _furthest(start: str, toward: str, limit: float, readable_on: str) -> str:
    # The colour furthest along start → toward (at most ``limit`` of the way) that still has
    # TARGET_CONTRAST on ``readable_on``; ``start`` itself when no step does. Contrast falls
    # monotonically along the way here (toward the background), so the steps stop at the first miss.
    best = start
    for step in range(1, 101):
        amount = limit * step / 100
        candidate = mix(start, toward, amount)
        if contrast_ratio(candidate, readable_on) < TARGET_CONTRAST:
            break
        best = candidate
    return best


def _readable_on_card(brand: str) -> str:
    # The brand itself when it reads on white; else darkened step by step until it does
    # (black reads on white at 21:1, so the loop always ends).
    for step in range(0, 101):
        candidate = mix(brand, "#000000", step / 100)
        if contrast_ratio(candidate, CARD) >= TARGET_CONTRAST:
            return candidate
    return "#000000"  # pragma: no cover (step 100 is black)


def brand_inks(color: str) -> BrandInks:
    """The ink colours for ``color`` (``#rrggbb``; empty or invalid: ``DEFAULT_BRAND``)."""
    brand = color.lower() if color and HEX_COLOR.match(color) else DEFAULT_BRAND
    on_black, on_white = contrast_ratio(brand, "#000000"), contrast_ratio(brand, "#ffffff")
    # One of the two always reaches 4.58:1 (the worst case is a mid grey), so the better wins.
    ink = "#000000" if on_black >= on_white else "#ffffff"
    muted = _furthest(ink, brand, MUTED_MIX, brand)
    edge = (
        mix(brand, "#000000", 0.25) if contrast_ratio(brand, CARD) < EDGE_BELOW else "transparent"
    )
    return BrandInks(brand=brand, ink=ink, muted=muted, on_card=_readable_on_card(brand), edge=edge)


def screen_style(color: str) -> str:
    """The big screen's ``style`` attribute: the wall's own ``--brand`` (when it has a valid
    one) with ``--on-mark``, the ink of text on it where the dark and light themes use the brand
    as their mark colour (ticker label, announcement band), then the brand theme's inks."""
    inks = brand_inks(color)
    own = f"--brand: {inks.brand}; --on-mark: {inks.ink}; " if HEX_COLOR.match(color or "") else ""
    return own + inks.css()
