"""The raw-text prefilter is sound: whatever the exact matcher accepts, it lets through — in any
case, width, ligature, composition or JSON escaping — and it rejects plain non-matches."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdwall.ingest.match import Haystack, compile_keywords, extract_hashtags, normalize_hashtag
from crowdwall.sources.prefilter import RawPrefilter, keyword_needle
from tests.crowdwall.fakes.jetstream import encode, post_event

T0 = 1_747_213_200_000_000


def raw(text: str, **record) -> str:
    return encode(post_event("did:plc:abc", "3k", text, time_us=T0, **record))


def exact(text: str, tags: list[str], keywords: list[str]) -> bool:
    """What the wall's rules say (the pipeline's matcher)."""
    wanted = {normalize_hashtag(t) for t in tags}
    if wanted & set(extract_hashtags(text)):
        return True
    return bool(keywords) and compile_keywords(tuple(keywords)).find(Haystack(text)) is not None


@pytest.mark.parametrize(
    ("entry", "needle"),
    [("python", "python"), ("Pyth*", "pyth"), ('"Django  Girls"', "django"), ("=Go", "go"),
     ("big data science", "science"), ("ＡＢＣ", "abc")],
)  # fmt: skip
def test_a_keyword_needs_its_longest_word(entry, needle):
    assert keyword_needle(entry) == needle


@pytest.mark.parametrize(
    ("tags", "keywords", "text"),
    [
        (["DjangoCon"], [], "all caps #DJANGOCON"),
        (["djangocon"], [], "fullwidth #ＤＪＡＮＧＯＣＯＮ"),
        (["djangocon"], [], "mathematical #𝐝𝐣𝐚𝐧𝐠𝐨𝐜𝐨𝐧"),
        (["strasse"], [], "#Straße"),  # casefold: ß -> ss
        (["finance"], [], "ligature #ﬁnance"),
        (["οδοσ"], [], "final sigma #ΟΔΟΣ"),  # lower() writes ς, the fold σ
        (["café"], [], "decomposed #cafe\u0301"),  # NFKC composes é
        (["パイソン"], [], "halfwidth #ﾊﾟｲｿﾝ"),
        (["r"], ["R&D"], "R&D team"),  # Jetstream escapes & as \\u0026
        ([], ["kelvin"], "\u212aelvin scale"),  # the Kelvin sign
    ],
)
def test_what_the_wall_matches_always_passes(tags, keywords, text):
    assert exact(text, tags, keywords)
    assert RawPrefilter(tags, keywords).may_match(raw(text))


def test_what_cannot_match_is_rejected_ascii_or_not():
    prefilter = RawPrefilter(["djangocon"], ["python"])
    assert not prefilter.may_match(raw("nothing here"))
    assert not prefilter.may_match(raw("日本語と絵文字 🎉 ÜBER ＷＺ"))  # ｗ, ｚ are in no needle
    assert prefilter.may_match(raw("see #djangocon"))
    assert prefilter.may_match(raw("a fullwidth Ｄ could start one"))  # parse, then reject


def test_needles_json_could_escape_disable_the_prefilter():
    assert RawPrefilter([], ["c/c++"]).may_match(raw("anything"))
    assert not RawPrefilter([], []).may_match(raw("no rules: nothing can match"))


def test_text_outside_the_post_only_costs_a_parse():
    # "bsky" is in every event's collection name: never rejected, never wrong.
    assert RawPrefilter([], ["bsky"]).may_match(raw("hello"))


# Tricky characters: case pairs, compatibility forms, combining marks, JSON-escaped characters.
_TRICKY = (
    'aAdDjJnNgGoOcCsSkK ßẞſﬁﬂＤＪＡＮＧＯｄｊａｎｇｏ𝐝𝐣K\u212a\u0301éÉΣσς#＃&<>"\\\n\u2028日本ﾊﾟパ'
)


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet=_TRICKY, max_size=30),
    tag=st.sampled_from(["django", "straße", "ss", "café", "σς", "パ", "k"]),
    keyword=st.sampled_from(["", "djan*", "=Django", '"dj ango"', "fi", "ſ"]),
)
def test_prefilter_never_rejects_a_match(text, tag, keyword):
    keywords = [keyword] if keyword else []
    if exact(text, [tag], keywords):
        assert RawPrefilter([tag], keywords).may_match(raw(text))
        # ... whichever JSON encoder wrote the frame.
        event = post_event("did:plc:abc", "3k", text, time_us=T0)
        assert RawPrefilter([tag], keywords).may_match(json.dumps(event))
