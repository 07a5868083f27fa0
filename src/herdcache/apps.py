from django.apps import AppConfig


class HerdcacheConfig(AppConfig):
    name = "herdcache"
    verbose_name = "herdcache"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from herdcache import (
            checks,  # noqa: F401  (registers the system checks)
            legacy_checks,  # noqa: F401  (fancy-cache/newcache settings)
        )
        from herdcache.invalidation import install_everywhere

        install_everywhere()  # writes purge tracked pages after commit
