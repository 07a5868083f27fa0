"""Keyword rules: whole words, prefixes, exact phrases, all-of, case-sensitive (``=``).

Framework-free; the syntax is documented in ``crowdwall.ingest.match``. A ``KeywordSet``
answers "which rule matches this text" with one regex search first, so most posts are ruled
out without being split into words; a ``Haystack`` is a text prepared once for every wall.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from crowdwall.ingest.terms import tags_in


def _spaced(char: str) -> bool:
    """Whether words of this character's script are separated by spaces (so need boundaries)."""
    code = ord(char)
    unspaced = (
        0x0E00 <= code <= 0x0EFF  # Thai, Lao
        or 0x1000 <= code <= 0x109F  # Myanmar
        or 0x1780 <= code <= 0x17FF  # Khmer
        or 0x3040 <= code <= 0x30FF  # Hiragana, Katakana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or code >= 0x20000  # CJK extensions B+
    )
    return not unspaced


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """One parsed keyword entry (see the module docstring for the syntax)."""

    raw: str
    kind: str  # "word" | "prefix" | "phrase" | "all"
    terms: tuple[str, ...]
    case_sensitive: bool

    def patterns(self) -> list[str]:
        """Regex sources; the rule matches when every one of them is found."""
        if self.kind == "all":
            return [_term_pattern(term, prefix=False) for term in self.terms]
        return [_term_pattern(self.terms[0], prefix=self.kind == "prefix")]


def _term_pattern(term: str, *, prefix: bool) -> str:
    body = r"\s+".join(re.escape(word) for word in term.split())
    left = r"(?<!\w)" if _spaced(term[0]) else ""
    right = r"(?!\w)" if _spaced(term[-1]) and not prefix else ""
    return f"{left}{body}{right}"


def parse_keyword(raw: str) -> KeywordRule:
    """Parse one keyword entry; ``ValueError`` says what is wrong with it."""
    text = raw.strip()
    case_sensitive = text.startswith("=")
    if case_sensitive:
        text = text[1:].strip()
    text = unicodedata.normalize("NFKC", text)
    if not case_sensitive:
        text = text.casefold()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        phrase = " ".join(text[1:-1].split())
        if not phrase:
            raise ValueError(f"Empty phrase in keyword {raw!r}.")
        return KeywordRule(raw, "phrase", (phrase,), case_sensitive)
    if '"' in text:
        raise ValueError(f'Unbalanced quote in keyword {raw!r}: quote a whole phrase, "like this".')
    words = text.split()
    if not words:
        raise ValueError("Empty keyword.")
    if len(words) > 1:
        if any(word.endswith("*") for word in words):
            raise ValueError(f"A prefix (word*) must be a single word: {raw!r}.")
        return KeywordRule(raw, "all", tuple(words), case_sensitive)
    word = words[0]
    if word.endswith("*"):
        stem = word.rstrip("*")
        if not stem:
            raise ValueError(f"A prefix needs at least one character before '*': {raw!r}.")
        return KeywordRule(raw, "prefix", (stem,), case_sensitive)
    return KeywordRule(raw, "word", (word,), case_sensitive)


_WORD = re.compile(r"\w+")
_PLAIN_WORD = re.compile(r"^\w+$")


class Haystack:
    """A text as keyword rules read it: NFKC-normalised, its casefolded twin, and (computed on
    first use, then shared by every wall that looks) the set of its words in each form.

    Immutable once built, so one haystack may serve many posts (an author's name): what each
    ``KeywordSet`` found in it is remembered too.
    """

    __slots__ = ("_folded_words", "_words", "folded", "found", "text")

    def __init__(self, text: str) -> None:
        self.text = unicodedata.normalize("NFKC", text)
        self.folded = self.text.casefold()
        self._words: frozenset[str] | None = None  # computed on first use
        self._folded_words: frozenset[str] | None = None
        self.found: dict[KeywordSet, KeywordRule | None] | None = None

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        # Already normalised: a copy skips NFKC and casefold (and the words, computed lazily).
        return _restore_haystack, (self.text, self.folded)

    def words(self, case_sensitive: bool) -> frozenset[str]:
        if case_sensitive:
            if self._words is None:
                self._words = frozenset(_WORD.findall(self.text))
            return self._words
        if self._folded_words is None:
            self._folded_words = frozenset(_WORD.findall(self.folded))
        return self._folded_words

    def of(self, case_sensitive: bool) -> str:
        return self.text if case_sensitive else self.folded

    def hashtags(self) -> list[str]:
        """``extract_hashtags`` of the text (normalised once already)."""
        return tags_in(self.text)


def _restore_haystack(text: str, folded: str) -> Haystack:
    haystack = Haystack.__new__(Haystack)
    haystack.text, haystack.folded = text, folded
    haystack._words = haystack._folded_words = haystack.found = None
    return haystack


def _plain(term: str) -> bool:
    """A single word of a spaced script: "whole word" is then exactly "one of the words"."""
    return bool(_PLAIN_WORD.match(term)) and _spaced(term[0]) and _spaced(term[-1])


_FEW_NEEDLES = 32  # up to this many, a screen looks for each needle with ``in``


def _any_of(needles: Iterable[str]) -> str:
    """A pattern found wherever one of ``needles`` is, as a trie: ``(?:a(?:b|cd)|x)``.

    Python's ``re`` tries the alternatives of ``a|b|...`` one by one at every position where
    one may start (~20 needles: ~25,000 instructions for a short post that holds none); as a
    trie, it follows one branch a character. A needle that another one starts with is enough
    on its own (only whether one is found matters), so the longer one is left out."""
    trie: dict[str, dict] = {}
    for needle in needles:
        node = trie
        for char in needle:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, dict]) -> str:
        if "" in node:  # a needle ends here: what follows need not be looked at
            return ""
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    return pattern(trie)


# A multi-word rule: (its index, the words that must all be present, regexes that must match).
Gate = tuple[int, frozenset[str], list[re.Pattern[str]]]


class KeywordSet:
    """A compiled list of keyword rules; ``find`` returns a matching rule, if any.

    A post that matches nothing usually costs one regex search per case mode: every word-based
    rule needs one of its words (or its stem) somewhere in the text, so a screen of all of them
    as plain substrings rules most posts out. Past the screen, rules are answered from the
    text's word set (one tokenisation per post, shared by every wall): plain words by set
    intersection; multi-word rules (phrases, "all these words") are indexed by their longest
    word and only looked at when it is present (a phrase then reaches its regex); prefixes by
    ``startswith`` over the words. What is left (``c++``, words in scripts without spaces) is
    joined into one alternation per case mode.
    """

    def __init__(self, entries: Iterable[str]) -> None:
        self.entries = tuple(entries)
        self.rules = [parse_keyword(entry) for entry in self.entries if entry.strip()]
        self._words: dict[bool, dict[str, int]] = {False: {}, True: {}}
        self._prefixes: dict[bool, list[tuple[str, int]]] = {False: [], True: []}
        self._gated: dict[bool, dict[str, list[Gate]]] = {False: {}, True: {}}
        self._ungated: list[tuple[int, bool, list[re.Pattern[str]]]] = []  # "all" with c++...
        self._joined: dict[bool, re.Pattern[str]] = {}
        rest: dict[bool, list[int]] = {False: [], True: []}
        for index, rule in enumerate(self.rules):
            cs, terms = rule.case_sensitive, rule.terms
            words = [word for term in terms for word in term.split()]
            plain = all(_plain(word) for word in words)
            if rule.kind == "word" and plain:
                self._words[cs].setdefault(terms[0], index)
            elif rule.kind == "prefix" and plain:
                self._prefixes[cs].append((terms[0], index))
            elif rule.kind in ("all", "phrase") and plain:
                # A phrase's words are all in the word set when it matches: check those first.
                patterns = [re.compile(p) for p in rule.patterns()] if rule.kind == "phrase" else []
                key = max(words, key=len)  # the longest word is usually the rarest
                self._gated[cs].setdefault(key, []).append((index, frozenset(words), patterns))
            elif rule.kind == "all":
                self._ungated.append((index, cs, [re.compile(p) for p in rule.patterns()]))
            else:
                rest[cs].append(index)
        # Every one of these rules needs one of its words (or its stem) somewhere in the text:
        # one screen over the text rules them all out for most posts, without tokenising it.
        # A few needles are looked for as substrings (``in``: a fast search in C, where a
        # regular expression starts a match attempt at nearly every position), a long list by
        # one expression (a trie: one branch a character).
        self._screen: dict[bool, tuple[tuple[str, ...], re.Pattern[str] | None]] = {}
        for cs in (False, True):
            needles = {
                *self._words[cs],
                *(stem for stem, _ in self._prefixes[cs]),
                *self._gated[cs],
            }
            if len(needles) > _FEW_NEEDLES:
                self._screen[cs] = ((), re.compile(_any_of(needles)))
            elif needles:  # one that holds another is found whenever that one is: left out
                kept = [n for n in needles if not any(o != n and o in n for o in needles)]
                self._screen[cs] = (tuple(sorted(kept)), None)
        self._modes = [(cs, needles, screen) for cs, (needles, screen) in self._screen.items()]
        for cs, indexes in rest.items():
            if indexes:
                source = "|".join(f"(?P<k{i}>{self.rules[i].patterns()[0]})" for i in indexes)
                self._joined[cs] = re.compile(source)

    def __reduce__(self) -> tuple[Any, tuple[tuple[str, ...]]]:
        # Rebuilt from its entries through the cache: a worker that gets the same rules with
        # every batch compiles them once.
        return compile_keywords, (self.entries,)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def find(self, haystack: Haystack) -> KeywordRule | None:
        """A rule that matches the text (the earliest entry among those found), or None."""
        found = haystack.found
        if found is None:
            found = haystack.found = {}
        elif self in found:
            return found[self]
        rule = found[self] = self._find(haystack)
        return rule

    def _find(self, haystack: Haystack) -> KeywordRule | None:
        best = len(self.rules)
        for cs, needles, screen in self._modes:
            text = haystack.of(cs)
            if screen is None:
                for needle in needles:  # a loop: ``in`` has its own opcode, a call would not
                    if needle in text:
                        break
                else:
                    continue
            elif screen.search(text) is None:
                continue
            words = haystack.words(cs)
            plain = self._words[cs]
            if plain:
                for word in plain.keys() & words:
                    best = min(best, plain[word])
            for stem, index in self._prefixes[cs]:
                # In the text at all (a fast search in C) before a look at its words.
                if index < best and stem in text and any(t.startswith(stem) for t in words):
                    best = index
            gated = self._gated[cs]
            if gated:
                for key in gated.keys() & words:
                    for index, needed, patterns in gated[key]:
                        if (
                            index < best
                            and needed <= words
                            and all(p.search(haystack.of(cs)) for p in patterns)
                        ):
                            best = index
        for index, cs, patterns in self._ungated:
            if index < best and all(p.search(haystack.of(cs)) for p in patterns):
                best = index
        for cs, pattern in self._joined.items():
            found = pattern.search(haystack.of(cs))
            if found is not None:
                best = min(best, int(str(found.lastgroup)[1:]))
        return self.rules[best] if best < len(self.rules) else None


@lru_cache(maxsize=256)
def compile_keywords(entries: tuple[str, ...]) -> KeywordSet:
    """A cached ``KeywordSet`` (walls are recompiled every batch; their keywords rarely change)."""
    return KeywordSet(entries)
