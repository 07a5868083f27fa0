"""``manage.py crowdwall never-show``: list, add (retroactive) and remove, with clear errors."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from crowdwall.models import ModerationLog, NeverShow, PostWall, Wall
from tests.crowdwall.conftest import make_post

pytestmark = pytest.mark.django_db

ANN = "https://social.example/users/ann"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("crowdwall", "never-show", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_add_takes_posts_off_and_list_shows_the_entry(store, wall, published):
    store(make_post(1), make_post(2))
    published.events.clear()
    assert "2 post(s) taken off" in run("add", ANN, "--note", "asked at the desk")
    assert set(PostWall.objects.values_list("state", flat=True)) == {"rejected"}
    assert ModerationLog.objects.get().action == "never_show"
    listing = run("list")
    assert ANN in listing and "(every wall)" in listing and "asked at the desk" in listing


def test_a_wall_list_and_removal(wall):
    Wall.objects.create(name="Other", slug="other")
    run("add", "@Ann@Social.Example", "--wall", "other")
    assert NeverShow.objects.get().wall.slug == "other"
    assert "@ann@social.example" in run("list", "--wall", "other")
    assert "@ann@social.example" not in run("list", "--wall", "djangocon")
    assert "again" in run("remove", "@ann@social.example", "--wall", "other")
    assert not NeverShow.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add",), "Name the account to add"),
        (("add", "@"), "Name an account id or @handle"),
        (("add", ANN, "--wall", "nope"), "No wall 'nope'"),
        (("remove", ANN), "is not on the never-show list of every wall"),
    ],
)
def test_mistakes_are_command_errors(wall, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
