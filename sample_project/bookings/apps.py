from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "Bookings"

    def ready(self) -> None:
        # Connects the receiver that invalidates the listings cache; importing is the wiring.
        from bookings import signals  # noqa: F401
        from bookings.selectors import booking_list_overlapping
        from listings.selectors import listing_nights_taken_by

        # The availability search leaves out listings booked for some night of the stay.
        # It is listings' search, and listings can't import bookings: bookings tells it.
        listing_nights_taken_by(booking_list_overlapping)
