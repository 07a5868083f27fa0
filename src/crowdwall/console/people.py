"""Who holds which role on a wall, and granting and revoking roles from the console.

The rules an organiser could get wrong are checked here, each refusal a ``ValidationError``
with a sentence to show: an unknown or inactive account, an ambiguous e-mail address, a role the
holder already has, taking away a wall's last organiser (only those with site-wide rights may
leave a wall to them), and giving a role to staff who have site-wide rights (a role would limit
them to the walls it names: ``crowdwall.moderation.access``), which only site-wide staff may do
— nor may an organiser revoke a staff account's last role, which would give it every wall back.
Every change is written to the wall's moderation log as ``configure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import capfirst

from crowdwall.conf import conf
from crowdwall.models import ModerationAction, Role, Wall, WallRole
from crowdwall.moderation import service
from crowdwall.moderation.access import has_full_access

LAST_ORGANISER = (
    "{holder} is the last organiser of this wall: make someone else organiser first "
    "(only staff with site-wide rights may leave a wall without organisers)."
)


@dataclass(frozen=True)
class Granted:
    """What ``grant`` did: the role row, its previous role (None when new) and a caution."""

    role: WallRole
    previous: str | None
    caution: str = ""


def holder_name(role: WallRole) -> str:
    """How the log and the page name a role's holder: ``user ann`` or ``group Volunteers``."""
    if role.user_id is not None:
        return f"user {role.user.get_username()}"  # type: ignore[union-attr]
    return f"group {role.group.name}"  # type: ignore[union-attr]


def roles_of(wall: Wall) -> list[WallRole]:
    """The wall's roles, organisers first, users before groups, then by name."""
    rank = {Role.ORGANISER: 0, Role.MODERATOR: 1, Role.VIEWER: 2}
    rows = list(WallRole.objects.filter(wall=wall).select_related("user", "group"))
    return sorted(rows, key=lambda r: (rank.get(r.role, 3), r.user_id is None, holder_name(r)))


def find_user(who: str) -> Any:
    """The active account whose username is ``who`` or, failing that, whose e-mail it is."""
    users = get_user_model()
    who = who.strip()
    if not who:
        raise ValidationError({"user": "Give a username or an e-mail address."})
    field = users.USERNAME_FIELD
    user = users._default_manager.filter(**{field: who}).first()
    if user is None and "@" in who:
        by_mail = list(users._default_manager.filter(email__iexact=who)[:2])
        if len(by_mail) > 1:
            raise ValidationError(
                {"user": f"Several accounts use {who}: give the username instead."}
            )
        user = by_mail[0] if by_mail else None
    if user is None:
        raise ValidationError({"user": f"No account has the username or e-mail {who!r}."})
    if not user.is_active:
        raise ValidationError({"user": f"The account {who!r} is inactive: a role would not apply."})
    return user


def find_group(name: str) -> Group:
    """The group called ``name`` (groups are made in the admin)."""
    group = Group.objects.filter(name=name.strip()).first()
    if group is None:
        raise ValidationError({"group": f"No group is called {name.strip()!r}."})
    return group


def _is_last_organiser(role: WallRole) -> bool:
    if role.role != Role.ORGANISER:
        return False
    return (
        not WallRole.objects.filter(wall_id=role.wall_id, role=Role.ORGANISER)
        .exclude(pk=role.pk)
        .exists()
    )


def _staff_widened(role: WallRole) -> list[str]:
    """Staff accounts that would get every wall back if ``role`` went (their last role): with
    ``PER_WALL_ROLES`` off, staff without any role have full access."""
    if conf.PER_WALL_ROLES:
        return []
    users = get_user_model()._default_manager.filter(is_active=True, is_staff=True)
    users = users.filter(pk=role.user_id) if role.user_id else users.filter(groups=role.group_id)
    others = WallRole.objects.exclude(pk=role.pk)
    return [
        user.get_username()
        for user in users.filter(is_superuser=False)
        if not others.filter(Q(user=user) | Q(group__user=user)).exists()
    ]


def grant(
    wall: Wall, role: str, *, actor: Any, user: Any = None, group: Group | None = None
) -> Granted:
    """Give ``user`` or ``group`` the ``role`` on ``wall`` (changing a role they hold), logged."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}; one of {', '.join(Role.values)}."})
    if (user is None) == (group is None):
        raise ValidationError("Give the role to a user or to a group (one of them).")
    caution = ""
    if user is not None and has_full_access(user) and not user.is_superuser:
        # A first role turns staff's "every wall" into "the walls their roles name".
        if not has_full_access(actor):
            raise ValidationError(
                {
                    "user": f"{user.get_username()} is staff with rights on every wall: only "
                    "staff with site-wide rights may limit them to roles."
                }
            )
        caution = (
            f"{user.get_username()} had rights on every wall as staff; from now on only on "
            "the walls their roles name."
        )
    with transaction.atomic():
        holder = {"user": user} if user is not None else {"group": group}
        row = WallRole.objects.select_for_update().filter(wall=wall, **holder).first()
        previous = row.role if row is not None else None
        if row is not None:
            if row.role == role:
                raise ValidationError(
                    f"{capfirst(holder_name(row))} already is {role} of this wall."
                )
            if _is_last_organiser(row) and not has_full_access(actor):
                raise ValidationError(LAST_ORGANISER.format(holder=capfirst(holder_name(row))))
            row.role = role
            row.save(update_fields=["role"])
        else:
            row = WallRole.objects.create(wall=wall, role=role, **holder)
        detail = {"people": "granted", "holder": holder_name(row), "role": role}
        if previous is not None:
            detail["previous"] = previous
        service.record(actor, ModerationAction.CONFIGURE, wall=wall, detail=detail)
    return Granted(row, previous, caution)


def revoke(role: WallRole, *, actor: Any) -> str:
    """Take ``role`` away, logged; returns a caution for the actor ("" if none). The last
    organiser stays, and staff keep their last role, unless ``actor`` has site-wide rights."""
    caution = ""
    with transaction.atomic():
        # Locks the wall's organiser rows: two organisers revoking each other cannot both win.
        list(WallRole.objects.select_for_update().filter(wall_id=role.wall_id, role=Role.ORGANISER))
        full = has_full_access(actor)
        if _is_last_organiser(role) and not full:
            raise ValidationError(LAST_ORGANISER.format(holder=capfirst(holder_name(role))))
        widened = _staff_widened(role)
        if widened and not full:
            raise ValidationError(
                f"This is the last role of the staff account(s) {', '.join(widened)}: without it "
                "they would have rights on every wall again. Ask staff with site-wide rights."
            )
        if widened:
            caution = (
                f"No role left for the staff account(s) {', '.join(widened)}: rights on every "
                "wall again."
            )
        detail = {"people": "revoked", "holder": holder_name(role), "role": role.role}
        role.delete()
        service.record(actor, ModerationAction.CONFIGURE, wall=role.wall, detail=detail)
    return caution
