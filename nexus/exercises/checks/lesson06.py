"""Lesson 06 — background tasks with Celery.

Every check runs the learner's code with a **real worker** on the real broker: Celery's own
embedded worker (``celery.contrib.testing.worker.start_worker``: a worker in a thread of the
notebook's kernel, solo pool), so that a task defined in the notebook can run. Mail goes over SMTP
to the course's sink and is read back from it. Bookings are made directly with the ORM, so that
no task is queued except the learner's.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from nexus.exercises.checks.support import as_function, mail_to, wait, worker
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
    from config import celery_app

    function = as_function(confirm_booking)
    queue = f"check-06-1-{uuid.uuid4().hex[:8]}"
    task = celery_app.task(name=f"exercises.{queue}", acks_late=True)(function)
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
                raise Fail(expected="the task runs with the booking's id and sends the email",
                           got=f"the worker raised {type(error).__name__}: {error}"[:200],
                           hint="the message carries only the id (a number): fetch the booking "
                                "with Booking.objects.get(pk=booking_id) before using it.",
                           look=LOOK)
            if not wait(lambda: mail_to(guest.email) == 1, 5):
                raise Fail(expected="one confirmation email to the guest",
                           got=f"{mail_to(guest.email)} emails",
                           hint="call booking_confirmation_send(booking=...) — the service "
                                "sends the email.", look=LOOK)
            again = [task.apply_async((booking.pk,), queue=queue) for _ in range(2)]
            for result in again:
                result.get(timeout=15, propagate=False)
            if mail_to(guest.email) != 1:
                raise Fail(expected="still one email after the message is delivered twice more",
                           got=f"{mail_to(guest.email)} emails",
                           hint="a redelivered message must not send again: call the service "
                                "booking_confirmation_send, which records the send, instead of "
                                "sending the email yourself.", look=LOOK)
            missing = task.apply_async((booking.pk + 10_000_000,), queue=queue)
            missing.get(timeout=15, propagate=False)
            if not missing.failed():
                raise Fail(expected="a booking id that doesn't exist makes the task fail",
                           got=f"the task succeeded and returned {missing.result!r}",
                           hint="a missing booking should fail loudly (Booking.objects.get "
                                "raises DoesNotExist), so it shows up in the worker's log and "
                                "monitoring instead of passing silently.", look=LOOK)
    finally:
        Booking.objects.filter(pk=booking.pk).delete()
        guest.delete()


# --- 06.2 -----------------------------------------------------------------------------------------
@exercise("06.2", "confirm_after_commit: fire the task with on_commit")
def check_confirm_after_commit(confirm_after_commit) -> None:
    from celery.signals import after_task_publish
    from django.conf import settings
    from django.db import transaction

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
            confirm_after_commit(booking)
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
        with transaction.atomic():
            guest, booking = _guest_and_booking("commit")
            confirm_after_commit(booking)
            if sent:
                raise Fail(expected="nothing queued before the commit", got="a message already",
                           hint="queue it from transaction.on_commit(...).", look=look)
        created.append(booking.pk)
        task = "bookings.tasks.send_booking_confirmation"
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
