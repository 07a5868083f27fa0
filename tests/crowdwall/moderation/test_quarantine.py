"""The quarantine on the moderation screen: a count per wall, the list with reasons, staff only."""

from __future__ import annotations

import pytest
from django.test import Client

from crowdwall.models import QuarantinedPost, Source, Wall
from tests.crowdwall.conftest import make_post
from tests.crowdwall.moderation.test_views import assert_private

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("poisoned")]

SCREEN = "/walls/djangocon/moderate/"


@pytest.fixture
def staff(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user("mo", is_staff=True))
    return client


def test_the_screen_counts_the_walls_quarantine_and_the_list_says_why(staff, store, source):
    assert 'data-quarantine-count="0"' in staff.get(SCREEN).content.decode()
    store(make_post(1), make_post(2, id="poison-2"), make_post(3, id="poison-3"))
    other = Wall.objects.create(name="Other", slug="other")
    QuarantinedPost.objects.create(
        source=Source.objects.create(wall=other, name="o", kind="replay"),
        external_id="elsewhere",
        reason="X",
        payload="{}",
    )
    screen = staff.get(SCREEN).content.decode()
    assert 'data-quarantine-count="2"' in screen and "2 posts failed to store" in screen
    response = staff.get(SCREEN + "quarantine/")
    assert response.status_code == 200
    assert_private(response)
    html = response.content.decode()
    assert "poison-2" in html and "poison-3" in html and "elsewhere" not in html
    assert "poisoned row" in html  # the reason


def test_the_quarantine_list_is_for_staff_only(wall, django_user_model):
    assert Client().get(SCREEN + "quarantine/").status_code == 302  # to the login
    member = Client()
    member.force_login(django_user_model.objects.create_user("joe"))
    response = member.get(SCREEN + "quarantine/")
    assert response.status_code == 403
    assert_private(response)


def test_an_unknown_wall_is_404(staff):
    assert staff.get("/walls/nothing/moderate/quarantine/").status_code == 404
