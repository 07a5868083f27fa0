"""crowdwall.jsonlimits: nesting measured without recursing (strings do not count), and every
way the standard parser fails on client input turned into ``BadJson`` with a code."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdwall.jsonlimits import MAX_DEPTH, BadJson, depth, loads

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.sampled_from('[]{}"\\,:ab\n\u00e9\U0001f600')),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(alphabet=st.sampled_from('[]{}"\\a')), children, max_size=3),
    max_leaves=30,
)  # fmt: skip


def nesting(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    return 0


@given(values)
def test_depth_is_the_nesting_of_the_value(value):
    text = json.dumps(value, ensure_ascii=False)
    assert depth(text) == nesting(value)
    if nesting(value) <= MAX_DEPTH:
        assert loads(text) == value


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("[" * 100_000 + "]" * 100_000, "too_deep"),
        ('{"a":' * 40_000 + "1" + "}" * 40_000, "too_deep"),
        ("[" * 100_000, "too_deep"),  # unterminated: still measured, never parsed
        ("9" * 5_000, "bad_json"),
        ("[NaN]", "bad_json"),
        ('{"a": -Infinity}', "bad_json"),
        ("1e999", "bad_json"),
        ("{not json", "bad_json"),
        (b"\xff\xfe", "bad_json"),
        ('"' + '\\"' * 50_000, "bad_json"),  # an unterminated string full of escaped quotes
    ],
)
def test_what_the_parser_cannot_take_is_bad_json_with_a_code(text, code):
    with pytest.raises(BadJson) as refused:
        loads(text)
    assert refused.value.code == code and str(refused.value)


def test_the_limit_is_a_parameter():
    assert loads("[[1]]", max_depth=2) == [[1]]
    with pytest.raises(BadJson, match="deeper than 1 levels"):
        loads("[[1]]", max_depth=1)


def test_measuring_stays_linear_on_hostile_text():
    # Escaped quotes that never close could make a naive string pattern retry from each one.
    started = time.perf_counter()
    for text in ('"' + '\\"' * 130_000, "[]" * 130_000, '["[",' * 40_000):
        depth(text)
    assert time.perf_counter() - started < 2.0
