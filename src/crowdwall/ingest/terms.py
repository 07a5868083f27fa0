"""Hashtags, languages and accounts as crowdwall compares them (see ``crowdwall.ingest.match``).

Framework-free: NFKC + casefold for hashtags, any script; ISO 639 codes; stable account ids.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Characters that may continue a hashtag besides letters and digits (combining marks keep
# Devanagari, Thai, ... tags whole; the joiners keep emoji sequences).
_TAG_EXTRA = {"_", "\u200c", "\u200d", "·"}
_TAG = re.compile(r"#([\w\u200c\u200d·]+)")  # not after [\w&/#]: see tags_in
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def fold(text: str) -> str:
    """Text as compared case-insensitively: NFKC-normalised, then casefolded."""
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=4096)  # the same few tags arrive with almost every post
def normalize_hashtag(tag: str) -> str:
    """``"#DjangoCon"`` -> ``"djangocon"``; empty string for something that is no tag."""
    return fold(tag.strip()).lstrip("#").strip()


def _is_tag_char(char: str) -> bool:
    return char.isalnum() or char in _TAG_EXTRA or unicodedata.category(char)[0] == "M"


def extract_hashtags(text: str) -> list[str]:
    """Normalised ``#tags`` of a plain text, in order of appearance, without duplicates."""
    if "#" not in text and "＃" not in text:
        return []
    return tags_in(unicodedata.normalize("NFKC", text))


def tags_in(text: str) -> list[str]:
    """``extract_hashtags`` of a text already NFKC-normalised."""
    if "#" not in text:
        return []
    found: dict[str, None] = {}
    for match in _TAG.finditer(text):
        start = match.start()
        # Not inside a word, an entity or a URL: what a look-behind would say, checked here
        # because a pattern that starts with "#" is searched for much faster.
        if start and (text[start - 1].isalnum() or text[start - 1] in "_&/#"):
            continue
        end = match.end()
        # ``\w`` stops at combining marks (Devanagari vowel signs...): continue by hand.
        while end < len(text) and _is_tag_char(text[end]):
            end += 1
        tag = text[match.start(1) : end].casefold()
        if not tag.isdigit():  # "#1" is a number, not a tag (Mastodon agrees)
            found[tag] = None
    return list(found)


@lru_cache(maxsize=256)
def normalize_language(code: str | None) -> str:
    """``"en-GB"`` -> ``"en"``; ``""`` when unknown or not a language code."""
    primary = (code or "").strip().replace("_", "-").split("-")[0].lower()
    return primary if _LANGUAGE.match(primary) else ""


def normalize_account(value: str) -> str:
    """An account entry as compared: a stable id unchanged, an ``@handle`` folded."""
    value = value.strip()
    return "@" + fold(value.lstrip("@")) if value.startswith("@") else value
