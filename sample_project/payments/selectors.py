"""Reads for payments (HackSoft style: querysets are built here, not in views)."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from payments.models import Payment, PaymentStatus


def payment_list_visible_to(*, user: User) -> QuerySet[Payment]:
    """The payments ``user`` may see: those for their own bookings (an admin sees all)."""
    payments = Payment.objects.select_related("booking", "booking__listing").order_by("id")
    if not user.is_authenticated:
        return payments.none()
    if user.is_admin:
        return payments
    return payments.filter(booking__guest=user)


def payment_list_pending(*, older_than: timedelta) -> QuerySet[Payment]:
    """Payments still pending ``older_than`` after they started, oldest first (reconciliation)."""
    cutoff = timezone.now() - older_than
    return Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=cutoff).order_by(
        "created_at"
    )
