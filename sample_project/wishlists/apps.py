from django.apps import AppConfig


class WishlistsConfig(AppConfig):
    name = "wishlists"
    verbose_name = "Wishlists"

    def ready(self) -> None:
        # Connects the cache-invalidation receivers; importing the module is the wiring.
        from wishlists import signals  # noqa: F401
