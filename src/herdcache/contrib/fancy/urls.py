"""``include("herdcache.contrib.fancy.urls")`` where ``fancy_cache.urls`` was: herdcache's stats.

fancy-cache's page listed every remembered URL to anyone; herdcache's stats page is staff only.
"""

from django.urls import path

from herdcache import views

urlpatterns = [path("", views.stats_view, name="fancy-cache-home")]
