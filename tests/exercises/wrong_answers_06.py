"""Plausible wrong answers to the exercises of lesson 06, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

# --- 06.1 confirm_booking -------------------------------------------------------------------------


def confirm_with_the_instance(booking_id):
    from bookings.services import booking_confirmation_send

    # Treats the id as if it were the booking the producer had in hand.
    return booking_confirmation_send(booking=booking_id)


def confirm_sending_directly(booking_id):
    from bookings.emails import booking_confirmation_message
    from bookings.models import Booking

    booking = Booking.objects.get(pk=booking_id)
    booking_confirmation_message(booking=booking).send()
    return True


def confirm_skipping_missing(booking_id):
    from bookings.models import Booking
    from bookings.services import booking_confirmation_send

    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        return False
    return booking_confirmation_send(booking=booking)


def confirm_returns_nothing(booking_id):
    from bookings.models import Booking
    from bookings.services import booking_confirmation_send

    booking_confirmation_send(booking=Booking.objects.get(pk=booking_id))


def confirm_positional_service(booking_id):
    from bookings.models import Booking
    from bookings.services import booking_confirmation_send

    return booking_confirmation_send(Booking.objects.get(pk=booking_id))


def confirm_lock_outside_transaction(booking_id):
    from bookings.models import Booking
    from bookings.services import booking_confirmation_send

    booking = Booking.objects.select_for_update().get(pk=booking_id)  # "lock it first"
    return booking_confirmation_send(booking=booking)


def _retries_everything():
    from celery import shared_task

    @shared_task(autoretry_for=(Exception,), max_retries=None, default_retry_delay=60)
    def confirm_retries_everything(booking_id):
        from bookings.models import Booking
        from bookings.services import booking_confirmation_send

        return booking_confirmation_send(booking=Booking.objects.get(pk=booking_id))

    return confirm_retries_everything


# --- 06.2 confirm_after_commit --------------------------------------------------------------------


def queue_right_away(booking):
    from bookings.tasks import send_booking_confirmation

    send_booking_confirmation.delay(booking.pk)


def queue_with_a_countdown(booking):
    from bookings.tasks import send_booking_confirmation

    # "Give the transaction a few seconds to commit first."
    send_booking_confirmation.apply_async((booking.pk,), countdown=5)


def queue_the_wrong_task(booking):
    from django.db import transaction

    from bookings.tasks import expire_unpaid_bookings

    transaction.on_commit(lambda: expire_unpaid_bookings.delay())


def queue_the_instance(booking):
    from django.db import transaction

    from bookings.tasks import send_booking_confirmation

    transaction.on_commit(lambda: send_booking_confirmation.delay(booking))


def queue_calls_the_task(booking):
    from django.db import transaction

    from bookings.tasks import send_booking_confirmation

    transaction.on_commit(lambda: send_booking_confirmation(booking.pk))


def queue_delay_now(booking):
    from django.db import transaction

    from bookings.tasks import send_booking_confirmation

    transaction.on_commit(send_booking_confirmation.delay(booking.pk))


# --- 06.3 confirm_with_retries --------------------------------------------------------------------
# Tasks, as in the notebook: @shared_task(bind=True), made by a function so that importing this
# module registers nothing it doesn't use.


def _retry_task(body, **options):
    from celery import shared_task

    return shared_task(bind=True, acks_late=True, **options)(body)


def _retry_not_at_all():
    def retry_not_at_all(self, booking_id):
        from bookings.models import Booking
        from bookings.services import booking_confirmation_send

        return booking_confirmation_send(booking=Booking.objects.get(pk=booking_id))

    return _retry_task(retry_not_at_all)


def _retry_smtp_errors_only():
    def retry_smtp_errors_only(self, booking_id):
        import smtplib

        from bookings.models import Booking
        from bookings.services import booking_confirmation_send

        booking = Booking.objects.get(pk=booking_id)
        try:
            return booking_confirmation_send(booking=booking)
        except smtplib.SMTPException as exc:  # "the mail errors"
            raise self.retry(exc=exc, countdown=2 ** self.request.retries, max_retries=8) from exc

    return _retry_task(retry_smtp_errors_only)


def _retry_connection_errors_only():
    def retry_connection_errors_only(self, booking_id):
        from bookings.models import Booking
        from bookings.services import booking_confirmation_send

        booking = Booking.objects.get(pk=booking_id)
        try:
            return booking_confirmation_send(booking=booking)
        except ConnectionError as exc:  # "the server is down"
            raise self.retry(exc=exc, countdown=2 ** self.request.retries, max_retries=8) from exc

    return _retry_task(retry_connection_errors_only)


def _retry_everything():
    def retry_everything(self, booking_id):
        from bookings.models import Booking
        from bookings.services import booking_confirmation_send

        try:
            return booking_confirmation_send(booking=Booking.objects.get(pk=booking_id))
        except Exception as exc:  # "whatever went wrong, try again"
            raise self.retry(exc=exc, countdown=2 ** self.request.retries, max_retries=8) from exc

    return _retry_task(retry_everything)


def _retry_default_delay():
    def retry_default_delay(self, booking_id):
        import smtplib

        from bookings.models import Booking
        from bookings.services import booking_confirmation_send

        booking = Booking.objects.get(pk=booking_id)
        try:
            return booking_confirmation_send(booking=booking)
        except (ConnectionError, TimeoutError, smtplib.SMTPException) as exc:
            raise self.retry(exc=exc, max_retries=8) from exc

    return _retry_task(retry_default_delay)


def _retry_fixed_delay():
    def retry_fixed_delay(self, booking_id):
        import smtplib

        from bookings.models import Booking
        from bookings.services import booking_confirmation_send

        booking = Booking.objects.get(pk=booking_id)
        try:
            return booking_confirmation_send(booking=booking)
        except (ConnectionError, TimeoutError, smtplib.SMTPException) as exc:
            raise self.retry(exc=exc, countdown=1, max_retries=8) from exc  # "every second"

    return _retry_task(retry_fixed_delay)


def _retry_default_limit():
    def retry_default_limit(self, booking_id):
        import smtplib

        from bookings.models import Booking
        from bookings.services import booking_confirmation_send

        booking = Booking.objects.get(pk=booking_id)
        try:
            return booking_confirmation_send(booking=booking)
        except (ConnectionError, TimeoutError, smtplib.SMTPException) as exc:
            raise self.retry(exc=exc, countdown=2 ** self.request.retries) from exc

    return _retry_task(retry_default_limit)


def _retry_forever():
    import smtplib

    def retry_forever(self, booking_id):
        from bookings.models import Booking
        from bookings.services import booking_confirmation_send

        return booking_confirmation_send(booking=Booking.objects.get(pk=booking_id))

    # The declarative form, with no end: "the email must go out, however long it takes".
    return _retry_task(retry_forever, max_retries=None, retry_backoff=True,
                       autoretry_for=(ConnectionError, TimeoutError, smtplib.SMTPException))


def _retry_swallowed():
    def retry_swallowed(self, booking_id):
        import smtplib

        from bookings.models import Booking
        from bookings.services import booking_confirmation_send

        booking = Booking.objects.get(pk=booking_id)
        try:
            return booking_confirmation_send(booking=booking)
        except (ConnectionError, TimeoutError, smtplib.SMTPException):
            return False  # "don't crash the worker"

    return _retry_task(retry_swallowed)


WRONG_ANSWERS = {
    "06.1": [(confirm_with_the_instance, "fetch the booking"),
             (confirm_sending_directly, "call the service"),
             (confirm_skipping_missing, "fail loudly"),
             (confirm_returns_nothing, "return what the service returns"),
             (confirm_positional_service, "by keyword only"),
             (confirm_lock_outside_transaction, "select_for_update only works inside"),
             (_retries_everything(), "won't appear by retrying")],
    "06.2": [(queue_right_away, "before the transaction decided"),
             (queue_with_a_countdown, "a countdown only guesses"),
             (queue_the_wrong_task, "queue send_booking_confirmation once"),
             (queue_the_instance, "a Booking object can't travel"),
             (queue_calls_the_task, "calling the task runs it here"),
             (queue_delay_now, "handed on_commit its result")],
    "06.3": [(_retry_not_at_all(), "a reason to wait, not to give up"),
             (_retry_smtp_errors_only(), "is not an SMTPException"),
             (_retry_connection_errors_only(), "accepts the connection and never answers"),
             (_retry_everything(), "DoesNotExist won't go away by waiting"),
             (_retry_default_delay(), "default_retry_delay"),
             (_retry_fixed_delay(), "the waits don't grow"),
             (_retry_default_limit(), "max_retries defaults to 3"),
             (_retry_forever(), "never gives up"),
             (_retry_swallowed(), "your task said it was done")],
}
