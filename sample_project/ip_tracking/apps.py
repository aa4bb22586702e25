from django.apps import AppConfig


class IpTrackingConfig(AppConfig):
    name = "ip_tracking"
    verbose_name = "IP tracking"

    def ready(self) -> None:
        # Importing is the wiring: the blocklist's invalidation receivers, the settings checks.
        from ip_tracking import checks, signals  # noqa: F401
