"""Views the benchmarks request: the same page under Django's cache_page and herdcache's."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from bench.site.memcached import count_render, page_version

View = Callable[..., HttpResponse]

# ~8 KB of HTML, the same bytes for every page so cached bodies cost the same to move.
BODY = (
    "<!doctype html><html><head><title>bench</title></head><body>"
    + "".join(
        f"<p>paragraph {i:04d} of the benchmark page, cached or not.</p>\n" for i in range(135)
    )
    + "</body></html>"
)


def page(name: str, seconds: float = 0.0) -> View:
    """A view that takes ``seconds`` to render and counts its renders under ``name``."""

    def view(request: HttpRequest, **kwargs: object) -> HttpResponse:
        if seconds:
            time.sleep(seconds)
        count_render(settings.MEMCACHED, name)
        return HttpResponse(BODY)

    view.__name__ = view.__qualname__ = name.replace("-", "_")
    return view


def versioned(request: HttpRequest) -> HttpResponse:
    """The same page with the current content version in its title (see ``page_version``)."""
    count_render(settings.MEMCACHED, "versioned")
    version = page_version(settings.MEMCACHED)
    return HttpResponse(BODY.replace("<title>bench</title>", f"<title>bench v{version}</title>"))


def ping(request: HttpRequest) -> HttpResponse:
    """Uncached; ``?sleep=S`` holds the connection so a client can open many at once."""
    time.sleep(float(request.GET.get("sleep", "0")))
    return HttpResponse("ok")


def post_tags(request: HttpRequest, pk: int) -> list[str]:
    """Tags of a remembered page (the registry benchmark fills its table the same way)."""
    return [f"t{pk % 100}"]


def warm(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the re-warm benchmark's pages: takes RENDER_SECONDS, counts renders per page."""
    time.sleep(settings.RENDER_SECONDS)
    count_render(settings.MEMCACHED, f"warm-{pk}")
    return HttpResponse(BODY)
