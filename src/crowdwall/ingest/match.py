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
- **Consent** (``crowdwall.ingest.consent``): a post whose author (or the post itself) opted
  out of being shown, and every post of an account on the wall's or the global never-show
  list, matches no wall; a wall with ``followed_opt_in`` still shows its own ``accounts``
  when they opted out (never when they are on a never-show list).
- **Filters** (hide replies / boosts / bots / sensitive posts) apply after matching.
- **Lanes**: a source whose scope is "own" (every webhook; RSS and replay by default) feeds
  its own wall only: its posts never reach another wall, whatever they match. Each wall lists
  the sources closed to it (``closed_sources``), so the check is one set lookup per candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from crowdwall.ingest.keywords import (  # re-exported: callers import them from here
    Haystack,
    KeywordRule,
    KeywordSet,
    compile_keywords,
    parse_keyword,
)
from crowdwall.ingest.terms import (  # re-exported: callers import them from here
    extract_hashtags,
    fold,
    normalize_account,
    normalize_hashtag,
    normalize_language,
)
from crowdwall.ingest.wire import positional_pickle

# Why a post is taken off a wall (the reason its wall entries record; crowdwall.ingest.consent).
NEVER_SHOW_REASON = "never show"
OPTED_OUT_REASON = "author opted out"

__all__ = [
    "NEVER_SHOW_REASON",
    "OPTED_OUT_REASON",
    "AccountSet",
    "Haystack",
    "KeywordRule",
    "KeywordSet",
    "MatchInput",
    "Matcher",
    "WallRules",
    "compile_keywords",
    "extract_hashtags",
    "fold",
    "normalize_account",
    "normalize_hashtag",
    "normalize_language",
    "parse_keyword",
]


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


@positional_pickle
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
    opted_out: bool = False  # the account or the post opted out (crowdwall.ingest.consent)
    booster_id: str = ""  # who boosted it into the stream (crowdwall.ingest.verdicts' trust)
    booster_handle: str = ""  # folded, without "@"


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
    # Sources confined to another wall (scope "own"): none of their posts may come here.
    closed_sources: frozenset[int] = frozenset()
    hide_replies: bool = False
    hide_boosts: bool = False
    hide_bots: bool = False
    hide_sensitive: bool = False
    banned_authors: AccountSet = field(default_factory=AccountSet)
    banned_words: KeywordSet = field(default_factory=lambda: KeywordSet(()))
    blocklist: KeywordSet | None = None
    # Consent: accounts never shown here (the wall's and the global never-show list), and
    # whether the wall's own accounts are shown even when they opted out.
    never_show: AccountSet = field(default_factory=AccountSet)
    followed_opt_in: bool = False
    # Accounts whose posts, and boosts, skip the pre-approval queue (crowdwall.ingest.verdicts).
    trusted: AccountSet = field(default_factory=AccountSet)

    def selects(self, post: MatchInput) -> bool:
        """Whether the post is about this wall (before language and filters)."""
        return (
            post.source_id in self.include_sources
            or not self.hashtags.isdisjoint(post.hashtags)
            or (bool(self.keywords) and self.keywords.find(post.body) is not None)
            or self.accounts.contains(post.author_id, post.author_handle)
        )

    def refusal(self, post: MatchInput) -> str:
        """Why consent keeps this post off this wall ("" when it does not)."""
        if self.never_show and self.never_show.contains(post.author_id, post.author_handle):
            return NEVER_SHOW_REASON
        if post.opted_out and not self.shows_opted_out(post.author_id, post.author_handle):
            return OPTED_OUT_REASON
        return ""

    def shows_opted_out(self, author_id: str, handle_folded: str) -> bool:
        """Whether this wall shows an opted-out account anyway: one it follows by name, when
        it says so (``Wall.followed_accounts_opt_in``)."""
        return self.followed_opt_in and self.accounts.contains(author_id, handle_folded)

    def admits(self, post: MatchInput) -> bool:
        """Lane, consent, language and filters: whether a selected post may appear on this wall
        at all."""
        if post.source_id in self.closed_sources:
            return False
        if self.refusal(post):
            return False
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
