from django.urls import include, path

from tests.herdcache import views

urlpatterns = [
    *views.urlpatterns,
    path("herdcache/", include("herdcache.urls")),
    path("", include("crowdwall.urls")),
]
