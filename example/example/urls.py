from django.contrib import admin
from django.urls import include, path

from example import views

urlpatterns = [
    path("", views.home, name="home"),
    path("cache-demo/", views.cache_demo, name="cache_demo"),
    path("favicon.ico", views.favicon),
    path("slow/", views.slow, name="slow"),
    path("admin/", admin.site.urls),
    path("herdcache/", include("herdcache.urls")),
    path("", include("crowdwall.urls")),
]
