"""``path("herdcache/", include("herdcache.urls"))``: staff-only stats (HTML, JSON) and metrics."""

from django.urls import path

from herdcache import views

app_name = "herdcache"
urlpatterns = [
    path("stats/", views.stats_view, name="stats"),
    path("metrics", views.metrics_view, name="metrics"),
]
