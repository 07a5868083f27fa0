"""The bounds of wall rules and bans (crowdwall.rule_limits), as the models enforce them for
every entry point; the entry points' own tests check each answers with its error shape."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from crowdwall.models import BannedAuthor, BannedWord, Wall
from crowdwall.rule_limits import LIMITS, list_errors

# A list one over each wall field's bounds: too many entries, or one entry too long.
TOO_MANY = {field: [f"e{i}" for i in range(LIMITS[field].count + 1)] for field in LIMITS}
TOO_LONG = {field: ["e" * (LIMITS[field].length + 1)] for field in LIMITS}
WALL_FIELDS = ["hashtags", "keywords", "accounts", "languages"]


def test_lists_within_bounds_pass_and_beyond_say_which_bound():
    assert list_errors("hashtags", ["a"] * 100) == []
    assert list_errors("hashtags", ["a"] * 101) == ["At most 100 hashtags (101 given)."]
    long = list_errors("keywords", ["k" * 10_000])
    assert long == ["Keywords have at most 200 characters: 'kkkkkkkkkkkkkkkkkkkk…' has 10,000."]


@pytest.mark.django_db
@pytest.mark.parametrize("field", WALL_FIELDS)
@pytest.mark.parametrize("values", [TOO_MANY, TOO_LONG], ids=["too many", "too long"])
def test_a_wall_beyond_a_bound_is_invalid(field, values):
    wall = Wall(name="w", slug="w", **{field: values[field]})
    with pytest.raises(ValidationError) as caught:
        wall.full_clean()
    assert list(caught.value.message_dict) == [field]


@pytest.mark.django_db
def test_a_wall_holds_a_bounded_number_of_bans(wall, two_at_most):
    for word in ("one", "two"):
        BannedWord.objects.create(wall=wall, word=word)
        BannedAuthor.objects.create(wall=wall, account=f"@{word}")
    with pytest.raises(ValidationError, match="at most 2 banned words"):
        BannedWord(wall=wall, word="three").full_clean()
    with pytest.raises(ValidationError, match="at most 2 banned authors"):
        BannedAuthor(wall=wall, account="@three").full_clean()
    BannedWord(wall=wall, word="two").clean()  # already there: takes no room
    other = Wall.objects.create(name="o", slug="o")
    BannedWord(wall=other, word="three").full_clean()  # per wall
