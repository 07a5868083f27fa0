"""The browser nchan server's endpoints, pages and static files, and ``test/mode/`` (a wall's
moderation mode) from the moderation test server."""

from django.urls import path

from tests.crowdwall.browser import nchan_server_urls
from tests.crowdwall.moderation.server_urls import set_mode

urlpatterns = [
    path("test/mode/<slug:slug>/<str:mode>/", set_mode),
    *nchan_server_urls.urlpatterns,
]
