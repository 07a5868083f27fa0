"""The live test server's endpoints, crowdwall's pages, and its static files."""

from pathlib import Path

from django.urls import include, path, re_path
from django.views.static import serve

import crowdwall
from tests.crowdwall.live import server_urls

STATIC_ROOT = Path(crowdwall.__file__).parent / "static"

urlpatterns = [
    *server_urls.urlpatterns,
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": STATIC_ROOT}),
    path("", include("crowdwall.urls")),
]
