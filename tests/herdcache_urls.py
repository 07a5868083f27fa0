"""URLs for herdcache's tests alone (tests/herdcache_settings.py); tests/urls.py adds crowdwall."""

from django.urls import include, path

from tests.herdcache import views

urlpatterns = [
    *views.urlpatterns,
    path("herdcache/", include("herdcache.urls")),
]
