from django.apps import AppConfig


class CrowdwallConfig(AppConfig):
    name = "crowdwall"
    verbose_name = "crowdwall"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crowdwall import checks  # noqa: F401  (registers the system checks)
