"""The Mastodon list sync (``crowdwall.sources.mastodon.lister``) and ``manage.py crowdwall
lister``, against the fake Mastodon server (real HTTP on loopback, the real list API)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crowdwall.models import Source
from crowdwall.sources.mastodon.lister import ListerError, acct_of, sync_list, tracked_accounts
from tests.crowdwall.fakes.asgi_server import AsgiServer
from tests.crowdwall.fakes.mastodon import FakeMastodon

TOKEN = "user-token"


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    app = FakeMastodon(token=TOKEN)
    with AsgiServer(app) as server:
        app.url = server.url
        yield app


class Sleeps:
    """An injected ``sleep`` that records and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def run(fake: FakeMastodon, accounts: list[str], **options) -> object:
    options.setdefault("sleep", Sleeps())
    token = options.pop("token", TOKEN)
    return asyncio.run(sync_list(fake.url, token, "DjangoCon speakers", accounts, **options))


def test_acct_of_handles_and_urls():
    assert acct_of("@ann@social.example") == "ann@social.example"
    assert acct_of("https://social.example/users/ann") == "ann@social.example"
    assert acct_of("https://social.example/@ann") == "ann@social.example"
    assert acct_of("https://social.example/about") is None
    assert tracked_accounts(["@Ann@x", "1"], ["@ann@x", "2", "1"]) == ["@Ann@x", "1", "2"]


def test_creates_the_list_follows_and_adds_every_resolvable_account(fake):
    bo = fake.add_account("bo", domain="other.example")
    cy = fake.add_account("cy")
    result = run(
        fake,
        [
            "@ann@social.example",  # a local account, named with the local domain
            "https://other.example/users/bo",  # an actor URI
            cy["id"],  # an account id
            "@ghost@nowhere.example",
            "99999",
        ],
    )
    assert result.created and [v["title"] for v in fake.lists.values()] == ["DjangoCon speakers"]
    assert fake.members(result.list_id) == [fake.ann["id"], bo["id"], cy["id"]]
    assert [m.id for m in result.followed] == [fake.ann["id"], bo["id"], cy["id"]]
    assert [entry for entry, _ in result.unknown] == ["@ghost@nowhere.example", "99999"]
    adds = [r for r in fake.rest_requests("/api/v1/lists/") if r.method == "POST"]
    assert len(adds) == 1  # one batch
    assert all(r.authorization == f"Bearer {TOKEN}" for r in fake.rest_requests())


def test_syncs_an_existing_list_across_pages(fake):
    people = [fake.add_account(f"p{n}") for n in range(90)]
    list_id = fake.add_list("DjangoCon speakers", *(p["id"] for p in people[:85]))
    wanted = [p["id"] for p in people[1:86]]  # p0 leaves, p85 joins
    result = run(fake, wanted)
    assert not result.created and result.list_id == list_id
    assert [m.id for m in result.removed] == [people[0]["id"]]
    assert [m.id for m in result.added] == [people[85]["id"]]
    assert len(result.unchanged) == 84
    assert sorted(fake.members(list_id)) == sorted(wanted)
    pages = [
        r for r in fake.rest_requests(f"/api/v1/lists/{list_id}/accounts") if r.method == "GET"
    ]
    assert len(pages) == 2  # 80 + 5, following the Link header
    again = run(fake, wanted)  # idempotent
    assert (again.added, again.removed, len(again.unchanged)) == ([], [], 85)


def test_dry_run_changes_nothing(fake):
    list_id = fake.add_list("DjangoCon speakers", fake.add_account("old")["id"])
    before = len(fake.rest_requests())
    result = run(fake, [fake.ann["id"]], dry_run=True)
    assert [m.id for m in result.added] == [fake.ann["id"]] and len(result.removed) == 1
    assert fake.members(list_id) != [fake.ann["id"]]
    methods = {r.method for r in fake.rest_requests()[before:]}
    assert methods == {"GET"}


def test_dry_run_for_a_missing_list_creates_nothing(fake):
    result = run(fake, [fake.ann["id"]], dry_run=True)
    assert result.created and result.list_id is None and fake.lists == {}


def test_a_refused_account_does_not_stop_the_others(fake):
    bo, cy = fake.add_account("bo"), fake.add_account("cy")
    fake.following.add(bo["id"])  # without following, Mastodon refuses to list cy
    result = run(fake, [bo["id"], cy["id"]], follow=False)
    assert [m.id for m in result.added] == [bo["id"]]
    assert [(m.id, "422" in why) for m, why in result.failed] == [(cy["id"], True)]
    assert fake.members(result.list_id) == [bo["id"]]


def test_locked_accounts_are_listed_once_requested(fake):
    locked = fake.add_account("shy")
    locked["locked"] = True
    result = run(fake, [locked["id"]])
    assert locked["id"] in fake.requested and fake.members(result.list_id) == [locked["id"]]


def test_rate_limits_are_honoured_within_the_bound(fake):
    sleeps = Sleeps()
    fake.fail(429, retry_after="2")
    result = run(fake, [fake.ann["id"]], sleep=sleeps)
    assert fake.members(result.list_id) == [fake.ann["id"]]
    assert sleeps.calls and 1.5 <= sleeps.calls[0] <= 2.0


def test_a_rate_limit_longer_than_the_bound_is_an_error(fake):
    fake.fail(429, retry_after="3600")
    with pytest.raises(ListerError, match=r"rate limiting us for \d+ s \(more than 30 s\)"):
        run(fake, [fake.ann["id"]], max_wait=30)


def test_writes_are_retried_after_server_errors(fake):
    run(fake, [], dry_run=False)  # creates the list
    fake.fail(503, times=1)
    result = run(fake, [fake.ann["id"]])
    assert fake.members(result.list_id) == [fake.ann["id"]]


def test_missing_or_refused_tokens(fake):
    with pytest.raises(ListerError, match="needs an access token"):
        run(fake, ["1"], token="")
    with pytest.raises(Exception, match="HTTP 401"):
        run(fake, ["1"], token="wrong")
    assert fake.lists == {}


# The command ---------------------------------------------------------------------------------


@pytest.fixture
def masto(wall, fake) -> Source:
    wall.accounts = ["@ann@social.example", "@ghost@nowhere.example"]
    wall.save()
    bo = fake.add_account("bo")
    return Source.objects.create(
        wall=wall,
        name="masto",
        kind="mastodon",
        config={"instance": fake.url, "accounts": [bo["id"]]},
        secret=TOKEN,
    )


def lister(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("crowdwall", "lister", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_command_syncs_and_reports(masto, fake):
    args = ("--wall", "djangocon", "--source", "masto", "--list", "Speakers")
    out, err = lister(*args, "--dry-run")
    assert "List 'Speakers': would be created" in out and "2 to add" in out
    assert fake.lists == {}
    out, err = lister(*args)
    assert "+ ann (" in out and "+ bo (" in out
    assert "2 added, 0 removed, 0 unchanged, 1 unknown, 0 failed." in out
    assert "? unknown account @ghost@nowhere.example: not found" in err
    (list_id,) = fake.lists
    assert len(fake.members(list_id)) == 2
    out, _ = lister("--wall", "djangocon", "--source", str(masto.pk), "--list", "Speakers")
    assert "0 added, 0 removed, 2 unchanged" in out


@pytest.mark.django_db
def test_command_errors_are_clear(masto, fake, wall):
    with pytest.raises(CommandError, match="No wall"):
        lister("--wall", "nope", "--source", "masto", "--list", "x")
    with pytest.raises(CommandError, match="no Mastodon source 'rss'"):
        lister("--wall", "djangocon", "--source", "rss", "--list", "x")
    masto.secret = ""
    masto.save()
    with pytest.raises(CommandError, match="has no access token"):
        lister("--wall", "djangocon", "--source", "masto", "--list", "x")
    masto.secret = "wrong"
    masto.save()
    with pytest.raises(CommandError, match=r"HTTP 401.*is the token valid"):
        lister("--wall", "djangocon", "--source", "masto", "--list", "x")
