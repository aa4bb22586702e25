from django.apps import AppConfig


class ListingsConfig(AppConfig):
    name = "listings"
    verbose_name = "Listings"

    def ready(self) -> None:
        # Connects the cache-invalidation receivers; importing the module is the wiring.
        from listings import signals  # noqa: F401
