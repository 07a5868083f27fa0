"""What may be cached, as pure functions over requests and responses.

herdcache never stores a response Django's own cache middleware would refuse, and is stricter
where Django's rules leak private data:

* only GET (and HEAD, served from GET entries) requests use the cache;
* requests carrying ``Authorization`` bypass the cache entirely: a page rendered for one
  credential must not be served to another (Django instead varies on the header's value);
* only status 200, non-streaming responses are stored;
* ``Cache-Control`` ``private``, ``no-store`` or ``no-cache`` (any letter case) forbid storing;
* ``Vary: *`` means no two requests are alike: never stored;
* any ``Set-Cookie`` forbids storing (Django stores it unless ``Vary: Cookie``; a cached cookie
  would hand one visitor's session or CSRF token to everyone who gets the copy);
* ``max-age=0`` forbids storing when the timeout comes from the response (per-site middleware).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import cc_delim_re, get_max_age

CACHEABLE_METHODS = frozenset({"GET", "HEAD"})
_FORBIDDING_DIRECTIVES = frozenset({"private", "no-store", "no-cache"})


def request_bypass_reason(request: HttpRequest) -> str | None:
    """Why this request must not use the cache at all, or None when it may."""
    if request.method not in CACHEABLE_METHODS:
        return "method"
    if "HTTP_AUTHORIZATION" in request.META:
        return "authorization"
    return None


def cache_control_directives(response: HttpResponseBase) -> set[str]:
    """Directive names of the response's Cache-Control header, lower-cased (values dropped)."""
    header = response.get("Cache-Control", "")
    return {
        part.split("=", 1)[0].strip().lower() for part in cc_delim_re.split(header) if part.strip()
    }


def vary_headers(response: HttpResponseBase) -> list[str]:
    """Header names in ``Vary``, lower-cased, in order, without duplicates."""
    if not response.has_header("Vary"):
        return []
    names: list[str] = []
    for part in cc_delim_re.split(response["Vary"]):
        name = part.strip().lower()
        if name and name not in names:
            names.append(name)
    return names


def response_refusal(
    response: HttpResponseBase, *, timeout_from_response: bool = False
) -> str | None:
    """Why ``response`` must not be stored, or None when it may be."""
    if response.streaming:
        return "streaming"
    if _FORBIDDING_DIRECTIVES & cache_control_directives(response):
        return "cache-control"
    if "*" in vary_headers(response):
        return "vary-star"
    if response.cookies:
        return "set-cookie"
    if timeout_from_response and get_max_age(response) == 0:
        return "max-age-0"
    # Last: a 304 refused only for its status still gets freshness headers (pages.capture).
    if response.status_code != 200:
        return "status"
    return None


def vary_values(request: HttpRequest, names: list[str]) -> list[tuple[str, str]]:
    """The request's values for the ``Vary`` header names (absent headers read as empty)."""
    meta = request.META
    values = []
    for name in names:
        meta_key = name.upper().replace("-", "_")
        if meta_key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            meta_key = f"HTTP_{meta_key}"
        values.append((name, str(meta.get(meta_key, ""))))
    return values


def late_cookie_refusal(request: HttpRequest) -> str | None:
    """Why a response must not be stored because middleware *will* add a cookie to it later.

    A view decorator sees the response before SessionMiddleware and CsrfViewMiddleware add
    their ``Set-Cookie``: look at the state they act on instead.
    """
    session = getattr(request, "session", None)
    if session is not None and getattr(session, "modified", False):
        return "set-cookie"
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return "set-cookie"
    return None


def varies_on_cookie(request: HttpRequest) -> bool:
    """True when the page depends on the visitor's cookies (session read, CSRF token used).

    Session and CSRF middleware add ``Vary: Cookie`` only after a decorator has run.
    """
    session = getattr(request, "session", None)
    return bool(
        (session is not None and getattr(session, "accessed", False))
        or request.META.get("CSRF_COOKIE_USED")
    )
