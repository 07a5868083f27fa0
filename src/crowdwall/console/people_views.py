"""The console's People page of a wall: who holds which role, granting and revoking roles.

Organisers of the wall only (and those with site-wide rights), like the rest of a wall's console
pages: moderators and viewers get 403, not a read-only list — the list names accounts and
groups, which their roles do not need. The rules live in ``console.people``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.views.decorators.http import require_http_methods, require_POST

from crowdwall.console import access, people
from crowdwall.console.access import organiser_required
from crowdwall.console.views import organised_wall
from crowdwall.models import Role, Wall, WallRole


class GrantForm(forms.Form):
    """A role for an account (username or e-mail) or for a group (its name): one of the two."""

    user = forms.CharField(
        required=False, max_length=254, label="User", help_text="Username or e-mail address."
    )
    group = forms.CharField(
        required=False, max_length=150, label="Or a group", help_text="Every member gets the role."
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MODERATOR)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        user, group = data.get("user", "").strip(), data.get("group", "").strip()
        if bool(user) == bool(group):
            raise ValidationError("Name a user or a group (one of them).")
        try:
            data["account"] = people.find_user(user) if user else None
            data["team"] = people.find_group(group) if group else None
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field, errors)
        return data


def _page(request: HttpRequest, wall: Wall, form: GrantForm, status: int = 200) -> HttpResponse:
    context = {"wall": wall, "form": form, "roles": people.roles_of(wall)}
    return render(request, "crowdwall/console/people.html", context, status=status)


@organiser_required
@require_http_methods(["GET", "HEAD", "POST"])
def people_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The wall's roles and the form granting one (a POST grants it)."""
    wall = organised_wall(request, slug)
    if request.method != "POST":
        return _page(request, wall, GrantForm())
    form = GrantForm(request.POST)
    if not form.is_valid():
        return _page(request, wall, form, status=400)
    data = form.cleaned_data
    try:
        done = people.grant(
            wall, data["role"], actor=request.user, user=data["account"], group=data["team"]
        )
    except ValidationError as exc:  # keyed by the form's fields, or about the whole form
        form.add_error(None, exc)
        return _page(request, wall, form, status=400)
    holder = capfirst(people.holder_name(done.role))
    verb = f"changed from {done.previous} to" if done.previous else "is now"
    messages.success(request, f"{holder} {verb} {done.role.role} of {wall.name}.")
    if done.caution:
        messages.warning(request, done.caution)
    return redirect("crowdwall:console_people", wall.slug)


@organiser_required
@require_POST
def revoke(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    """Take a role away (the last organiser stays, unless the user has site-wide rights)."""
    wall = organised_wall(request, slug)
    role = get_object_or_404(
        WallRole.objects.select_related("user", "group"), wall=wall, pk=role_id
    )
    try:
        caution = people.revoke(role, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("crowdwall:console_people", wall.slug)
    messages.success(
        request, f"{capfirst(people.holder_name(role))} no longer is {role.role} of {wall.name}."
    )
    if caution:
        messages.warning(request, caution)
    if not access.may_organise(request.user, wall):  # they revoked their own role
        return redirect("crowdwall:console")
    return redirect("crowdwall:console_people", wall.slug)
