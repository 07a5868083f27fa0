"""Every kind of caller for the role tables (``test_access``, ``api/test_roles``), and the runner
that asks one endpoint as each of them, each call rolled back so all start from the same data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group
from django.db import transaction
from django.test import Client, override_settings

from crowdwall.models import Role, Wall, WallRole

# What each caller may do on the "djangocon" wall: "site" is the site-wide things (creating
# walls, the global never-show list), for full access only; "enter" is opening the staff
# pages at all (the console's wall list, the rule explainer): any role on any wall.
MAY = {
    "superuser": {"enter", "view", "moderate", "organise", "site"},
    "staff": {"enter", "view", "moderate", "organise", "site"},  # no roles: as before roles
    "staff_strict": set(),  # the same, with PER_WALL_ROLES on
    "staff_elsewhere": {"enter"},  # staff with a role on another wall only
    "organiser": {"enter", "view", "moderate", "organise"},
    "moderator": {"enter", "view", "moderate"},
    "group_moderator": {"enter", "view", "moderate"},  # through a group's role
    "viewer": {"enter", "view"},
    "organiser_elsewhere": {"enter"},  # organiser of another wall
    "member": set(),  # logged in, no staff, no role
    "anonymous": set(),  # not logged in: refused its own way (login redirect, 401)
}
CALLERS = list(MAY)


@dataclass
class Caller:
    name: str
    user: Any
    settings: dict[str, Any] = field(default_factory=dict)

    def client(self, **defaults: Any) -> Client:
        client = Client(**defaults)
        if self.user.is_authenticated:
            client.force_login(self.user)
        return client


@pytest.fixture
def callers(wall: Wall, django_user_model: Any) -> dict[str, Caller]:
    """One user per kind of caller (``MAY``), with their roles on ``wall`` or another wall."""
    other = Wall.objects.create(name="PyCon", slug="pycon")
    make = django_user_model.objects.create_user
    users = {
        "superuser": django_user_model.objects.create_superuser("root"),
        "staff": make("staff", is_staff=True),
        "staff_strict": make("strict", is_staff=True),
        "staff_elsewhere": make("elsewhere", is_staff=True),
        "organiser": make("org"),
        "moderator": make("mod"),
        "group_moderator": make("grouped"),
        "viewer": make("view"),
        "organiser_elsewhere": make("otherorg"),
        "member": make("member"),
        "anonymous": AnonymousUser(),
    }
    WallRole.objects.create(wall=wall, user=users["organiser"], role=Role.ORGANISER)
    WallRole.objects.create(wall=wall, user=users["moderator"], role=Role.MODERATOR)
    WallRole.objects.create(wall=wall, user=users["viewer"], role=Role.VIEWER)
    group = Group.objects.create(name="volunteers")
    users["group_moderator"].groups.add(group)
    WallRole.objects.create(wall=wall, group=group, role=Role.MODERATOR)
    WallRole.objects.create(wall=other, user=users["organiser_elsewhere"], role=Role.ORGANISER)
    WallRole.objects.create(wall=other, user=users["staff_elsewhere"], role=Role.MODERATOR)
    strict = {"CROWDWALL": {**getattr(settings, "CROWDWALL", {}), "PER_WALL_ROLES": True}}
    return {
        name: Caller(name, user, strict if name == "staff_strict" else {})
        for name, user in users.items()
    }


def statuses(
    callers: dict[str, Caller], ask: Callable[[Client], Any], **client_defaults: Any
) -> dict[str, int]:
    """The status each caller gets from ``ask(client)``; every call is rolled back."""
    answers = {}
    for name, caller in callers.items():
        with override_settings(**caller.settings), transaction.atomic():
            answers[name] = ask(caller.client(**client_defaults)).status_code
            transaction.set_rollback(True)
    return answers


def expected(
    needs: str | None, ok: int, refused: int = 403, anonymous: int | None = None
) -> dict[str, int]:
    """The table ``statuses`` should give for an endpoint needing ``needs`` (``None``: open to
    everyone); ``anonymous`` is what a caller who is not logged in gets when refused (the
    login redirect of a page, the API's 401), ``refused`` if not given."""
    table = {name: ok if needs is None or needs in MAY[name] else refused for name in CALLERS}
    if needs is not None and anonymous is not None:
        table["anonymous"] = anonymous
    return table
