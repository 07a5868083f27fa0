"""Which walls a post belongs to: hashtags, keywords, accounts, languages and filters.

Framework-free: the pipeline compiles each wall once per batch into ``WallRules`` and asks a
``Matcher`` for the walls of every post.

Rules (also shown to admins in the Wall form's help texts):

- **Hashtags** are compared after Unicode NFKC normalisation and ``casefold()``, without the
  leading ``#``: ``#DjangoCon``, ``#djangocon`` and ``#ＤＪＡＮＧＯＣＯＮ`` are one tag; so are
  ``#Straße`` and ``#STRASSE``. Tags come from the source (Mastodon ``tags``, Bluesky facets)
  and from ``#words`` in the text, in any script.
- **Keywords** match the plain text (and the content warning), never the HTML:

  ========================  ==========================================================
  ``python``                whole word, any case: "Python!", not "pythonic"
  ``python*``               prefix: "pythonic", "Pythonista"
  ``"django girls"``        exact phrase: these words adjacent, in order, any case
  ``django girls``          all of these words, anywhere in the post, any case
  ``=Go``                   leading ``=``: case-sensitive ("Go", not "go"); works with
                            every form above (``="Django Girls"``)
  ========================  ==========================================================

  "Whole word" means not touching another letter or digit. In scripts written without spaces
  (Chinese, Japanese, Thai, ...) that boundary does not exist, so there a keyword matches
  anywhere in the text.
- **Accounts** are matched by the author's stable id (a Bluesky DID, a Mastodon actor URI, an
  RSS feed's author id): it survives a handle change. ``@handle`` entries (case-insensitive)
  are accepted for convenience but break when the account is renamed.
- **Languages**: ISO 639 codes; ``en`` also accepts ``en-GB``. A post whose language is unknown
  passes the filter (most servers leave it empty more often than they get it wrong).
- **Filters** (hide replies / boosts / bots / sensitive posts) apply after matching.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

# Characters that may continue a hashtag besides letters and digits (combining marks keep
# Devanagari, Thai, ... tags whole; the joiners keep emoji sequences).
_TAG_EXTRA = {"_", "\u200c", "\u200d", "·"}
_TAG = re.compile(r"#([\w\u200c\u200d·]+)")  # not after [\w&/#]: see _tags_in
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
    return _tags_in(unicodedata.normalize("NFKC", text))


def _tags_in(text: str) -> list[str]:
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


# Keywords ----------------------------------------------------------------------------------


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
        return _tags_in(self.text)


def _plain(term: str) -> bool:
    """A single word of a spaced script: "whole word" is then exactly "one of the words"."""
    return bool(_PLAIN_WORD.match(term)) and _spaced(term[0]) and _spaced(term[-1])


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
        self.rules = [parse_keyword(entry) for entry in entries if entry.strip()]
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
        # one regex over the text rules them all out for most posts, without tokenising it.
        self._screen = {
            cs: re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)))
            for cs in (False, True)
            if (
                needles := {
                    *self._words[cs],
                    *(stem for stem, _ in self._prefixes[cs]),
                    *self._gated[cs],
                }
            )
        }
        # (?<!\w)stem finds a stem exactly where some word of the text starts with it.
        self._stem_screen = {
            cs: re.compile(r"(?<!\w)(?:" + "|".join(re.escape(stem) for stem, _ in stems) + ")")
            for cs, stems in self._prefixes.items()
            if stems
        }
        self._modes = list(self._screen.items())
        for cs, indexes in rest.items():
            if indexes:
                source = "|".join(f"(?P<k{i}>{self.rules[i].patterns()[0]})" for i in indexes)
                self._joined[cs] = re.compile(source)

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
        for cs, screen in self._modes:
            if screen.search(haystack.of(cs)) is None:
                continue
            words = haystack.words(cs)
            plain = self._words[cs]
            if plain:
                for word in plain.keys() & words:
                    best = min(best, plain[word])
            stems = self._prefixes[cs]
            if stems and self._stem_screen[cs].search(haystack.of(cs)) is not None:
                for stem, index in stems:
                    if index < best and any(token.startswith(stem) for token in words):
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


@dataclass(frozen=True, slots=True)
class AccountSet:
    """Accounts by stable id, plus ``@handle`` entries compared case-insensitively."""

    ids: frozenset[str] = frozenset()
    handles: frozenset[str] = frozenset()

    @classmethod
    def of(cls, values: Iterable[str]) -> AccountSet:
        normalized = [normalize_account(v) for v in values if v.strip()]
        return cls(
            ids=frozenset(v for v in normalized if not v.startswith("@")),
            handles=frozenset(v[1:] for v in normalized if v.startswith("@")),
        )

    def __bool__(self) -> bool:
        return bool(self.ids or self.handles)

    def contains(self, author_id: str, handle_folded: str) -> bool:
        return author_id in self.ids or handle_folded in self.handles


# Posts and walls ---------------------------------------------------------------------------


@dataclass(slots=True)
class MatchInput:
    """What matching and moderation look at, computed once per post by the pipeline."""

    source_id: int
    body: Haystack  # content warning, then the plain text
    hashtags: frozenset[str]
    author_id: str
    author_handle: str  # folded, without "@"
    name: Haystack = field(default_factory=lambda: Haystack(""))  # display name (bans only)
    language: str = ""  # normalised, "" when unknown
    is_reply: bool = False
    is_boost: bool = False
    is_bot: bool = False
    sensitive: bool = False


@dataclass(slots=True)
class WallRules:
    """One wall compiled for matching and moderation (built from the Wall row and its bans)."""

    id: int
    slug: str
    moderation: str
    hashtags: frozenset[str] = frozenset()
    keywords: KeywordSet = field(default_factory=lambda: KeywordSet(()))
    accounts: AccountSet = field(default_factory=AccountSet)
    languages: frozenset[str] = frozenset()
    include_sources: frozenset[int] = frozenset()  # sources whose every post goes to this wall
    hide_replies: bool = False
    hide_boosts: bool = False
    hide_bots: bool = False
    hide_sensitive: bool = False
    banned_authors: AccountSet = field(default_factory=AccountSet)
    banned_words: KeywordSet = field(default_factory=lambda: KeywordSet(()))
    blocklist: KeywordSet | None = None

    def selects(self, post: MatchInput) -> bool:
        """Whether the post is about this wall (before language and filters)."""
        return (
            post.source_id in self.include_sources
            or not self.hashtags.isdisjoint(post.hashtags)
            or (bool(self.keywords) and self.keywords.find(post.body) is not None)
            or self.accounts.contains(post.author_id, post.author_handle)
        )

    def admits(self, post: MatchInput) -> bool:
        """Language and filters: whether a selected post may appear on this wall at all."""
        if self.languages and post.language and post.language not in self.languages:
            return False
        return not (
            (self.hide_replies and post.is_reply)
            or (self.hide_boosts and post.is_boost)
            or (self.hide_bots and post.is_bot)
            or (self.hide_sensitive and post.sensitive)
        )

    def matches(self, post: MatchInput) -> bool:
        return self.selects(post) and self.admits(post)


class Matcher:
    """All active walls; ``match(post)`` returns the walls a post belongs to.

    Hashtags are looked up in an index (tag -> walls), so the common case costs one set
    intersection per post; keyword and account walls are checked one by one.
    """

    def __init__(self, walls: Sequence[WallRules]) -> None:
        self.walls = list(walls)
        self._by_tag: dict[str, list[WallRules]] = {}
        for wall in self.walls:
            for tag in wall.hashtags:
                self._by_tag.setdefault(tag, []).append(wall)
        self._other = [w for w in self.walls if w.keywords or w.accounts or w.include_sources]

    def match(self, post: MatchInput) -> list[WallRules]:
        candidates: dict[int, WallRules] = {}
        for tag in post.hashtags:
            for wall in self._by_tag.get(tag, ()):
                candidates[wall.id] = wall
        for wall in self._other:
            if wall.id not in candidates and wall.selects(post):
                candidates[wall.id] = wall
        return [wall for wall in candidates.values() if wall.admits(post)]
