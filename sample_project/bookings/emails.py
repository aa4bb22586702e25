"""The emails bookings send: what they say, kept apart from when and how they are sent."""

from django.conf import settings
from django.core.mail import EmailMessage

from bookings.models import Booking


def booking_confirmation_message(*, booking: Booking) -> EmailMessage:
    """The "we've got your booking" email to the guest, with what to do next."""
    listing = booking.listing
    window = int(settings.BOOKING_PAYMENT_WINDOW.total_seconds() // 60)
    nights = booking.nights
    body = "\n".join([
        f"Hello {booking.guest.first_name or booking.guest.username},",
        "",
        f"we are holding {listing.title} for you:",
        f"  {booking.check_in:%a %d %b %Y} to {booking.check_out:%a %d %b %Y}, "
        f"{nights} night{'s' if nights != 1 else ''}, {booking.guests} "
        f"guest{'s' if booking.guests != 1 else ''}",
        f"  total {booking.total_price} ETB",
        "",
        f"Please pay within {window} minutes to confirm your stay; unpaid bookings are",
        "released for other guests after that.",
        "",
        "Nexus Stays",
    ])
    return EmailMessage(
        subject=f"Your booking at {listing.title}",
        body=body,
        to=[booking.guest.email],
        # Retries and redeliveries re-send the same message: one id lets mail clients spot
        # a duplicate if one ever slips through (see booking_confirmation_send).
        headers={"X-Nexus-Booking": str(booking.pk)},
    )
