from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "Bookings"

    def ready(self) -> None:
        # Connects the receiver that invalidates the listings cache; importing is the wiring.
        from bookings import signals  # noqa: F401
