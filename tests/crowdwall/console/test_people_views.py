"""The console's People page: who may list, grant and revoke a wall's roles (every role, each
action), that a granted role takes effect, the validation messages, the last-organiser rule,
staff's site-wide rights, the audit log and CSRF."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from crowdwall.models import ModerationAction, ModerationLog, Role, Wall, WallRole
from tests.crowdwall.console.conftest import CONSOLE

pytestmark = pytest.mark.django_db

PEOPLE = CONSOLE + "walls/djangocon/people/"


def login(django_user_model: Any, name: str, **fields: Any) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user(name, **fields))
    return client


@pytest.fixture
def ann(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("ann", email="ann@example.org")


def revoke_url(role: WallRole) -> str:
    return f"{PEOPLE}{role.pk}/revoke/"


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("organiser", True),
        ("moderator", False),
        ("viewer", False),
        ("organiser of another wall", False),
        ("no role", False),
        ("staff", True),
        ("superuser", True),
    ],
)
def test_who_may_list_grant_and_revoke(client, django_user_model, wall, ann, who, allowed):
    other = Wall.objects.create(name="Other", slug="other", hashtags=["other"])
    fields = {"is_staff": who == "staff", "is_superuser": who == "superuser"}
    user = django_user_model.objects.create_user("actor", **fields)
    if who in Role.values:
        WallRole.objects.create(wall=wall, user=user, role=who)
    elif who == "organiser of another wall":
        WallRole.objects.create(wall=other, user=user, role=Role.ORGANISER)
    # A second organiser, so revoking is not refused for being the last one.
    target = WallRole.objects.create(wall=wall, user=ann, role=Role.ORGANISER)
    client.force_login(user)
    before = set(WallRole.objects.values_list("pk", "role"))

    listed = client.get(PEOPLE)
    granted = client.post(PEOPLE, {"group": "", "user": "ann", "role": "viewer"})
    revoked = client.post(revoke_url(target))

    codes = [listed.status_code, granted.status_code, revoked.status_code]
    if allowed:
        assert codes == [200, 302, 302]
        assert 'data-holder="user:ann"' in listed.content.decode()
        assert not WallRole.objects.filter(user=ann).exists()  # changed to viewer, then revoked
    else:
        assert codes == [403, 403, 403]
        assert "no-store" in listed["Cache-Control"]
        assert set(WallRole.objects.values_list("pk", "role")) == before


def test_anonymous_page_views_go_to_the_login_and_posts_are_refused(client, wall, ann):
    role = WallRole.objects.create(wall=wall, user=ann, role=Role.ORGANISER)
    assert client.get(PEOPLE).status_code == 302
    assert client.post(PEOPLE, {"user": "ann", "role": "viewer"}).status_code == 403
    assert client.post(revoke_url(role)).status_code == 403
    assert WallRole.objects.get().role == Role.ORGANISER
    assert client.get(revoke_url(role)).status_code == 302  # to the login; a GET never revokes


def test_a_granted_role_takes_effect_and_a_revoked_one_ends(organiser, client, wall, ann):
    client.force_login(ann)
    assert client.get("/walls/djangocon/moderate/").status_code == 403
    response = organiser.post(PEOPLE, {"user": "ANN@example.org", "role": "moderator"})
    assert response.status_code == 302
    assert client.get("/walls/djangocon/moderate/").status_code == 200
    assert client.get(CONSOLE + "walls/djangocon/").status_code == 403  # not an organiser
    page = organiser.get(PEOPLE).content.decode()
    assert 'data-holder="user:ann"' in page and "User ann is now moderator" in page
    organiser.post(revoke_url(WallRole.objects.get(user=ann)))
    assert client.get("/walls/djangocon/moderate/").status_code == 403


def test_a_group_gets_a_role_for_every_member(organiser, client, wall, ann):
    volunteers = Group.objects.create(name="Volunteers")
    ann.groups.add(volunteers)
    assert organiser.post(PEOPLE, {"group": "Volunteers", "role": "viewer"}).status_code == 302
    role = WallRole.objects.get(group=volunteers)
    assert role.role == Role.VIEWER and role.user is None
    client.force_login(ann)
    assert client.get("/walls/djangocon/moderate/").status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"user": "nobody", "role": "viewer"},
            "No account has the username or e-mail &#x27;nobody&#x27;",
        ),
        ({"user": "ann", "group": "Volunteers", "role": "viewer"}, "Name a user or a group"),
        ({"role": "viewer"}, "Name a user or a group"),
        ({"group": "Nobody", "role": "viewer"}, "No group is called &#x27;Nobody&#x27;"),
        ({"user": "ann", "role": "owner"}, "Select a valid choice"),
        ({"user": "gone", "role": "viewer"}, "is inactive"),
        ({"user": "shared@example.org", "role": "viewer"}, "Several accounts use"),
    ],
)
def test_bad_grants_are_explained_and_change_nothing(
    organiser, django_user_model, wall, ann, data, message
):
    Group.objects.create(name="Volunteers")
    django_user_model.objects.create_user("gone", is_active=False)
    django_user_model.objects.create_user("s1", email="shared@example.org")
    django_user_model.objects.create_user("s2", email="Shared@example.org")
    response = organiser.post(PEOPLE, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WallRole.objects.exists()
    assert not ModerationLog.objects.exists()


def test_a_duplicate_is_refused_and_another_role_replaces_the_old(organiser, wall, ann):
    organiser.post(PEOPLE, {"user": "ann", "role": "moderator"})
    again = organiser.post(PEOPLE, {"user": "ann", "role": "moderator"})
    assert again.status_code == 400
    assert "User ann already is moderator of this wall" in again.content.decode()
    assert organiser.post(PEOPLE, {"user": "ann", "role": "organiser"}).status_code == 302
    assert list(WallRole.objects.values_list("role", flat=True)) == [Role.ORGANISER]
    details = [e.detail for e in ModerationLog.objects.order_by("id")]
    assert details == [
        {"people": "granted", "holder": "user ann", "role": "moderator"},
        {"people": "granted", "holder": "user ann", "role": "organiser", "previous": "moderator"},
    ]
    assert {e.action for e in ModerationLog.objects.all()} == {ModerationAction.CONFIGURE}


def test_the_last_organiser_stays_unless_staff_removes_them(
    organiser, client, django_user_model, wall, ann
):
    own = WallRole.objects.create(wall=wall, user=ann, role=Role.ORGANISER)
    client.force_login(ann)
    refused = client.post(revoke_url(own), follow=True)
    assert "ann is the last organiser of this wall" in refused.content.decode()
    downgrade = client.post(PEOPLE, {"user": "ann", "role": "viewer"})
    assert downgrade.status_code == 400 and "last organiser" in downgrade.content.decode()
    assert WallRole.objects.get().role == Role.ORGANISER
    # With a second organiser, ann may leave, and is sent back to the console's list.
    bo = django_user_model.objects.create_user("bo")
    WallRole.objects.create(wall=wall, user=bo, role=Role.ORGANISER)
    left = client.post(revoke_url(own))
    assert left.status_code == 302 and left["Location"] == CONSOLE
    # Staff with site-wide rights may leave a wall without organisers.
    assert organiser.post(revoke_url(WallRole.objects.get(user=bo))).status_code == 302
    assert not WallRole.objects.exists()
    assert ModerationLog.objects.filter(detail__people="revoked").count() == 2


def test_only_site_wide_staff_may_limit_staff_to_roles(
    organiser, client, django_user_model, wall, ann
):
    django_user_model.objects.create_user("sam", is_staff=True)
    WallRole.objects.create(wall=wall, user=ann, role=Role.ORGANISER)
    client.force_login(ann)
    refused = client.post(PEOPLE, {"user": "sam", "role": "organiser"})
    assert refused.status_code == 400
    assert "only staff with site-wide rights may limit them" in refused.content.decode()
    granted = organiser.post(PEOPLE, {"user": "sam", "role": "organiser"}, follow=True)
    assert "from now on only on the walls their roles name" in granted.content.decode()


@pytest.mark.parametrize("through", ["user", "group"])
def test_only_site_wide_staff_may_take_staffs_last_role(
    organiser, client, django_user_model, wall, ann, through
):
    """Staff without any role have every wall (PER_WALL_ROLES off): revoking their last role
    would widen their rights, which a wall's organiser may not do."""
    sam = django_user_model.objects.create_user("sam", is_staff=True)
    if through == "user":
        role = WallRole.objects.create(wall=wall, user=sam, role=Role.VIEWER)
    else:
        crew = Group.objects.create(name="Crew")
        sam.groups.add(crew)
        role = WallRole.objects.create(wall=wall, group=crew, role=Role.VIEWER)
    WallRole.objects.create(wall=wall, user=ann, role=Role.ORGANISER)
    client.force_login(ann)
    refused = client.post(revoke_url(role), follow=True).content.decode()
    assert "last role of the staff account(s) sam" in refused
    assert WallRole.objects.filter(pk=role.pk).exists()
    done = organiser.post(revoke_url(role), follow=True).content.decode()
    assert "No role left for the staff account(s) sam: rights on every wall again." in done
    assert not WallRole.objects.filter(pk=role.pk).exists()


def test_grant_and_revoke_need_the_csrf_token(django_user_model, wall, ann):
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_user("org", is_staff=True))
    assert client.post(PEOPLE, {"user": "ann", "role": "viewer"}).status_code == 403
    role = WallRole.objects.create(wall=wall, user=ann, role=Role.VIEWER)
    assert client.post(revoke_url(role)).status_code == 403
    assert WallRole.objects.count() == 1


def test_a_role_of_another_wall_cannot_be_revoked_here(organiser, wall, ann):
    other = Wall.objects.create(name="Other", slug="other", hashtags=["other"])
    role = WallRole.objects.create(wall=other, user=ann, role=Role.VIEWER)
    assert organiser.post(revoke_url(role)).status_code == 404
    assert WallRole.objects.filter(pk=role.pk).exists()
