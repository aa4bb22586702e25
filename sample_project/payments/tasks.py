"""Background work for payments, run by a Celery worker: fetch by id, call a service."""

from celery import shared_task
from django.conf import settings

from config.task_policy import EMAIL_TASK_OPTIONS
from payments.models import Payment
from payments.services import payment_receipt_send, payment_reconcile_pending


# Late acks are safe: the service records the send, so a redelivered message sends nothing.
@shared_task(**EMAIL_TASK_OPTIONS)
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
