"""Deleting from the console: a confirmation page first (a GET deletes nothing), then a POST;
sources by their wall's organisers, walls only with site-wide rights and the slug typed; what
went is logged and nothing is left pointing at it."""

from __future__ import annotations

import pytest

from crowdwall.models import ModerationLog, Post, PostWall, Role, Source, Wall, WallRole
from tests.crowdwall.conftest import make_post, orphans
from tests.crowdwall.console.conftest import CONSOLE

pytestmark = pytest.mark.django_db

WALL = CONSOLE + "walls/djangocon/"


def source_url(source: Source) -> str:
    return f"{WALL}sources/{source.pk}/delete/"


@pytest.fixture
def role_client(client, django_user_model, wall):
    """``role_client(role)``: a logged-in non-staff user holding ``role`` on the wall."""

    def login(role: str):
        user = django_user_model.objects.create_user(f"u-{role}")
        WallRole.objects.create(wall=wall, user=user, role=role)
        client.force_login(user)
        return client

    return login


def test_a_source_is_deleted_after_confirming_with_its_posts(organiser, wall, source, store):
    store(make_post(1), make_post(2))
    confirm = organiser.get(source_url(source))
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "<strong>2</strong> posts it fetched go from every wall" in html
    assert Source.objects.filter(pk=source.pk).exists()  # the GET only asks
    done = organiser.post(source_url(source))
    assert done.status_code == 302 and done["Location"] == WALL
    assert not Source.objects.filter(pk=source.pk).exists()
    assert not Post.objects.exists() and not PostWall.objects.exists()
    assert orphans() == {}
    log = ModerationLog.objects.get()
    assert log.wall == wall
    assert log.detail == {"source": "demo", "deleted": True, "kind": "replay"}
    assert "Delete…" not in organiser.get(WALL).content.decode()


@pytest.mark.parametrize(
    ("role", "allowed"), [("organiser", True), ("moderator", False), ("viewer", False)]
)
def test_who_may_delete_a_source(role_client, wall, source, role, allowed):
    client = role_client(role)
    codes = [
        client.get(source_url(source)).status_code,
        client.post(source_url(source)).status_code,
    ]
    assert codes == ([200, 302] if allowed else [403, 403])
    assert Source.objects.filter(pk=source.pk).exists() is not allowed


def test_a_source_of_another_wall_is_404_here(organiser, wall):
    other = Wall.objects.create(name="Other", slug="other", hashtags=["other"])
    elsewhere = Source.objects.create(wall=other, name="feed", kind="replay", config={"rate": 0})
    assert organiser.post(source_url(elsewhere)).status_code == 404
    assert Source.objects.filter(pk=elsewhere.pk).exists()


def test_a_wall_is_deleted_once_its_slug_is_typed(organiser, client, wall, source, store):
    store(make_post(1))
    confirm = organiser.get(WALL + "delete/")
    assert confirm.status_code == 200
    assert "its 1 source (demo) and the 1 post they fetched" in confirm.content.decode()
    wrong = organiser.post(WALL + "delete/", {"confirm": "DjangoCon"})
    assert wrong.status_code == 400
    assert "Type the wall&#x27;s slug, djangocon, to delete it." in wrong.content.decode()
    assert Wall.objects.filter(pk=wall.pk).exists()
    done = organiser.post(WALL + "delete/", {"confirm": "djangocon"})
    assert done.status_code == 302 and done["Location"] == CONSOLE
    assert not Wall.objects.exists() and not Source.objects.exists() and not Post.objects.exists()
    assert orphans() == {}
    log = ModerationLog.objects.get()
    assert log.wall is None and log.actor_name == "org"
    assert log.detail == {"deleted_wall": "djangocon", "name": "DjangoCon", "sources": 1}
    assert client.get("/walls/djangocon/").status_code == 404


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.MODERATOR, Role.VIEWER])
def test_deleting_a_wall_needs_site_wide_rights(role_client, wall, role):
    client = role_client(role)
    assert client.get(WALL + "delete/").status_code == 403
    assert client.post(WALL + "delete/", {"confirm": "djangocon"}).status_code == 403
    assert Wall.objects.filter(pk=wall.pk).exists()
    page = client.get(WALL)
    assert f'href="{WALL}delete/"' not in page.content.decode()  # no link to what they may not do


def test_the_wall_page_links_people_schedule_and_deleting(organiser, wall, source):
    html = organiser.get(WALL).content.decode()
    for path in ("people/", "schedule/", "delete/", f"sources/{source.pk}/delete/"):
        assert f'href="{WALL}{path}"' in html
