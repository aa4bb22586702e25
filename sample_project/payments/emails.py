"""The emails payments send: what they say, kept apart from when and how they are sent."""

from django.core.mail import EmailMessage

from payments.models import Payment


def payment_receipt_message(*, payment: Payment) -> EmailMessage:
    """The receipt: "we received your payment, your stay is confirmed"."""
    booking = payment.booking
    listing = booking.listing
    nights = booking.nights
    body = "\n".join([
        f"Hello {booking.guest.first_name or booking.guest.username},",
        "",
        f"we received your payment of {payment.amount} {payment.currency} and your stay at",
        f"{listing.title} is confirmed:",
        f"  {booking.check_in:%a %d %b %Y} to {booking.check_out:%a %d %b %Y}, "
        f"{nights} night{'s' if nights != 1 else ''}, {booking.guests} "
        f"guest{'s' if booking.guests != 1 else ''}",
        f"  payment reference {payment.tx_ref} (Chapa {payment.chapa_reference})",
        "",
        "Keep this email as your receipt.",
        "",
        "Nexus Stays",
    ])
    return EmailMessage(
        subject=f"Payment received: {listing.title}",
        body=body,
        to=[booking.guest.email],
        # One id per payment: a mail client can spot a duplicate if one ever slips through.
        headers={"X-Nexus-Payment": payment.tx_ref},
    )
