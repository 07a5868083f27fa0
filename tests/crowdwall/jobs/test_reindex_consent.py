"""A reindex respects consent: opted-out accounts and never-show entries stay off the walls."""

from __future__ import annotations

import pytest

from crowdwall.models import NeverShow
from tests.crowdwall.conftest import make_post
from tests.crowdwall.jobs.test_reindex import APPROVED, entries, python_wall, reindex  # noqa: F401

pytestmark = pytest.mark.django_db


def test_an_opted_out_author_is_not_brought_back_by_a_wider_rule(wall, python_wall, store):  # noqa: F811
    store(make_post(1, html="<p>Post 1 on #Python</p>"))
    store(make_post(2, html="<p>Post 2 on #Python</p>", author={"indexable": False}))
    assert entries(python_wall) == {"1": ("rejected", "author opted out")}
    wall.hashtags = ["djangocon", "python"]
    wall.save()
    reindex()
    assert entries(wall) == {}  # the author's posts match, but the author opted out
    assert entries(python_wall) == {"1": ("rejected", "author opted out")}


def test_a_never_show_entry_takes_posts_off_in_a_reindex_too(wall, store):
    store(make_post(1), make_post(2))
    NeverShow.objects.create(account="@ann@social.example")  # written around the service
    output = reindex()
    assert "removed 2" in output
    assert entries(wall) == {}
