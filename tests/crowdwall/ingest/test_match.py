"""Matching: hashtag folding in any script, keyword syntax, accounts, languages, filters."""

from __future__ import annotations

import re
import unicodedata
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdwall.ingest import keywords as keywords_module
from crowdwall.ingest.match import (
    AccountSet,
    Haystack,
    KeywordSet,
    Matcher,
    MatchInput,
    WallRules,
    extract_hashtags,
    normalize_hashtag,
    normalize_language,
    parse_keyword,
)


def post(text: str = "", *, tags: tuple[str, ...] = (), **fields) -> MatchInput:
    values = {
        "source_id": 1,
        "body": Haystack(text),
        "hashtags": frozenset([*tags, *extract_hashtags(text)]),
        "author_id": "did:plc:ann",
        "author_handle": "ann.example",
    }
    values.update(fields)
    return MatchInput(**values)


def keywords(*entries: str) -> KeywordSet:
    return KeywordSet(entries)


def hits(entries: tuple[str, ...], text: str) -> bool:
    return keywords(*entries).find(Haystack(text)) is not None


# Hashtags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("#DjangoCon", "djangocon"),
        ("djangocon", "djangocon"),
        ("  #PYTHON ", "python"),
        ("#ＤＪＡＮＧＯ", "django"),  # full-width letters (NFKC)
        ("#Straße", "strasse"),  # casefold, not lower()
        ("#ΣΊΣΥΦΟΣ", "σίσυφοσ"),
        ("#ПиТоН", "питон"),
    ],
)
def test_normalize_hashtag(raw, normalized):
    assert normalize_hashtag(raw) == normalized


def test_extract_hashtags_in_many_scripts():
    text = (
        "Talks: #DjangoCon #python3 #パイソン #Україна #हिन्दी #café #über_cool "
        "#ＰＹＣＯＮ and #STRASSE, but not a#b, https://x.example/#anchor, &#38; or #123."
    )
    assert extract_hashtags(text) == [
        "djangocon", "python3", "パイソン", "україна", "हिन्दी", "café", "über_cool", "pycon", "strasse",
    ]  # fmt: skip


def test_hashtag_with_combining_accent_matches_the_composed_form():
    decomposed = "#cafe\u0301"  # e + COMBINING ACUTE ACCENT
    assert extract_hashtags(decomposed) == ["café"]


def test_hashtag_punctuation_ends_the_tag():
    assert extract_hashtags("#django! #python, (#htmx) #日本語。") == [
        "django",
        "python",
        "htmx",
        "日本語",
    ]


def test_wall_hashtags_match_case_insensitively():
    wall = WallRules(
        id=1, slug="w", moderation="open", hashtags=frozenset({normalize_hashtag("#Straße")})
    )
    assert wall.matches(post("Walk down #STRASSE"))
    assert not wall.matches(post("Walk down the Straße"))  # a keyword, not a tag


# Keywords ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "text", "expected"),
    [
        ("python", "I love Python!", True),
        ("python", "PYTHON rocks", True),
        ("python", "pythonic code", False),
        ("python", "cpython internals", False),
        ("python*", "pythonic code", True),
        ("python*", "Pythonista meetup", True),
        ("python*", "cpython", False),
        ('"django girls"', "Thanks to Django   Girls today", True),
        ('"django girls"', "girls who django", False),
        ('"django girls"', "Django Girlsday", False),
        ("django girls", "girls who love django", True),  # all words, any order
        ("django girls", "django only", False),
        ("=Go", "Learning Go today", True),
        ("=Go", "go go go", False),
        ('="Django Girls"', "django girls", False),
        ('="Django Girls"', "Django Girls workshop", True),
        ("straße", "STRASSE festival", True),  # casefold
        ("日本", "日本語の勉強会", True),  # no word boundaries in Japanese
        ("c++", "I write C++ daily", True),
        ("café", "Cafe\u0301 au lait at the CAFÉ", True),
    ],
)
def test_keyword_rules(entry, text, expected):
    assert hits((entry,), text) is expected


def test_find_returns_the_rule_that_matched():
    rules = keywords("alpha", '"beta gamma"', "=Delta", "eps zeta", "c++", "x*")
    assert rules.find(Haystack("y beta gamma y")).raw == '"beta gamma"'
    assert rules.find(Haystack("xylophone")).raw == "x*"
    assert rules.find(Haystack("Delta")).raw == "=Delta"
    assert rules.find(Haystack("delta")) is None
    assert rules.find(Haystack("zeta then eps")).raw == "eps zeta"
    assert rules.find(Haystack("nothing")) is None
    assert rules.find(Haystack("ALPHA and beta")).raw == "alpha"
    assert rules.find(Haystack("I like C++")).raw == "c++"


_VOCABULARY = ["py", "python", "Pythonista", "django", "Django", "girls", "go", "GO", "straße"]
_ENTRY = st.one_of(
    st.sampled_from(_VOCABULARY),
    st.sampled_from(_VOCABULARY).map(lambda w: w[:2] + "*"),
    st.lists(st.sampled_from(_VOCABULARY), min_size=2, max_size=3).map(" ".join),
    st.lists(st.sampled_from(_VOCABULARY), min_size=2, max_size=3).map(
        lambda ws: '"' + " ".join(ws) + '"'
    ),
).flatmap(lambda entry: st.sampled_from([entry, "=" + entry]))
_TEXT = st.lists(
    st.one_of(st.sampled_from(_VOCABULARY), st.sampled_from([" ", "  ", "\n", "!", "_", "ista"])),
    max_size=12,
).map("".join)


@given(st.lists(_ENTRY, max_size=8), _TEXT)
def test_find_agrees_with_trying_each_rule_in_order(entries, text):
    """The indexed lookup finds what checking every rule's regexes in turn finds."""
    rules = keywords(*entries)
    hay = Haystack(text)
    expected = next(
        (
            rule
            for rule in rules.rules
            if all(re.search(p, hay.of(rule.case_sensitive)) for p in rule.patterns())
        ),
        None,
    )
    assert rules.find(hay) == expected


@given(st.lists(_ENTRY, max_size=8), _TEXT)
def test_a_long_list_screened_by_one_expression_finds_the_same(entries, text):
    """Past ``_FEW_NEEDLES`` the screen is one expression (a trie) instead of ``in`` checks:
    the same rule is found either way."""
    few = keywords(*entries)
    with mock.patch.object(keywords_module, "_FEW_NEEDLES", 0):
        many = keywords(*entries)
    assert all(screen is not None for _, _, screen in many._modes)
    assert many.find(Haystack(text)) == few.find(Haystack(text))


def _tags_by_lookbehind(text: str) -> list[str]:
    """extract_hashtags as first written: the "not after a word, & / #" rule as a look-behind."""
    found: dict[str, None] = {}
    for match in re.finditer(r"(?<![\w&/#])#([\w\u200c\u200d·]+)", text):
        end = match.end()
        while end < len(text) and (
            text[end].isalnum()
            or text[end] in "_\u200c\u200d·"
            or unicodedata.category(text[end])[0] == "M"
        ):
            end += 1
        tag = text[match.start(1) : end].casefold()
        if not tag.isdigit():
            found[tag] = None
    return list(found)  # fmt: skip


@given(st.text(alphabet="#ab1_&/ .\u0915\u093f\u200d·Ａ", max_size=30))
def test_hashtags_agree_with_a_look_behind(text):
    normalized = unicodedata.normalize("NFKC", text)
    assert extract_hashtags(text) == _tags_by_lookbehind(normalized)


def test_haystack_words_are_computed_once_and_shared():
    hay = Haystack("Ｐython and DJANGO")
    assert hay.words(False) == {"python", "and", "django"}
    assert hay.words(True) == {"Python", "and", "DJANGO"}
    assert hay.words(False) is hay.words(False)


@pytest.mark.parametrize("bad", ["", '"', '"unbalanced', '""', "*", "two words*", "= "])
def test_invalid_keywords_are_refused(bad):
    with pytest.raises(ValueError):
        parse_keyword(bad)


def test_keywords_match_text_not_markup_or_tags():
    wall = WallRules(id=1, slug="w", moderation="open", keywords=keywords("django"))
    assert wall.matches(post("Django is great"))
    assert not wall.matches(post("nothing here", tags=("django",)))


# Accounts, languages, filters -------------------------------------------------------------------


def test_accounts_match_by_stable_id_or_handle():
    accounts = AccountSet.of(["did:plc:ann", "@Bob@Social.Example"])
    assert accounts.contains("did:plc:ann", "whatever-handle-now")
    assert accounts.contains("https://social.example/users/bob", "bob@social.example")
    assert not accounts.contains("did:plc:ANN", "ann")  # ids are exact


def test_account_walls_take_every_post_of_the_account():
    wall = WallRules(id=1, slug="w", moderation="open", accounts=AccountSet.of(["did:plc:ann"]))
    assert wall.matches(post("no tags at all"))
    assert not wall.matches(post("no tags at all", author_id="did:plc:bob"))


@pytest.mark.parametrize(
    ("code", "expected"),
    [("en", "en"), ("EN-gb", "en"), ("pt_BR", "pt"), ("", ""), ("english", ""), (None, "")],
)
def test_normalize_language(code, expected):
    assert normalize_language(code) == expected


def test_languages_and_filters():
    wall = WallRules(
        id=1,
        slug="w",
        moderation="open",
        hashtags=frozenset({"djangocon"}),
        languages=frozenset({"de"}),
        hide_replies=True,
        hide_bots=True,
    )
    assert wall.matches(post("#djangocon", language="de"))
    assert wall.matches(post("#djangocon", language=""))  # unknown passes
    assert not wall.matches(post("#djangocon", language="fr"))
    assert not wall.matches(post("#djangocon", is_reply=True))
    assert not wall.matches(post("#djangocon", is_bot=True))
    assert wall.matches(post("#djangocon", is_boost=True))


def test_matcher_returns_each_matching_wall_once():
    walls = [
        WallRules(id=1, slug="tags", moderation="open", hashtags=frozenset({"django", "python"})),
        WallRules(id=2, slug="words", moderation="open", keywords=keywords("python")),
        WallRules(id=3, slug="source", moderation="open", include_sources=frozenset({7})),
        WallRules(id=4, slug="other", moderation="open", hashtags=frozenset({"rust"})),
        WallRules(
            id=5,
            slug="filtered",
            moderation="open",
            hashtags=frozenset({"django"}),
            hide_boosts=True,
        ),
    ]
    matcher = Matcher(walls)
    found = matcher.match(post("#Django and #python with Python", source_id=7, is_boost=True))
    assert sorted(w.slug for w in found) == ["source", "tags", "words"]
    assert matcher.match(post("unrelated", source_id=1)) == []
