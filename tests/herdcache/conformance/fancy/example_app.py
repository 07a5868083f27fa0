"""fancy-cache's example app (its views and URLs), on ``herdcache.contrib.fancy``.

Ported from django-fancy-cache 1.3.1 example/example/app/{views,urls}.py and templates,
Copyright (c) Peter Bengtsson, BSD-3-Clause (see LICENSE-django-fancy-cache). Changed: the
import; Python 3 (``range``, bytes content); the 25,000,000-number sum (seconds per miss) is a
counted render instead; templates inlined and shortened; ``include("fancy_cache.urls")`` is
``include("herdcache.contrib.fancy.urls")``.
"""

import datetime
from collections import Counter

from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.urls import include, path

from herdcache.contrib.fancy import cache_page, find_urls

RENDERS: Counter[str] = Counter()
HOME = engines["django"].from_string(
    "<html><body><ul>{% for url, key, stats in remembered_urls %}<li>{{ url }} "
    "{% if stats %}{{ stats.hits }} {{ stats.misses }}{% else %}n/a{% endif %}</li>"
    "{% endfor %}</ul></body></html>"
)
PAGE = engines["django"].from_string(
    "<html><body><p>Page {{ page }}: render #{{ result }}</p></body></html>"
)


def home(request):
    remembered_urls = find_urls([])
    return HttpResponse(HOME.render({"remembered_urls": remembered_urls}, request))


def _page(request, page):
    RENDERS[page] += 1
    return HttpResponse(PAGE.render({"result": RENDERS[page], "page": page}, request))


@cache_page(60)
def page1(request):
    return _page(request, "1")


def key_prefixer(request):
    # if it's not there, don't cache
    return request.GET.get("number")


@cache_page(60, key_prefix=key_prefixer)
def page2(request):
    if not request.GET.get("number"):
        return redirect(request.build_absolute_uri() + "?number=25000000")
    return _page(request, "2")


def post_processor(response, request):
    response.content = response.content.replace(
        b"</body>", b"<footer>Kilroy was here!</footer></body>"
    )
    return response


@cache_page(60, post_process_response=post_processor)
def page3(request):
    return _page(request, "3")


def post_processor_always(response, request):
    now = datetime.datetime.now()
    assert b"Right here right now" not in response.content, "already there!"
    response.content = response.content.replace(
        b"</body>", f"<footer>Right here right now {now}</footer></body>".encode()
    )
    return response


@cache_page(60, post_process_response_always=post_processor_always)
def page4(request):
    return _page(request, "4")


@cache_page(60, only_get_keys=["foo", "bar"])
def page5(request):
    return _page(request, "5")


urlpatterns = [
    path("", home, name="home"),
    path("page1.html", page1, name="page1"),
    path("page2.html", page2, name="page2"),
    path("page3.html", page3, name="page3"),
    path("page4.html", page4, name="page4"),
    path("page5.html", page5, name="page5"),
    path("fancy-cache", include("herdcache.contrib.fancy.urls")),
]
