from django.urls import include, path

from tests import herdcache_urls

urlpatterns = [
    *herdcache_urls.urlpatterns,
    path("", include("crowdwall.urls")),
]
