"""Writes for payments: start a Chapa payment, learn its outcome, act on it exactly once.

The rules every Chapa merchant must follow, and where this module follows them:

* a **fresh, unique tx_ref per attempt** (``payment_tx_ref_new``), never the booking's id;
* the Payment row is **stored before** Chapa is called (``payment_initiate``), so a webhook
  or callback that arrives early always finds it;
* callbacks, return URLs and webhooks are **nudges**: the outcome comes from Chapa's verify
  API, and it is checked — status, tx_ref, amount, currency and mode — before a booking is
  confirmed (``payment_verify``, ``verification_problems``);
* acting on the outcome is **idempotent**: the payment row is locked and a settled payment
  is never settled again, so a webhook replayed ten times confirms once and emails once.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingStatus
from bookings.services import BookingNotConfirmableError, booking_confirm
from config.exceptions import ConflictError
from payments.chapa import (
    ChapaClient,
    ChapaError,
    ChapaNotConfigured,
    ChapaNotPaid,
    ChapaRejected,
    ChapaUnavailable,
    Verification,
)
from payments.models import Currency, Payment, PaymentStatus
from payments.selectors import payment_list_pending
from payments.webhooks import signature_is_valid

logger = logging.getLogger(__name__)

# Chapa accepts letters, digits, spaces, dots, hyphens and underscores in a description.
_DESCRIPTION_UNSAFE = re.compile(r"[^\w .-]+")


class PaymentGatewayUnavailable(Exception):
    """Chapa is down, too slow or not configured: nothing changed, try again later (503)."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = settings.PAYMENTS_RETRY_AFTER if retry_after is None else retry_after


class PaymentGatewayRejected(Exception):
    """Chapa refused a request we made: a bug or a misconfiguration on our side (502)."""


class WebhookSignatureInvalid(Exception):
    """A webhook whose body does not carry Chapa's signature: not from Chapa (400)."""


class PaymentNotAllowedError(ConflictError):
    """The booking can't be paid now: already paid, cancelled or completed (409)."""


def payment_tx_ref_new() -> str:
    """A fresh, unguessable reference for one payment attempt.

    Never the booking's id: Chapa refuses a reference it has seen before, so a second attempt
    (the first card was declined) would be impossible, and ids are easy to guess.
    """
    return f"nexus-{secrets.token_hex(12)}"


def payment_initiate(*, booking: Booking, site_url: str,
                     client: ChapaClient | None = None) -> Payment:
    """Start paying for ``booking``: a new pending Payment with its Chapa checkout URL.

    ``site_url`` is this site's absolute root (``https://stays.example``), used for the
    return page and the callback Chapa is given. The amount and currency come from the
    booking, never from the client. Raises ``PaymentNotAllowedError`` (409) for a booking
    that is not pending or already paid, ``PaymentGatewayUnavailable`` (503) if Chapa can't
    be reached — the Payment then stays pending, and reconciliation finds out whether Chapa
    got it — and ``PaymentGatewayRejected`` (502) if Chapa refused our request.
    """
    if booking.status != BookingStatus.PENDING:
        raise PaymentNotAllowedError(
            f"Only a pending booking can be paid; this one is {booking.status}.",
            code="booking_not_payable",
        )
    if booking.payments.filter(status=PaymentStatus.SUCCESS).exists():
        raise PaymentNotAllowedError("This booking is already paid.", code="booking_already_paid")
    try:
        client = client or ChapaClient.from_settings()
    except ChapaNotConfigured as exc:
        raise PaymentGatewayUnavailable(str(exc)) from exc

    # Stored (and committed, outside any transaction of ours) before Chapa hears of it.
    payment = Payment.objects.create(
        booking=booking, tx_ref=payment_tx_ref_new(), amount=booking.total_price,
        currency=Currency.ETB, status=PaymentStatus.PENDING,
    )
    root = site_url.rstrip("/")
    guest, listing = booking.guest, booking.listing
    try:
        checkout_url = client.initialize(
            tx_ref=payment.tx_ref, amount=payment.amount, currency=payment.currency,
            email=guest.email, first_name=guest.first_name, last_name=guest.last_name,
            callback_url=root + reverse("api:payment-callback"),
            return_url=root + reverse("payments:return", kwargs={"tx_ref": payment.tx_ref}),
            title="Nexus Stays",
            description=_DESCRIPTION_UNSAFE.sub(
                "", f"{booking.nights} nights at {listing.title}")[:100],
            meta={"booking": booking.pk},
        )
    except ChapaUnavailable as exc:
        raise PaymentGatewayUnavailable(f"The payment gateway is unavailable ({exc}); "
                                        "the payment is pending, try again shortly.") from exc
    except ChapaRejected as exc:
        payment.status = PaymentStatus.FAILED
        payment.failure_reason = f"Chapa refused to initialize: {exc}"[:255]
        payment.save(update_fields=["status", "failure_reason", "updated_at"])
        logger.error("Chapa refused to initialize payment %s: %s", payment.pk, exc)
        raise PaymentGatewayRejected(f"The payment gateway refused the payment: {exc}") from exc
    payment.checkout_url = checkout_url
    payment.save(update_fields=["checkout_url", "updated_at"])
    return payment


def verification_problems(*, payment: Payment, verification: Verification) -> list[str]:
    """Why ``verification`` must not confirm ``payment``; an empty list if it may.

    ``verification.status`` is the payment's status inside ``data`` — the envelope's outer
    ``status: "success"`` only says the lookup worked. A payment is what it was for only if
    it is for our tx_ref, the full amount, in our currency, in the mode this site runs in.
    """
    problems = []
    if verification.tx_ref != payment.tx_ref:
        problems.append(f"tx_ref mismatch: Chapa answered for {verification.tx_ref}")
    if verification.amount != payment.amount:
        problems.append(f"amount mismatch: paid {verification.amount}, expected {payment.amount}")
    if verification.currency != payment.currency:
        problems.append(f"currency mismatch: paid in {verification.currency}, "
                        f"expected {payment.currency}")
    if verification.mode != settings.CHAPA_MODE:
        problems.append(f"mode mismatch: a {verification.mode} payment, this site runs "
                        f"{settings.CHAPA_MODE}")
    return problems


def payment_verify(*, payment: Payment, client: ChapaClient | None = None) -> Payment:
    """Ask Chapa what happened to ``payment`` and act on the answer once; returns it, updated.

    Safe to call any number of times, from any nudge (webhook, callback, return page,
    reconciliation): a payment already settled is returned as it is, without calling Chapa.
    Raises ``PaymentGatewayUnavailable`` if Chapa can't be asked; the payment stays pending.
    """
    payment.refresh_from_db()
    if payment.is_settled:
        return payment
    try:
        client = client or ChapaClient.from_settings()
        verification = client.verify(payment.tx_ref)
    except ChapaNotPaid:
        return payment  # the payer is still on the checkout page
    except ChapaNotConfigured as exc:
        raise PaymentGatewayUnavailable(str(exc)) from exc
    except ChapaRejected as exc:
        return _payment_unknown_to_chapa(payment=payment, error=exc)
    except (ChapaUnavailable, ChapaError) as exc:
        raise PaymentGatewayUnavailable(f"The payment gateway is unavailable ({exc}); "
                                        "the payment is still pending.") from exc
    return payment_settle(payment=payment, verification=verification)


def payment_settle(*, payment: Payment, verification: Verification) -> Payment:
    """Record what Chapa's verify said about ``payment``; confirm the booking if it was paid.

    The payment row is locked, and a settled payment is left alone: of ten concurrent
    webhooks for one payment, one confirms the booking and queues the receipt, nine find it
    done. A paid booking gets its receipt from a worker, queued after the commit.
    """
    if verification.status == PaymentStatus.PENDING:
        return payment
    problems = verification_problems(payment=payment, verification=verification)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.is_settled:
            return locked
        locked.verify_payload = verification.raw
        locked.chapa_reference = verification.reference[:64]
        if problems:
            # Money may have moved for the wrong amount: refused here, and a person must look.
            locked.status = PaymentStatus.FAILED
            locked.failure_reason = "; ".join(problems)[:255]
            logger.error("payment %s refused: %s", locked.pk, locked.failure_reason)
        elif verification.status == PaymentStatus.SUCCESS:
            locked.status = PaymentStatus.SUCCESS
            try:
                booking_confirm(booking=locked.booking)
            except BookingNotConfirmableError as exc:
                # Paid for a booking cancelled meanwhile (its window expired): the money
                # was taken, so the payment stays a success and needs a refund.
                locked.failure_reason = f"paid, but {exc.messages[0]} Refund needed."[:255]
                logger.error("payment %s: %s", locked.pk, locked.failure_reason)
            else:
                from payments.tasks import send_payment_receipt  # tasks.py imports us

                send_payment_receipt.delay_on_commit(locked.pk)
        elif verification.status == PaymentStatus.CANCELLED:
            locked.status = PaymentStatus.CANCELLED
        else:
            locked.status = PaymentStatus.FAILED
            locked.failure_reason = f"Chapa says the payment {verification.status}"[:255]
        locked.save()
    return locked


def _payment_unknown_to_chapa(*, payment: Payment, error: ChapaRejected) -> Payment:
    """Verify said no: Chapa has no such transaction (initialize never reached it) or a key
    problem. Young payments stay pending; past the booking's payment window, it failed."""
    logger.warning("verify of payment %s refused: %s", payment.pk, error)
    window = settings.BOOKING_PAYMENT_WINDOW
    if error.status_code == 404 and payment.created_at < timezone.now() - window:
        updated = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.FAILED, updated_at=timezone.now(),
            failure_reason=f"Chapa has no record of this payment: {error}"[:255])
        if updated:
            payment.refresh_from_db()
    return payment


def payment_handle_webhook(*, body: bytes, signature: str | None) -> Payment | None:
    """Act on a webhook from Chapa: check its signature, then verify the payment it names.

    ``body`` is the raw request body and ``signature`` the ``x-chapa-signature`` header:
    the HMAC is over the exact bytes Chapa sent. Raises ``WebhookSignatureInvalid`` before
    anything is read or changed. Returns the payment (None for a tx_ref we don't know:
    nothing to do, and answering 200 stops Chapa's retries).
    """
    if not signature_is_valid(body=body, signature=signature,
                              secret=settings.CHAPA_WEBHOOK_SECRET):
        raise WebhookSignatureInvalid("The webhook's x-chapa-signature does not match its body.")
    try:
        event = json.loads(body)
        tx_ref = str(event["tx_ref"])
    except (ValueError, KeyError, TypeError):
        logger.warning("a signed webhook without a tx_ref: %.200r", body)
        return None
    payment = Payment.objects.filter(tx_ref=tx_ref).first()
    if payment is None:
        logger.warning("a webhook for an unknown tx_ref %s", tx_ref)
        return None
    # Even a signed webhook is only a nudge: verify asks Chapa for the authoritative answer.
    return payment_verify(payment=payment)


def payment_receipt_send(*, payment: Payment) -> bool:
    """Email the guest the receipt of ``payment``; True if sent now, False if not needed.

    Idempotent like ``booking_confirmation_send``: the row is locked, ``receipt_sent_at``
    decides, and it is set in the same transaction as the send.
    """
    from payments.emails import payment_receipt_message

    with transaction.atomic():
        locked = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("booking", "booking__listing", "booking__guest")
            .get(pk=payment.pk)
        )
        if locked.receipt_sent_at is not None or locked.status != PaymentStatus.SUCCESS:
            return False
        payment_receipt_message(payment=locked).send()
        sent_at = timezone.now()
        Payment.objects.filter(pk=locked.pk).update(receipt_sent_at=sent_at)
    payment.receipt_sent_at = sent_at
    return True


def payment_reconcile_pending(*, older_than: timedelta) -> dict[str, int]:
    """Verify every payment still pending ``older_than`` after it started; outcomes counted.

    The safety net for a webhook that never came (our endpoint was down for longer than
    Chapa retries, a deploy dropped it). Stops at the first gateway error: when Chapa is
    down, asking about the next payment fails too; the next run carries on.
    """
    outcomes: Counter[str] = Counter()
    for payment in payment_list_pending(older_than=older_than):
        try:
            outcomes[payment_verify(payment=payment).status] += 1
        except PaymentGatewayUnavailable:
            outcomes["unreachable"] += 1
            break
    return dict(outcomes)
