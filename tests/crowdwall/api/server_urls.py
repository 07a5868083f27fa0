"""The live test server's test-only endpoints, plus crowdwall's pages and the API."""

from django.urls import include, path

from tests.crowdwall.live.server_urls import urlpatterns as live_test_urls

urlpatterns = [*live_test_urls, path("", include("crowdwall.urls"))]
