"""A cheap, sound test on an event's raw JSON text: "could this event match?".

A firehose source (Bluesky Jetstream without ``wantedDids``) delivers every post on the network,
and almost none of them belong on a wall. Parsing each one costs more than the rest of the
filter together, so before parsing we look for *needles* in the raw text: the wall's hashtags
and one word of every keyword, compared the way ``crowdwall.ingest.match`` compares them
(Unicode NFKC, then ``casefold()``). An event with no needle is dropped unparsed.

Sound means: ``RawPrefilter.may_match(raw)`` is never False for an event whose hashtags or text
would match. Comparing ``raw.lower()`` instead of the full fold is what makes it cheap, so
every way the full fold can differ from ``lower()`` sends the event on to the exact check:

- ``\\u`` escapes (four hex digits) can hide any character: parse (Jetstream, written in Go, escapes only
  ``<``, ``>``, ``&``, U+2028 and U+2029, so that is a few percent of posts);
- characters whose NFKC fold differs from ``lower()`` and yields a needle's character
  (fullwidth ``ＤＪＡＮＧＯ``, ``ß`` -> ``ss``, ligatures, mathematical letters, ...): parse;
- combining marks and Hangul jamo that occur in a needle's decomposition, which NFKC may
  compose into a needle's character (``e`` + U+0301 -> ``é``): parse.

The other JSON escapes (``\\n``, ``\\"``, ``\\/``, ...) stand for whitespace, quotes, slashes and
backslashes, which no needle contains: a needle with such a character disables the prefilter
(every event is parsed), as does an empty needle. Text outside the post (ids, URLs, alt texts)
can only add false positives, which the exact check then rejects.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from crowdwall.ingest.match import fold, normalize_hashtag, parse_keyword

# Characters a JSON encoder may write escaped (besides \u escapes): no needle may contain them.
_ESCAPABLE = frozenset('"\\/') | frozenset(chr(c) for c in range(0x20))
_JAMO = ((0x1100, 0x11FF), (0xA960, 0xA97F), (0xD7B0, 0xD7FF))


@cache
def _unstable_folds() -> dict[str, str]:
    """Every character whose NFKC fold differs from ``lower()``, with its fold (~5,000 of
    them; computed once per process in about 0.1 s)."""
    folds: dict[str, str] = {}
    for code in range(0x80, 0x32400):  # planes 0-3 hold every assigned letter and digit
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        folded = fold(char)
        if folded != char.lower():
            folds[char] = folded
    return folds


def _composable(char: str) -> bool:
    return unicodedata.category(char)[0] == "M" or any(a <= ord(char) <= b for a, b in _JAMO)


def _char_class(chars: Iterable[str]) -> re.Pattern[str] | None:
    """One compiled character class holding ``chars``: exact below U+10000 (where the regex
    engine tests a class with a bitmap), whole 256-character blocks above (few ranges: the
    engine walks ranges one by one, and emoji, which are astral, are everywhere)."""
    codes = sorted({ord(c) if ord(c) < 0x10000 else ord(c) | 0xFF for c in chars})
    codes = sorted({*codes, *(c & ~0xFF for c in codes if c >= 0x10000)})
    ranges: list[list[int]] = []
    for code in codes:
        block = code >= 0x10000
        if ranges and (code == ranges[-1][1] + 1 or (block and code - ranges[-1][1] <= 0xFF)):
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    if not ranges:
        return None
    parts = [
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    ]
    return re.compile(f"[{''.join(parts)}]")


def keyword_needle(entry: str) -> str:
    """The folded word a keyword entry cannot match without (its longest word)."""
    rule = parse_keyword(entry)
    words = [fold(word.rstrip("*")) for term in rule.terms for word in term.split()]
    return max(words, key=len)


class RawPrefilter:
    """``may_match(raw)``: whether the raw JSON of an event might carry one of the hashtags or
    keywords (see the module docstring). Build one per source; it is immutable."""

    __slots__ = ("enabled", "needles", "unstable")

    def __init__(self, hashtags: Iterable[str] = (), keywords: Iterable[str] = ()) -> None:
        needles = {normalize_hashtag(tag) for tag in hashtags} - {""}
        needles |= {keyword_needle(entry) for entry in keywords if entry.strip()}
        self.needles: tuple[str, ...] = tuple(sorted(needles, key=len, reverse=True))
        # A needle we cannot look for soundly: parse everything instead.
        self.enabled = all(n and not (_ESCAPABLE & set(n)) for n in self.needles)
        alphabet: set[str] = set()
        for needle in self.needles:
            alphabet |= set(needle) | set(unicodedata.normalize("NFKD", needle))
        unstable = {
            char
            for char, folded in _unstable_folds().items()
            if alphabet & (set(folded) | set(unicodedata.normalize("NFKD", folded)))
        }
        unstable |= {char for char in alphabet if _composable(char)}
        if "σ" in alphabet:
            unstable.add("Σ")  # lower() writes a final sigma as "ς"; the fold always as "σ"
        self.unstable = _char_class(unstable)

    def may_match(self, raw: str) -> bool:
        if not self.enabled:
            return True
        if "\\" in raw and "\\u" in raw:
            return True
        hay = raw.lower()
        for needle in self.needles:
            if needle in hay:
                return True
        # ASCII text folds exactly like lower(); other text may hide a needle's character.
        return not raw.isascii() and self.unstable is not None and bool(self.unstable.search(raw))
