from django.apps import AppConfig


class WishlistsConfig(AppConfig):
    name = "wishlists"
    verbose_name = "Wishlists"

    def ready(self) -> None:
        # Connects the receivers (price-drop emails, cache invalidation); importing is the wiring.
        from wishlists import signals  # noqa: F401
