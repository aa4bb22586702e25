"""Payments for bookings, one row per attempt at the payment gateway (Chapa)."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Currency(models.TextChoices):
    ETB = "ETB", "Ethiopian birr"
    USD = "USD", "US dollar"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Payment(models.Model):
    """One attempt to pay for a booking; a retry is a new row with a new ``tx_ref``.

    Keeping every attempt (rather than overwriting one row) leaves an audit trail
    that matches the gateway's own records line for line.
    """

    # PROTECT: a booking that money was taken for can't disappear from under its payments.
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.PROTECT, related_name="payments"
    )
    # Our reference, sent to Chapa and echoed back in callbacks and webhooks; unique so a
    # replayed webhook can be matched to exactly one attempt (idempotency).
    tx_ref = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.ETB)
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    # Chapa's own reference for the transaction, known once it is verified.
    chapa_reference = models.CharField(max_length=64, blank=True)
    # The verify response as received: what we decided on, kept for disputes and support.
    verify_payload = models.JSONField(null=True, blank=True)
    # (db_default: rows inserted by raw SQL or COPY, e.g. bulk loads, get "" too.)
    # Why an attempt did not confirm the booking, in words support can read ("amount
    # mismatch: …"); empty for a successful or still pending payment.
    failure_reason = models.CharField(max_length=255, blank=True, default="", db_default="")
    # The hosted checkout page Chapa gave us; the payer is sent (back) there.
    checkout_url = models.CharField(max_length=500, blank=True, default="", db_default="")
    # The idempotency record of the receipt email, set in the transaction that sends it
    # (the same pattern as Booking.confirmation_sent_at).
    receipt_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=Decimal("0")),
                name="payment_amount_positive",
                violation_error_message="The amount must be greater than zero.",
            ),
            models.CheckConstraint(
                condition=Q(currency__in=Currency.values),
                name="payment_currency_valid",
                violation_error_message="Unsupported currency.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values),
                name="payment_status_valid",
                violation_error_message="Unknown payment status.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tx_ref} {self.amount} {self.currency} ({self.status})"

    @property
    def is_settled(self) -> bool:
        """True once the outcome is known: nothing a webhook or verify says can change it."""
        return self.status != PaymentStatus.PENDING
