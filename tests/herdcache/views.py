"""Views the herdcache tests cache; each counts its renders in ``RENDERS``."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from django.http import HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import cache_page as django_cache_page

import herdcache

RENDERS: Counter[str] = Counter()


def _render(name: str, request, body: str | None = None) -> HttpResponse:
    RENDERS[name] += 1
    return HttpResponse(body or f"{name} #{RENDERS[name]} {request.get_full_path()}")


@herdcache.cache_page(60)
def plain(request):
    return _render("plain", request)


@herdcache.cache_page(60, remember_all_urls=True, remember_stats_all_urls=True, tags=["posts"])
def post(request, pk):
    return _render("post", request, f"post {pk} #{RENDERS['post'] + 1}")


@herdcache.cache_page(60, only_get_keys=["page"])
def paged(request):
    return _render("paged", request)


@herdcache.cache_page(60, only_get_keys="page")  # one name as a string, as fancy-cache allowed
def paged_one(request):
    return _render("paged_one", request)


@herdcache.cache_page(60, forget_get_keys=["utm", "ref"])
def forgetful(request):
    return _render("forgetful", request)


def _prefix(request, *args, **kwargs):
    return request.GET.get("v") or None  # None: don't cache


@herdcache.cache_page(60, key_prefix=_prefix)
def prefixed(request):
    return _render("prefixed", request)


def _stamp(response, request):
    response.content += b" <!--stamped-->"
    return response


def _user_bit(response, request):
    response["X-User"] = request.GET.get("who", "anon")
    return response


@herdcache.cache_page(60, post_process_response=_stamp, post_process_response_always=_user_bit)
def processed(request):
    return _render("processed", request)


@herdcache.cache_page(60)
def with_vary(request):
    response = _render("with_vary", request, f"lang={request.headers.get('Accept-Language', '')}")
    patch_vary_headers(response, ["Accept-Language"])
    return response


@herdcache.cache_page(60)
def cache_control(request, directive):
    response = _render(f"cc-{directive}", request)
    response["Cache-Control"] = directive
    return response


@herdcache.cache_page(60)
def vary_star(request):
    response = _render("vary_star", request)
    response["Vary"] = "*"
    return response


@herdcache.cache_page(60)
def cookie(request):
    response = _render("cookie", request)
    response.set_cookie("flavour", "choc")
    return response


@herdcache.cache_page(60)
def status(request, code):
    response = _render(f"status-{code}", request)
    response.status_code = code
    return response


@herdcache.cache_page(60)
def streaming(request):
    RENDERS["streaming"] += 1
    return StreamingHttpResponse(iter([b"a", b"b"]))


@herdcache.cache_page(60)
def template(request):
    RENDERS["template"] += 1
    from django.template import engines

    return TemplateResponse(
        request, engines["django"].from_string("tpl {{ n }}"), {"n": RENDERS["template"]}
    )


@herdcache.cache_page(60)
def huge(request):
    return _render("huge", request, "x" * (2 * 1024 * 1024))


@herdcache.cache_page(60)
async def async_view(request):
    await asyncio.sleep(0)
    return _render("async", request)


@django_cache_page(60)
def django_plain(request):
    return _render("django_plain", request)


@herdcache.cache_page(60)
def session_user(request):
    request.session["seen"] = True  # touches the session: Vary: Cookie + Set-Cookie
    return _render("session_user", request)


@herdcache.cache_page(60)
def whoami(request):
    return _render("whoami", request, f"user {request.user.get_username()}")


@herdcache.cache_page(60, stale=600, tags=["herd"], only_get_keys=[])  # ?s= sets render time only
def slow(request):
    import time

    from django.core.cache import caches

    RENDERS["slow"] += 1
    if not caches["default"].add("herd-test-renders", 1, timeout=None):
        caches["default"].incr("herd-test-renders")

    time.sleep(float(request.GET.get("s", "0.5")))
    return HttpResponse(f"slow page rendered at {time.time()}")


def undecorated(request):
    """For the per-site middleware: not cached by a decorator."""
    response = _render("undecorated", request)
    if "cc" in request.GET:
        response["Cache-Control"] = request.GET["cc"]
    return response


@herdcache.cache_page(60)
def localized(request):
    """The page a visitor sees depends on the active language and time zone."""
    from django.utils import timezone, translation

    body = f"{translation.get_language()} {timezone.get_current_timezone_name()}"
    return _render("localized", request, f"{body} #{RENDERS['localized'] + 1}")


#: pk -> (entered, release): the render of /w/<pk>/ signals ``entered`` and waits for ``release``.
WARM_GATES: dict[int, tuple[threading.Event, threading.Event]] = {}


@herdcache.cache_page(60, remember_all_urls=True, remember_stats_all_urls=True, tags=["warm"])
def warm(request, pk):
    """A re-warm target; a test can hold its render open (``WARM_GATES``)."""
    gate = WARM_GATES.get(pk)
    if gate is not None:
        gate[0].set()
        gate[1].wait(timeout=60)
    return _render(f"warm:{pk}", request, f"warm {pk} #{RENDERS[f'warm:{pk}'] + 1}")


urlpatterns = [
    path("w/<int:pk>/", warm),
    path("site/", undecorated),
    path("slow/", slow),
    path("whoami/", whoami),
    path("plain/", plain),
    path("p/<int:pk>/", post),
    path("paged/", paged),
    path("paged-one/", paged_one),
    path("forgetful/", forgetful),
    path("prefixed/", prefixed),
    path("processed/", processed),
    path("vary/", with_vary),
    path("cc/<str:directive>/", cache_control),
    path("vary-star/", vary_star),
    path("cookie/", cookie),
    path("status/<int:code>/", status),
    path("streaming/", streaming),
    path("template/", template),
    path("huge/", huge),
    path("async/", async_view),
    path("django/", django_plain),
    path("session/", session_user),
    path("localized/", localized),
]
