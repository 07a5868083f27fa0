"""The nchan test server's endpoints and pages, and crowdwall's static files."""

from django.urls import re_path
from django.views.static import serve

from tests.crowdwall.browser.server_urls import STATIC_ROOT
from tests.crowdwall.live.nchan import server_urls

urlpatterns = [
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": STATIC_ROOT}),
    *server_urls.urlpatterns,
]
