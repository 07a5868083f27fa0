"""Filters for showing a post's media and cards (``{% load crowdwall_media %}``).

::

    {{ item.blurhash|blurhash_color }}   "#rrggbb": the average colour a blurhash encodes
"""

from __future__ import annotations

from django import template

register = template.Library()

_BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_DIGITS = {char: value for value, char in enumerate(_BASE83)}
PLACEHOLDER = "#808080"


@register.filter
def blurhash_color(blurhash: object) -> str:
    """The average colour of a blurhash as ``#rrggbb`` (``PLACEHOLDER`` for a malformed one).

    A blurhash's characters 2-5 are its DC component: the average colour, 24-bit sRGB in base
    83. That colour behind an image is the cheap half of a blurhash placeholder, with no
    script; the blur itself would need one."""
    if not isinstance(blurhash, str) or len(blurhash) < 6:
        return PLACEHOLDER
    value = 0
    for char in blurhash[2:6]:
        digit = _DIGITS.get(char)
        if digit is None:
            return PLACEHOLDER
        value = value * 83 + digit
    return f"#{min(value, 0xFFFFFF):06x}"
