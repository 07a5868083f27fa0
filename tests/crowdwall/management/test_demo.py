"""``manage.py crowdwall demo``: the walls make demo shows (one open, one pre-approve), their
paced, bounded replay source, posts to start with, and a staff login printed for the visitor."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from crowdwall.demo import KEEP, MODERATED_SLUG, STAFF_USERNAME
from crowdwall.ingest.write import ingest
from crowdwall.models import Post, PostWall, Source, Wall

pytestmark = pytest.mark.django_db


def demo(*args: str) -> str:
    out = io.StringIO()
    call_command("crowdwall", "demo", *args, stdout=out)
    return out.getvalue()


def login(output: str) -> tuple[str, str]:
    found = re.search(r"Staff login \(moderation, admin\): (\S+) / (\S+)", output)
    assert found, output
    return found.group(1), found.group(2)


def test_demo_creates_an_open_and_a_pre_approve_wall_fed_by_one_paced_bounded_replay():
    first = demo("--site-url", "http://127.0.0.1:8001")
    wall, moderated = Wall.objects.get(slug="djangocon"), Wall.objects.get(slug=MODERATED_SLUG)
    assert (wall.moderation, moderated.moderation) == ("open", "pre_approve")
    (source,) = Source.objects.all()
    assert source.kind == "replay" and source.scope == "any"  # reaches both walls
    assert source.config == {
        "pacing": "recorded", "speed": 5.0, "loop": True, "keep": KEEP,
        "site_url": "http://127.0.0.1:8001", "rate": 20.0, "retime": True, "batch_size": 100,
    }  # fmt: skip
    # Posts to start with: on the open wall at once, in the moderated wall's queue.
    assert PostWall.objects.filter(wall=wall, state="approved").count() > 10
    assert PostWall.objects.filter(wall=moderated, state="pending").count() > 10
    assert PostWall.objects.filter(wall=moderated, state="approved").count() == 0
    for page in ("", "screen/", "moderate/"):
        assert f"http://127.0.0.1:8001/walls/{MODERATED_SLUG}/{page}\n" in first
    assert "created (24 posts to start with). Start here: http://127.0.0.1:8001/" in first


def test_the_staff_login_works_and_each_run_prints_a_new_password():
    username, password = login(demo())
    user = get_user_model().objects.get(username=username)
    assert username == STAFF_USERNAME and user.is_staff and user.is_active
    assert user.check_password(password)
    again = demo("--site-url", "http://localhost:9000")
    _, new_password = login(again)
    user.refresh_from_db()
    assert new_password != password and user.check_password(new_password)
    assert "already there. Start here: http://localhost:9000/" in again  # no second prefill
    assert Source.objects.get().config["site_url"] == "http://localhost:9000"
    assert get_user_model().objects.count() == 1 and Wall.objects.count() == 2


def test_rate_gives_a_steady_replay_and_bad_arguments_are_refused():
    demo("--rate", "20")
    config = Source.objects.get().config
    assert config["rate"] == 20.0 and "pacing" not in config
    with pytest.raises(CommandError, match="not both"):
        demo("--rate", "20", "--speed", "3")
    with pytest.raises(CommandError, match="site_url"):
        demo("--site-url", "javascript:alert(1)")
    with pytest.raises(CommandError, match="speed"):
        demo("--speed", "nan")


def test_each_run_removes_the_posts_the_replay_deleted_again(django_capture_on_commit_callbacks):
    demo()
    source = Source.objects.get()
    live = list(Post.objects.filter(source=source).order_by("pk")[:3])
    with django_capture_on_commit_callbacks(execute=True):
        ingest(source, [{"id": post.external_id, "action": "delete"} for post in live])
    assert Post.objects.exclude(deleted_at=None).count() == 3  # erased, still there
    before = Post.objects.count()
    demo()
    assert Post.objects.exclude(deleted_at=None).count() == 0
    assert Post.objects.count() == before - 3
    assert not PostWall.objects.filter(post_id__in=[post.pk for post in live]).exists()
