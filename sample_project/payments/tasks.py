"""Background work for payments, run by a Celery worker: fetch by id, call a service."""

from celery import shared_task
from django.conf import settings

from bookings.tasks import TRANSIENT_EMAIL_ERRORS
from payments.models import Payment
from payments.services import payment_receipt_send, payment_reconcile_pending


@shared_task(
    # Late acks are safe: the service records the send (receipt_sent_at), so a redelivered
    # message sends nothing. The same retry policy as the booking confirmation.
    acks_late=True,
    autoretry_for=TRANSIENT_EMAIL_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=settings.BOOKING_EMAIL_RETRY_JITTER,
    max_retries=8,
    soft_time_limit=30,
    time_limit=45,
)
def send_payment_receipt(payment_id: int) -> bool:
    """Email the guest the receipt of a successful payment; True if sent now."""
    payment = Payment.objects.get(pk=payment_id)
    return payment_receipt_send(payment=payment)


# Idempotent (verify settles a payment once), so late acks are safe. Each verify waits at
# most the client's timeouts; a gateway that is down ends the run early.
@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def reconcile_pending_payments() -> dict[str, int]:
    """Ask Chapa about payments left pending (their webhook never came); outcomes counted."""
    return payment_reconcile_pending(older_than=settings.PAYMENTS_RECONCILE_AFTER)
