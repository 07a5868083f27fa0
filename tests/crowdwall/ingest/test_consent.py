"""Consent at ingest: opted-out accounts and posts, the never-show list, opt-outs seen later."""

from __future__ import annotations

import itertools

import pytest

from crowdwall.ingest.consent import account_opted_out, author_opted_out, has_opt_out_label
from crowdwall.ingest.normalize import IncomingAuthor
from crowdwall.models import Author, NeverShow, PostWall, Wall
from tests.crowdwall.conftest import make_post

pytestmark = pytest.mark.django_db

ANN = "https://social.example/users/ann"


def states(wall: Wall) -> dict[str, str]:
    return dict(PostWall.objects.filter(wall=wall).values_list("post__external_id", "state"))


@pytest.mark.parametrize(
    ("flags", "opted_out"),
    [
        ({}, False),  # nothing reported: hashtags are public by design
        ({"noindex": False, "discoverable": True, "indexable": True}, False),
        ({"noindex": True}, True),
        ({"discoverable": False}, True),
        ({"indexable": False}, True),
        ({"discoverable": None, "indexable": None, "noindex": None}, False),
        ({"no_unauthenticated": True}, True),
        ({"no_unauthenticated": False, "indexable": True}, False),
    ],
)
def test_the_rule(flags, opted_out):
    assert account_opted_out(**flags) is opted_out


def test_the_rule_read_from_an_authors_attributes_is_the_same_rule():
    names = ["noindex", "discoverable", "indexable", "no_unauthenticated"]
    for values in itertools.product([None, True, False], repeat=4):  # every combination
        flags = dict(zip(names, values, strict=True))
        author = IncomingAuthor(id="a", handle="a", **flags)
        assert author_opted_out(author) is account_opted_out(**flags), flags


def test_the_bluesky_label_is_found_among_others():
    assert has_opt_out_label([{"val": "nudity"}, {"val": "!no-unauthenticated"}])
    assert not has_opt_out_label([{"val": "nudity"}])
    assert not has_opt_out_label("!no-unauthenticated")  # not a label list


@pytest.mark.parametrize(
    "flags", [{"noindex": True}, {"discoverable": False}, {"indexable": False}]
)
def test_an_opted_out_account_found_by_hashtag_is_not_stored(store, wall, flags):
    result = store(make_post(1, author=flags))
    assert (result.created, result.unmatched) == (0, 1)
    assert states(wall) == {}


def test_unknown_flags_do_not_opt_out(store, wall):
    store(make_post(1, author={"noindex": None, "discoverable": None, "indexable": None}))
    assert states(wall) == {"1": "approved"}


def test_the_flags_are_stored_on_the_author(store):
    store(make_post(1, author={"noindex": False, "discoverable": True, "indexable": True}))
    author = Author.objects.get()
    assert (author.noindex, author.discoverable, author.indexable) == (False, True, True)
    assert (author.no_unauthenticated, author.opted_out) == (None, False)


def test_an_opted_out_post_is_not_stored(store, wall):
    from crowdwall.ingest.post_json import from_dict

    post = from_dict(make_post(1))
    post.opted_out = True  # what a Bluesky record labelled !no-unauthenticated becomes
    assert store(post).created == 0
    assert states(wall) == {}


def test_a_wall_may_show_the_accounts_it_follows_by_name_when_it_says_so(store, wall):
    wall.accounts = [ANN]
    wall.save()
    assert store(make_post(1, author={"indexable": False})).created == 0  # default: respect
    wall.followed_accounts_opt_in = True
    wall.save()
    store(make_post(2, author={"indexable": False}))
    assert states(wall) == {"2": "approved"}
    author = Author.objects.get()
    assert (author.indexable, author.opted_out) == (False, True)


def test_an_account_that_opts_out_later_disappears_from_walls_live(store, wall, published):
    other = Wall.objects.create(name="Other", slug="other", hashtags=["djangocon"])
    store(make_post(1), make_post(2))
    assert states(wall) == {"1": "approved", "2": "approved"}
    published.events.clear()
    # Their next status carries the account with its new flags.
    result = store(make_post(3, author={"discoverable": False}))
    assert result.created == 0
    assert states(wall) == {"1": "rejected", "2": "rejected"}
    assert states(other) == {"1": "rejected", "2": "rejected"}
    assert set(PostWall.objects.values_list("reason", flat=True)) == {"author opted out"}
    assert sorted(e.kind for e in published.events) == ["post.moderation"] * 2
    assert published.events[0].walls == {"djangocon": "rejected", "other": "rejected"}
    assert Author.objects.get().opted_out is True
    # Nothing more to withdraw the next time: the flip is seen once.
    published.events.clear()
    store(make_post(4, author={"discoverable": False}))
    assert published.events == []


def test_an_opt_out_spares_the_walls_that_follow_the_account_by_choice(store, wall):
    keen = Wall.objects.create(
        name="Keen",
        slug="keen",
        accounts=[ANN],
        followed_accounts_opt_in=True,
    )
    store(make_post(1))
    store(make_post(2, author={"noindex": True}))
    assert states(wall) == {"1": "rejected"}
    assert states(keen) == {"1": "approved", "2": "approved"}


def test_never_show_keeps_posts_off_every_wall_or_one(store, wall):
    other = Wall.objects.create(name="Other", slug="other", hashtags=["djangocon"])
    NeverShow.objects.create(account="@ANN@social.example", wall=other)
    store(make_post(1))
    assert (states(wall), states(other)) == ({"1": "approved"}, {})
    NeverShow.objects.create(account=ANN)
    assert store(make_post(2)).unmatched == 1


def test_never_show_overrides_a_wall_that_follows_the_account(store, wall):
    wall.accounts = [ANN]
    wall.followed_accounts_opt_in = True
    wall.save()
    NeverShow.objects.create(account=ANN)
    assert store(make_post(1)).created == 0


def test_an_edit_carrying_the_opt_out_label_takes_the_post_off(store, wall, published):
    from crowdwall.ingest.post_json import from_dict

    store(make_post(1))
    edit = from_dict(make_post(1, html="<p>edited #DjangoCon</p>", edited_at="2025-05-01T12:00Z"))
    edit.opted_out = True
    published.events.clear()
    store(edit)
    assert states(wall) == {"1": "rejected"}
    assert PostWall.objects.get().reason == "author opted out"


def test_an_account_labelled_on_its_profile_is_withdrawn_at_once_sparing_keen_walls(
    store, wall, published, django_capture_on_commit_callbacks
):
    from crowdwall.ingest.withdraw import labelled_accounts, withdraw_accounts

    keen = Wall.objects.create(
        name="Keen", slug="keen", accounts=[ANN], followed_accounts_opt_in=True
    )
    store(make_post(1))
    published.events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert withdraw_accounts({ANN: True, "did:plc:nobody": True}) == 1
    assert (states(wall), states(keen)) == ({"1": "rejected"}, {"1": "approved"})
    assert [(e.kind, e.walls) for e in published.events] == [
        ("post.moderation", {"djangocon": "rejected"})
    ]
    author = Author.objects.get()
    assert (author.no_unauthenticated, author.opted_out) == (True, True)
    assert labelled_accounts("http", 10) == [ANN] and labelled_accounts("did:", 10) == []
    # The label removed: the row says so, the withdrawn post stays withdrawn.
    published.events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert withdraw_accounts({ANN: False}) == 0
    author.refresh_from_db()
    assert (author.no_unauthenticated, author.opted_out) == (None, False)
    assert states(wall) == {"1": "rejected"} and published.events == []


def test_losing_the_label_keeps_an_account_opted_out_by_its_other_flags():
    from django.utils import timezone

    from crowdwall.ingest.withdraw import withdraw_accounts

    flags = {"noindex": True, "no_unauthenticated": True, "opted_out": True}
    Author.objects.create(key=ANN, handle="ann", updated_at=timezone.now(), **flags)
    withdraw_accounts({ANN: False})
    assert Author.objects.get().opted_out is True
