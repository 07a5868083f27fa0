"""Who is calling: a bearer token, a session (with CSRF), or nobody.

Two ways in, both for accounts that may use the staff API at all — active staff, superusers,
and active users holding a role on some wall (``crowdwall.moderation.access.may_enter``);
what each may do on which wall is checked per operation (``crowdwall.api.lookups.wall_for``):

- ``Authorization: Bearer <token>``, the token being a key of ``CROWDWALL["API_TOKENS"]``
  (token → username). Tokens live in settings (from the environment), not in
  the database: a site has a handful of scripts, and a leaked database dump then leaks no API
  access. They are compared in constant time and never logged. No CSRF: a browser never sends
  the header by itself.
- A Django session (the admin's login), with the CSRF token (``X-CSRFToken`` header) on every
  write, as for any Django form.

Refusals: no credentials → 401; a wrong or unusable token → 401; a logged-in user without
any access → 403; a session without a valid CSRF token on a write → 403; a role too low for
the operation on that wall → 403.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from crowdwall.api.errors import ApiError
from crowdwall.conf import conf
from crowdwall.moderation.access import may_enter

_CACHED = "_crowdwall_api_staff"


def _digest(value: str) -> bytes:
    # Equal-length digests: compare_digest then takes the same time whatever the token length.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def token_user(token: str) -> Any:
    """The staff user a bearer token belongs to; ``ApiError(401)`` for any other token."""
    given = _digest(token)
    username = None
    for candidate, name in conf.API_TOKENS.items():
        # No early exit: every configured token is compared, so timing says nothing.
        if hmac.compare_digest(given, _digest(candidate)):
            username = name
    if username is None:
        raise ApiError(401, "Unknown API token.", code="invalid_token")
    user = get_user_model()._default_manager.filter(**{"username": username}).first()
    if not may_enter(user):
        raise ApiError(
            401,
            "This API token's user is inactive, or neither staff nor holding a role on a wall.",
            code="invalid_token",
        )
    return user


def _bearer(request: HttpRequest) -> str | None:
    """The bearer token of the request, ``None`` without an Authorization header."""
    value = request.headers.get("Authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Use 'Authorization: Bearer <token>'.", code="invalid_token")
    return token.strip()


def staff_of(request: HttpRequest) -> Any:
    """The user with access behind a read request (token or session), ``None`` for the public.

    Raises ``ApiError(401)`` for a bad token. A session is only looked at when its cookie is
    there, so public requests never touch the session (and never vary on ``Cookie``).
    """
    if hasattr(request, _CACHED):
        return getattr(request, _CACHED)
    token = _bearer(request)
    user = None
    if token is not None:
        user = token_user(token)
    elif settings.SESSION_COOKIE_NAME in request.COOKIES:
        candidate = getattr(request, "user", None)
        user = candidate if may_enter(candidate) else None
    setattr(request, _CACHED, user)
    return user


class StaffToken(HttpBearer):
    """``Authorization: Bearer <token>`` (see the module docstring)."""

    def __call__(self, request: HttpRequest) -> Any:
        token = _bearer(request)
        return None if token is None else self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(token)
        request.user = user  # type: ignore[attr-defined]  # so views read one attribute
        return user


class StaffSession(APIKeyCookie):
    """A logged-in session with access; writes need the CSRF token (see the module docstring)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # → 401 from ninja: nobody is logged in
        if not may_enter(user):
            raise ApiError(403, "Staff or a role on a wall needed.")
        if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request):
            raise ApiError(
                403, "CSRF check failed: send the X-CSRFToken header.", code="csrf_failed"
            )
        return user


# The ``auth=`` of every staff operation: a token first, then the session.
STAFF = [StaffToken(), StaffSession()]
