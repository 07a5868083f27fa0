"""``{% load crowdwall_images %}``: avatars that fall back to initials, and the fallback script.

{% image_fallback %}   in <head>: crowdwall/fallback.js (swaps failed images, any page)
{% avatar author %}    an author's picture over their initials (crowdwall/_avatar.html)
"""

from __future__ import annotations

from typing import Any

from django import template

from crowdwall.avatars import initials, tone

register = template.Library()


@register.inclusion_tag("crowdwall/_avatar.html")
def avatar(author: Any) -> dict[str, Any]:
    """An author's avatar: the picture drawn over their initials, so a picture that fails to
    load (even with JavaScript off) leaves the initials showing rather than a broken icon."""
    name = getattr(author, "display_name", "") or getattr(author, "handle", "")
    return {
        "url": getattr(author, "avatar_url", ""),
        "initials": initials(name),
        "tone": tone(getattr(author, "handle", "") or name),
    }


@register.inclusion_tag("crowdwall/_image_fallback.html")
def image_fallback() -> dict[str, Any]:
    """The fallback's stylesheet and deferred script, for ``<head>`` (``crowdwall/fallback.js``)."""
    return {}
