"""The console's People, Schedule and delete pages with hostile values (issue 19): never a 5xx,
a refusal is the form again saying what is wrong, and nothing broken is stored (no NUL or lone
surrogate in a role, the schedule or the moderation log); a wrong confirmation deletes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from crowdwall.models import Schedule, Wall, WallRole
from tests.security.conftest import assert_answered, examples, tried
from tests.security.strategies import hostile_text
from tests.security.test_console import CONSOLE, _post_form, assert_nothing_broken_stored

pytestmark = pytest.mark.slow

EXAMPLES = examples(12)
PEOPLE = CONSOLE + "walls/djangocon/people/"
SCHEDULE = CONSOLE + "walls/djangocon/schedule/"
TROUBLE = ["a\x00b", "\ud800", "x" * 100_000, "a@b@c", " ", "http://[::1", "https://\ud800.x/"]


def test_hostile_people_schedule_and_delete_forms(
    staff_client: Client, site: dict[str, Any]
) -> None:
    walls = Wall.objects.count()

    @EXAMPLES
    @given(
        fields=st.lists(
            st.tuples(st.sampled_from(["user", "group", "role"]), hostile_text(max_size=40)),
            min_size=1,
            max_size=3,
        )
    )
    def check(fields: list[tuple[str, str]]) -> None:
        tried("form")
        assert_answered(_post_form(staff_client, PEOPLE, [("role", "viewer"), *fields]), api=False)

    check()
    for value in TROUBLE:
        for fields in ({"user": value, "role": "viewer"}, {"group": value, "role": "viewer"},
                       {"user": "mod", "role": value}):  # fmt: skip
            tried("form")
            assert_answered(_post_form(staff_client, PEOPLE, fields), api=False)
        tried("form")
        assert_answered(_post_form(staff_client, SCHEDULE, {"address": value}), api=False)
        tried("form")
        response = _post_form(staff_client, CONSOLE + "walls/djangocon/delete/", {"confirm": value})
        assert response.status_code == 400
    assert not WallRole.objects.exclude(role__in=["viewer", "moderator", "organiser"]).exists()
    assert not Schedule.objects.filter(wall__slug="djangocon").exists()
    assert Wall.objects.count() == walls
    assert_nothing_broken_stored()
