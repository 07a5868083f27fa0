from django.apps import AppConfig


class TrackappConfig(AppConfig):
    name = "tests.herdcache.trackapp"
    label = "trackapp"
    default_auto_field = "django.db.models.BigAutoField"
