from django.apps import AppConfig


class FancyCompatConfig(AppConfig):
    """Installs the ``fancy-urls`` management command (``herdcache`` must be installed too)."""

    name = "herdcache.contrib.fancy"
    label = "herdcache_fancy"
    verbose_name = "herdcache: django-fancy-cache compatibility"
