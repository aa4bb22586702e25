"""Lesson 06 — background tasks with Celery.

Every check runs the learner's code with a **real worker** on the real broker: Celery's own
embedded worker (``celery.contrib.testing.worker.start_worker``: a worker in a thread of the
notebook's kernel, solo pool), so that a task defined in the notebook can run. Mail goes over SMTP
to the course's sink and is read back from it. Bookings are made directly with the ORM, so that
no task is queued except the learner's.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_06.py):

06.1 confirm_booking — the id used as if it were the booking; the email sent directly (a
     redelivery sends it again); a missing booking skipped silently; the service's answer not
     returned; the service called positionally; select_for_update outside a transaction; every
     error retried (autoretry_for=Exception) so a missing booking retries forever. The task runs
     with the options of the learner's @shared_task (bind, retries, time limits).
06.2 confirm_after_commit — queued at once (a rollback can't recall it); a countdown; the wrong
     task; the booking itself in the message; the task called in-process instead of queued;
     .delay() called now and its result handed to on_commit.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from nexus.exercises.checks.support import mail_to, purge_queue, task_for_check, wait, worker
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("06", "Background tasks: Celery")
LOOK = 'lesson 06, "1. The Celery app and where tasks live"'


def _guest_and_booking(tag: str):
    """A new guest (an address of this check run only) and a pending booking of theirs."""
    from django.utils import timezone

    from accounts.models import User
    from bookings.models import Booking
    from listings.models import Listing

    guest = User.objects.create_user(username=f"check-{tag}-{uuid.uuid4().hex[:8]}",
                                     email=f"{tag}.{uuid.uuid4().hex[:8]}@check.nexus.example")
    taken = Booking.objects.filter(check_in__gte=timezone.localdate()).count()
    listing = Listing.objects.filter(is_active=True).order_by("id").first()
    check_in = timezone.localdate() + timedelta(days=1500 + 7 * taken)
    booking = Booking.objects.create(listing=listing, guest=guest, guests=1, check_in=check_in,
                                     check_out=check_in + timedelta(days=2),
                                     total_price=listing.price_per_night * 2)
    return guest, booking


# --- 06.1 -----------------------------------------------------------------------------------------
@exercise("06.1", "confirm_booking: a task that fetches by id and calls a service")
def check_confirm_booking(confirm_booking) -> None:
    from celery.exceptions import TimeoutError as ResultTimeout

    from bookings.models import Booking

    queue = f"check-06-1-{uuid.uuid4().hex[:8]}"
    task = task_for_check(confirm_booking, f"exercises.{queue}")
    guest, booking = _guest_and_booking("confirm")
    try:
        with worker([queue]):
            first = task.apply_async((booking.pk,), queue=queue)
            try:
                first.get(timeout=15, propagate=False)
            except ResultTimeout:
                raise Fail(expected="the task finishes within seconds", got="no result after 15 s",
                           hint="does your task wait for something? fetch the booking and call "
                                "the service, nothing more.", look=LOOK) from None
            if first.failed():
                error = first.result
                if isinstance(error, NotImplementedError):
                    raise NotImplementedError()  # the stub, run by the worker
                hint = "the message carries only the id (a number): fetch the booking with " \
                       "it before using it."
                if isinstance(error, TypeError) and "positional" in str(error):
                    hint = "the service takes its arguments by keyword only (the * in its " \
                           "signature): name the argument when you call it."
                elif type(error).__name__ == "TransactionManagementError":  # rebuilt by name
                    hint = "select_for_update only works inside a transaction; the service " \
                           "already locks the booking itself — fetch it plainly and let the " \
                           "service do the rest."
                raise Fail(expected="the task runs with the booking's id and sends the email",
                           got=f"the worker raised {type(error).__name__}: {error}"[:200],
                           hint=hint, look=LOOK)
            if not wait(lambda: mail_to(guest.email) == 1, 5):
                raise Fail(expected="one confirmation email to the guest",
                           got=f"{mail_to(guest.email)} emails",
                           hint="call booking_confirmation_send(booking=...) — the service "
                                "sends the email.", look=LOOK)
            again = [task.apply_async((booking.pk,), queue=queue) for _ in range(2)]
            for result in again:
                result.get(timeout=15, propagate=False)
            answers = [first.result, *(result.result for result in again)]
            if mail_to(guest.email) != 1:
                raise Fail(expected="still one email after the message is delivered twice more",
                           got=f"{mail_to(guest.email)} emails",
                           hint="a redelivered message must not send again: call the service "
                                "booking_confirmation_send, which records the send, instead of "
                                "sending the email yourself.", look=LOOK)
            if answers != [True, False, False]:
                raise Fail(expected="True when the email was sent now, False for the replays",
                           got=f"{answers}",
                           hint="return what the service returns: it knows whether it sent the "
                                "email now, and the worker's result (and log) shows it.",
                           look=LOOK)
            missing = task.apply_async((booking.pk + 10_000_000,), queue=queue)
            wait(lambda: missing.state in ("FAILURE", "SUCCESS", "RETRY"), 15)
            if missing.state == "RETRY":
                raise Fail(expected="a booking id that doesn't exist makes the task fail",
                           got="the task is being retried",
                           hint="a missing booking won't appear by retrying, and retries of "
                                "every error go on for ever: retry only errors that can pass "
                                "(a broken connection), not DoesNotExist.", look=LOOK)
            if not missing.failed():
                raise Fail(expected="a booking id that doesn't exist makes the task fail",
                           got=f"the task succeeded and returned {missing.result!r}",
                           hint="a missing booking should fail loudly (Booking.objects.get "
                                "raises DoesNotExist), so it shows up in the worker's log and "
                                "monitoring instead of passing silently.", look=LOOK)
    finally:
        purge_queue(queue)
        Booking.objects.filter(pk=booking.pk).delete()
        guest.delete()


# --- 06.2 -----------------------------------------------------------------------------------------
@exercise("06.2", "confirm_after_commit: fire the task with on_commit")
def check_confirm_after_commit(confirm_after_commit) -> None:
    from celery.signals import after_task_publish
    from django.conf import settings
    from django.db import transaction
    from kombu.exceptions import EncodeError

    from bookings.models import Booking

    look = 'lesson 06, "1. The Celery app and where tasks live" (delay_on_commit)'
    sent: list[dict] = []

    def record(sender=None, headers=None, body=None, **kwargs):
        in_block = transaction.get_connection().in_atomic_block
        sent.append({"task": sender, "args": list(body[0]), "in_block": in_block,
                     "eta": (headers or {}).get("eta")})

    after_task_publish.connect(record, weak=False)
    created = []
    try:
        # 1. The transaction rolls back: nothing may be queued.
        with transaction.atomic():
            guest, booking = _guest_and_booking("rollback")
            created.append(booking.pk)
            try:
                confirm_after_commit(booking)
            except TypeError:
                if not sent:
                    raise
                raise Fail(expected="nothing queued until the transaction commits",
                           got="a message queued at once, then a TypeError from on_commit",
                           hint="on_commit takes a function to call later: you called .delay() "
                                "now and handed on_commit its result. Give it a lambda (or use "
                                "delay_on_commit).", look=look) from None
            transaction.set_rollback(True)
        created.pop()
        if sent:
            countdown = any(message["eta"] for message in sent)
            raise Fail(expected="no message when the transaction rolls back",
                       got=f"{len(sent)} message(s) queued for a booking that was rolled back",
                       hint="a countdown only guesses how long the transaction takes, and the "
                            "message still goes out on a rollback: let Django call you after the "
                            "commit instead." if countdown else
                            "the message left before the transaction decided, and a rollback "
                            "can't call it back: queue it from transaction.on_commit(...) (or "
                            "delay_on_commit).", look=look)
        # 2. It commits: exactly one message, after the commit, with the id.
        try:
            with transaction.atomic():
                guest, booking = _guest_and_booking("commit")
                confirm_after_commit(booking)
                if sent:
                    raise Fail(expected="nothing queued before the commit",
                               got="a message already",
                               hint="queue it from transaction.on_commit(...).", look=look)
        except EncodeError as exc:  # raised by the on_commit callback, once committed
            created.append(booking.pk)
            raise Fail(expected="a message Celery can send", got=f"EncodeError: {exc}"[:200],
                       hint="a message is JSON: a Booking object can't travel in it. Send what "
                            "the task needs to find it again.", look=look) from None
        created.append(booking.pk)
        task = "bookings.tasks.send_booking_confirmation"
        if not sent and wait(lambda: mail_to(guest.email) == 1, 1):
            raise Fail(expected=f"one message: {task}", got="no message, but the email was sent",
                       hint="calling the task runs it here, in this process, inside the "
                            "request: queue it with .delay() so a worker runs it.", look=look)
        if [(m["task"], m["args"]) for m in sent] != [(task, [booking.pk])]:
            raise Fail(expected=f"one message: {task} with the booking's id",
                       got=f"{[(m['task'], m['args']) for m in sent]}"[:200],
                       hint="queue send_booking_confirmation once, with booking.pk (an id, "
                            "not the booking).", look=look)
        # 3. A real worker runs it: the guest gets the email.
        with worker([settings.CELERY_TASK_DEFAULT_QUEUE]):
            if not wait(lambda: mail_to(guest.email) == 1, 15):
                raise Fail(expected="the queued task sends the guest one email",
                           got=f"{mail_to(guest.email)} emails",
                           hint="queue the project's send_booking_confirmation task.", look=look)
    finally:
        after_task_publish.disconnect(record)
        Booking.objects.filter(pk__in=created).delete()
