"""Views of the edge test site; renders are counted in memcached (shared by all workers)."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model, login
from django.core.cache import caches
from django.http import HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.urls import path, re_path
from django.utils import translation
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt

import herdcache


def count(name: str) -> int:
    """Count a render in memcached (-1 while memcached is down: the page must still render)."""
    cache = caches["default"]
    try:
        if cache.add(f"renders:{name}", 1, timeout=None):
            return 1
        return cache.incr(f"renders:{name}")
    except Exception:
        return -1


@herdcache.cache_page(60, edge=True, tags=["edge"])
def page(request, rest=""):
    return HttpResponse(f"page {request.get_full_path()} render {count('page:' + request.path)}")


@herdcache.cache_page(60, edge=True, tags=["edge"])
def private(request):
    name = request.user.get_username() or "anonymous"
    return HttpResponse(f"hello {name} render {count('private')}")


@herdcache.cache_page(60, stale=600, edge=True, tags=["slow"])
def slow(request):
    n = count("slow")
    time.sleep(0.5)
    return HttpResponse(f"slow render {n}")


@herdcache.cache_page(60, remember_all_urls=True, tags=lambda request, tag, rest: [tag])
def tagged(request, tag, rest):
    """A page tagged with the first path segment (Varnish tests purge by it)."""
    return HttpResponse(f"tagged {request.path} render {count('tagged:' + request.path)}")


@decorator_from_middleware(LocaleMiddleware)  # the language is chosen before herdcache plans
@herdcache.cache_page(60, edge=True)
def localized(request):
    """A page in the visitor's language (Accept-Language): must never be served by the edge."""
    return HttpResponse(f"lang {translation.get_language()} render {count('localized')}")


def login_as(request, name):
    user, _ = get_user_model().objects.get_or_create(username=name)
    login(request, user)
    return HttpResponse(f"logged in as {name}")


def renders(request, name):
    return JsonResponse({"renders": caches["default"].get(f"renders:{name}") or 0})


@csrf_exempt
def purge(request):
    """Purge as asked; the answer has the purge log entry (after the re-warm, if asked)."""
    from herdcache import purgelog, rewarm

    soft = request.POST.get("soft") == "1"
    warm = request.POST.get("rewarm") == "1"
    n = herdcache.purge(
        urls=request.POST.getlist("url"), tags=request.POST.getlist("tag"), soft=soft, rewarm=warm
    )
    if warm:
        rewarm.rewarmer.wait()
    log = purgelog.recent(1)[0]
    return JsonResponse({"purged": n, "log": {"matched": log.matched, "tiers": log.tiers}})


urlpatterns = [
    re_path(r"^e/(?P<rest>(?s:.*))\Z", page),
    path("t/<str:tag>/<str:rest>/", tagged),
    path("private/", private),
    path("slow/", slow),
    path("localized/", localized),
    path("login-as/<str:name>/", login_as),
    path("renders/<path:name>", renders),
    path("purge/", purge),
]
