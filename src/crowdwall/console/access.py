"""Who may use the console, and how everyone else is turned away.

One function, ``may_organise``, answers for every console view, through the per-wall roles
(``crowdwall.moderation.access``): anyone with a role may open the console and sees the walls
they organise; a wall's settings and sources are its organisers'; creating a wall is site-wide
(superusers, staff with full access: ``may_create``). Refusals follow the moderation screen: anonymous page views go to the login page,
everything else gets 403, and every answer is ``never_cache``.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from crowdwall.models import Wall
from crowdwall.moderation.access import View, forbidden, may, may_enter, refuse


def may_organise(user: Any, wall: Wall | None = None) -> bool:
    """Whether ``user`` may set up ``wall`` (or, with ``None``, open the console at all)."""
    if wall is None:
        return may_enter(user)
    return may(user, wall, "organise")


def may_create(user: Any) -> bool:
    """Whether ``user`` may create walls (a site-wide action)."""
    return may(user, None, "organise")


def organiser_required(view: View) -> View:
    """Let organisers through; redirect anonymous page views to the login, refuse the rest.

    Views taking a wall check ``may_organise(user, wall)`` again once they have loaded it, and
    raise ``PermissionDenied`` if not: answered here like any other refusal."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if may_organise(getattr(request, "user", None)):
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied:  # not an organiser of this wall: the same 403, no-store
                return forbidden(request, "Organisers of this wall only.")
        return refuse(request, "Organisers only.")

    return never_cache(wrapper)
