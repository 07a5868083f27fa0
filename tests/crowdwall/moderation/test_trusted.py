"""Trusted accounts: their posts, and posts they boost, skip a wall's pre-approval queue with
the reason on the entry (shown on the moderation screen); everything else queues as before.
Kept through the admin, the API (``api/test_trusted``) and ``crowdwall.moderation.trusted``."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from django.test import Client

from crowdwall.ingest.post_json import from_dict
from crowdwall.ingest.quarantine import payload
from crowdwall.models import (
    BannedWord,
    ModerationLog,
    ModerationMode,
    PostWall,
    TrustedAccount,
    Wall,
)
from crowdwall.moderation import trusted
from tests.crowdwall.conftest import make_post
from tests.crowdwall.jobs.test_reindex import reindex

pytestmark = pytest.mark.django_db

ANN = "https://social.example/users/ann"  # make_post's author, @ann@social.example
BO = {"id": "https://x.example/users/bo", "handle": "bo@x.example", "display_name": "Bo"}
CAROL = {"id": "https://x.example/users/carol", "handle": "carol@x.example"}
TRUSTED_ANN = "auto-approved because @ann@social.example is trusted"
BOOSTED = "boosted by @carol@x.example (trusted)"


@pytest.fixture
def held(wall: Wall) -> Wall:
    wall.moderation = ModerationMode.PRE_APPROVE
    wall.save()
    return wall


def entry(result: Any) -> tuple[str, str]:
    row = PostWall.objects.get(post_id=result.events[0].post_id)
    return row.state, row.reason


@pytest.mark.parametrize(
    ("trust", "post", "verdict"),
    [
        ([], make_post(1), ("pending", "")),
        (["@Ann@Social.Example"], make_post(1), ("approved", TRUSTED_ANN)),
        ([ANN], make_post(1), ("approved", TRUSTED_ANN)),  # by stable id
        (["@ann@social.example"], make_post(1, author=BO), ("pending", "")),
        (["@carol@x.example"], make_post(1, boost=True, boosted_by=CAROL), ("approved", BOOSTED)),
        ([CAROL["id"]], make_post(1, boost=True, boosted_by=CAROL), ("approved", BOOSTED)),
        (["@carol@x.example"], make_post(1, boost=True, boosted_by=BO), ("pending", "")),
        # Trust skips the queue only: a ban still rejects, the blocklist still holds.
        (["@ann@social.example"], make_post(1, html="<p>#DjangoCon spam</p>"), ("rejected", None)),
    ],
    ids=[
        "untrusted",
        "author-by-handle",
        "author-by-id",
        "someone-else",
        "boosted-by-handle",
        "boosted-by-id",
        "boosted-by-someone-else",
        "banned-word",
    ],
)
def test_trusted_authors_and_boosters_skip_the_queue(held, store, trust, post, verdict):
    BannedWord.objects.create(wall=held, word="spam")
    for account in trust:
        trusted.trust(held, account)
    state, reason = entry(store(post))
    assert state == verdict[0]
    if verdict[1] is not None:
        assert reason == verdict[1]


def test_an_open_wall_needs_no_reason(wall, store):
    trusted.trust(wall, "@ann@social.example")
    assert entry(store(make_post(1))) == ("approved", "")


def test_the_booster_survives_the_worker_pickle_and_quarantine():
    post = from_dict(make_post(1, boost=True, boosted_by=CAROL))
    assert (post.booster_id, post.booster_handle) == (CAROL["id"], CAROL["handle"])
    assert pickle.loads(pickle.dumps(post)).booster_handle == CAROL["handle"]
    again = from_dict(json.loads(payload(post)))
    assert (again.booster_id, again.booster_handle) == (CAROL["id"], CAROL["handle"])


def test_a_bad_boosted_by_is_refused_with_a_reason():
    from crowdwall.exceptions import InvalidPost

    with pytest.raises(InvalidPost, match="boosted_by"):
        from_dict(make_post(1, boosted_by="carol"))


def test_reindex_keeps_a_boosters_approval_and_recomputes_an_authors(held, store):
    trusted.trust(held, "@ann@social.example")
    trusted.trust(held, "@carol@x.example")
    by_ann = store(make_post(1)).events[0].post_id
    boosted = store(make_post(2, author=BO, boost=True, boosted_by=CAROL)).events[0].post_id
    trusted.distrust(held, "@ann@social.example")
    reindex()
    states = dict(PostWall.objects.values_list("post_id", "state"))
    # Ann is no longer trusted: her post waits again. Who boosted Bo's post is not stored,
    # so that approval stands.
    assert (states[by_ann], states[boosted]) == ("pending", "approved")


def test_trusting_is_normalised_idempotent_and_audited(wall):
    first = trusted.trust(wall, " @Ann@Social.Example ", note="keynote speaker")
    again = trusted.trust(wall, "@ann@social.example")
    assert first.pk == again.pk and first.account == "@ann@social.example"
    assert trusted.distrust(wall, "@ANN@social.example") is True
    assert trusted.distrust(wall, "@ann@social.example") is False
    details = list(ModerationLog.objects.filter(wall=wall).values_list("detail", flat=True))
    assert details == [{"untrusted": "@ann@social.example"}, {"trusted": "@ann@social.example"}]
    assert not TrustedAccount.objects.exists()


def test_the_moderation_screen_says_why(held, store, django_user_model):
    trusted.trust(held, "@carol@x.example", note="volunteer")
    store(make_post(1, boost=True, boosted_by=CAROL), make_post(2))
    client = Client()
    client.force_login(django_user_model.objects.create_user("mo", is_staff=True))
    approved = client.get("/walls/djangocon/moderate/?state=approved").content.decode()
    assert BOOSTED in approved and "mod-reason--trusted" in approved
    pending = client.get("/walls/djangocon/moderate/?state=pending").content.decode()
    assert "data-trusted-accounts" in pending and "@carol@x.example" in pending
