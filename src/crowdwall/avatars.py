"""Initials avatars: what a card shows when an author has no picture or it fails to load.

Framework-free. ``static/crowdwall/fallback.js`` and ``live.js`` compute the same initials and
tone in the browser for cards they build (the DOM twins of ``_avatar.html``).
"""

from __future__ import annotations

__all__ = ["TONES", "initials", "tone"]

TONES = 8  # avatar--tone0 … avatar--tone7 in crowdwall.css


def initials(name: str) -> str:
    """Up to two capitals: the first letter or digit of the first and last words of ``name``."""
    letters = [next((c for c in word if c.isalnum()), "") for word in str(name or "").split()]
    letters = [c for c in letters if c]
    if not letters:
        return "?"
    picked = letters[0] + (letters[-1] if len(letters) > 1 else "")
    return picked.upper()


def tone(key: str) -> int:
    """A stable colour index in ``range(TONES)`` for ``key`` (the same author, the same colour)."""
    return sum(ord(c) for c in str(key or "")) % TONES
