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
06.3 confirm_with_retries — no retry at all; smtplib's errors retried but not a refused
     connection (ConnectionRefusedError is an OSError, not an SMTPException); a refused
     connection retried but not a hung server (smtplib's SMTPServerDisconnected after the
     timeout); every Exception retried (a missing booking too); self.retry() without a
     countdown (default_retry_delay, 3 minutes); a fixed delay; max_retries left at its default
     3; max_retries=None (for ever); the error swallowed (False, no email). The mail server is
     made to fail in this process only (Django's EMAIL_PORT pointed at a closed, then a silent
     port); each retry's countdown is read from the message the worker publishes, with
     retry_jitter off for the check's copy of the task; the limit is tested with messages that
     already carry retries=7 and retries=8, as the worker's own retries would.
"""

from __future__ import annotations

import uuid

from nexus.exercises.checks.support import (
    mail_to,
    new_guest,
    new_pending_booking,
    purge_queue,
    smtp_down,
    task_for_check,
    wait,
    worker,
)
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("06", "Background tasks: Celery")
LOOK = 'lesson 06, "1. The Celery app and where tasks live"'


def _guest_and_booking(tag: str):
    """A new guest (an address of this check run only) and a pending booking of theirs."""
    guest = new_guest(tag)
    return guest, new_pending_booking(guest)


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


# --- 06.3 -----------------------------------------------------------------------------------------
LOOK_RETRIES = ('lesson 06, "6. When the mail server is down: retries with exponential backoff", '
                "and sample_project/config/task_policy.py")


class _Messages:
    """Every message the check's task publishes (the first, and each retry the worker sends).

    A retry is a new message for the same task id, with a ``retries`` header one higher and an
    ``eta`` countdown seconds ahead: published by the worker's thread, in this process, where
    Celery's ``after_task_publish`` signal lets the check read it.
    """

    def __init__(self, task_name: str) -> None:
        self.task_name = task_name
        self.seen: list[dict] = []

    def __call__(self, sender=None, headers=None, body=None, **kwargs) -> None:
        from datetime import UTC, datetime

        if sender != self.task_name:
            return
        headers = headers or {}
        eta = headers.get("eta")
        countdown = 0.0
        if eta:
            when = datetime.fromisoformat(eta)
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            countdown = (when - datetime.now(UTC)).total_seconds()
        self.seen.append({"id": headers.get("id"), "retries": headers.get("retries") or 0,
                          "countdown": countdown})

    def retry(self, task_id: str, retries: int) -> dict | None:
        """The retry of ``task_id`` numbered ``retries``, once the worker has sent it."""
        return next((m for m in self.seen if m["id"] == task_id and m["retries"] == retries),
                    None)


def _finished(result) -> bool:
    return result.state in ("SUCCESS", "FAILURE")


def _wait_for_retry(messages: _Messages, result, retries: int, timeout: float) -> dict | None:
    """The retry numbered ``retries`` of ``result``'s task, or None once it finished without."""
    wait(lambda: messages.retry(result.id, retries) or _finished(result), timeout)
    return messages.retry(result.id, retries)


def _not_retried(result, stage: str, retries_when_hung=None) -> Fail:
    """Why the task ended (or hung) instead of being retried while the mail server failed.

    ``retries_when_hung()`` (asked only when a refused connection was not retried) tells a task
    that retries nothing from one that retries smtplib's errors but not a refused connection.
    """
    if result.state == "FAILURE" and isinstance(result.result, NotImplementedError):
        raise NotImplementedError()  # the stub, run by the worker
    if result.state == "SUCCESS":
        return Fail(expected=f"a retry while the mail server {stage}",
                    got=f"the task succeeded and returned {result.result!r}, with no email sent",
                    hint="the email failed and your task said it was done: let the error "
                         "reach Celery (or retry it), so the message comes back later instead "
                         "of being lost.", look=LOOK_RETRIES)
    if result.state != "FAILURE":
        return Fail(expected=f"a retry while the mail server {stage}",
                    got=f"no retry and no result after several seconds ({result.state})",
                    hint="does your task wait for something? Let Celery schedule the retry "
                         "(raise self.retry(...)).", look=LOOK_RETRIES)
    error = result.result
    got = f"the task failed with {type(error).__name__}: {error}"[:200]
    if stage == "hangs":
        hint = ("a server that accepts the connection and never answers makes smtplib give up "
                "with SMTPServerDisconnected, an SMTPException (not a ConnectionError): retry "
                "smtplib's errors too.")
    elif retries_when_hung is not None and retries_when_hung():
        hint = (f"a mail server that is down refuses the connection: {type(error).__name__} is "
                "an OSError (a ConnectionError), and is not an SMTPException — the errors you "
                "retry don't include it.")
    else:
        hint = ("a mail server that is down is a reason to wait, not to give up: catch the "
                "mail errors and raise self.retry(exc=..., countdown=...).")
    return Fail(expected=f"a retry while the mail server {stage}", got=got, hint=hint,
                look=LOOK_RETRIES)


def _check_wait(message: dict, want: float, earlier: float | None) -> None:
    """Fail unless the retry waits about ``want`` seconds (the backoff schedule, jitter off)."""
    countdown = message["countdown"]
    if abs(countdown - want) <= 0.5:
        return
    if countdown > 60:
        hint = ("without a countdown, self.retry() waits default_retry_delay — 3 minutes — "
                "every time: give it a countdown that backs off from 1 s.")
    elif earlier is not None and abs(countdown - earlier) <= 0.5:
        hint = ("the waits don't grow: a fixed delay keeps knocking on a server that is down "
                "at the same pace. Double the wait each time (1, 2, 4 … s): the retry's "
                "number is self.request.retries.")
    else:
        hint = ("exponential backoff from 1 s: retry n waits 2ⁿ⁻¹ s (2 ** self.request.retries "
                "before it; retry_backoff=True computes the same).")
    raise Fail(expected=f"retry {message['retries']} about {want:g} s later",
               got=f"retry {message['retries']} {countdown:.1f} s later", hint=hint,
               look=LOOK_RETRIES)


@exercise("06.3", "confirm_with_retries: retries with exponential backoff while mail is down")
def check_confirm_with_retries(confirm_with_retries) -> None:
    from celery.signals import after_task_publish

    from bookings.models import Booking

    queue = f"check-06-3-{uuid.uuid4().hex[:8]}"
    # Jitter off, as for the lesson's worker: the waits are then exactly 1, 2, 4 … s.
    task = task_for_check(confirm_with_retries, f"exercises.{queue}", retry_jitter=False)
    messages = _Messages(task.name)
    after_task_publish.connect(messages, weak=False)
    guest, booking = _guest_and_booking("retry")
    try:
        with worker([queue]):
            # 1. Down (refused): retried after 1 s. 2. Hung (silent): retried after 2 s.
            with smtp_down():
                result = task.apply_async((booking.pk,), queue=queue)
                first = _wait_for_retry(messages, result, 1, 10)
            if first is None:
                def retries_when_hung() -> bool:
                    with smtp_down(silent=True):
                        probe = task.apply_async((booking.pk,), queue=queue)
                        return _wait_for_retry(messages, probe, 1, 5) is not None

                raise _not_retried(result, "is down", retries_when_hung)
            _check_wait(first, 1, None)
            with smtp_down(silent=True):
                second = _wait_for_retry(messages, result, 2, 8)
            if second is None:
                raise _not_retried(result, "hangs")
            _check_wait(second, 2, first["countdown"])
            # 3. The server is back: the retry after 2 s sends the one email.
            wait(lambda: _finished(result), 8)
            if result.state != "SUCCESS" or result.result is not True \
                    or not wait(lambda: mail_to(guest.email) == 1, 5):
                raise Fail(expected="once the mail server is back, the next retry sends one "
                                    "email and returns True",
                           got=f"{result.state} {result.result!r}"[:120]
                               + f", {mail_to(guest.email)} emails",
                           hint="call booking_confirmation_send(booking=...) and return what it "
                                "returns.", look=LOOK_RETRIES)
            # 4. The limit: still retried as the 8th retry, given up after it. (The email went
            # out in 3; forgotten, so that the service tries to send it again.)
            Booking.objects.filter(pk=booking.pk).update(confirmation_sent_at=None)
            with smtp_down():
                seventh = task.apply_async((booking.pk,), queue=queue, retries=7)
                eighth = task.apply_async((booking.pk,), queue=queue, retries=8)
                wait(lambda: (messages.retry(seventh.id, 8) or _finished(seventh))
                     and (messages.retry(eighth.id, 9) or _finished(eighth)), 10)
            if messages.retry(seventh.id, 8) is None:
                limit = getattr(task, "max_retries", None)
                raise Fail(expected="a message that has been retried 7 times is retried an "
                                    "8th time",
                           got=f"the task {seventh.state.lower()} instead (max_retries={limit})",
                           hint="max_retries defaults to 3: with waits of 1, 2 and 4 s, a mail "
                                "server down for 8 seconds loses the email. Allow 8 (about 4 "
                                "minutes of waiting): max_retries=8." if limit == 3 else
                                "retry up to 8 times (1 + 2 + … + 128 s, about 4 minutes), "
                                "then fail.", look=LOOK_RETRIES)
            if messages.retry(eighth.id, 9) is not None:
                raise Fail(expected="after the 8th retry the task fails (so someone notices)",
                           got="it was retried a 9th time",
                           hint="a task that never gives up retries a dead mail server for ever "
                                "and nobody hears of it: set max_retries=8, not None.",
                           look=LOOK_RETRIES)
            # 5. A booking that doesn't exist is a bug, not an outage: no retry.
            missing = task.apply_async((booking.pk + 10_000_000,), queue=queue)
            wait(lambda: messages.retry(missing.id, 1) or _finished(missing), 10)
            if messages.retry(missing.id, 1) is not None:
                raise Fail(expected="a booking id that doesn't exist fails at once",
                           got="the task is being retried",
                           hint="DoesNotExist won't go away by waiting: retry the mail "
                                "server's errors only, not every Exception.", look=LOOK_RETRIES)
            if missing.state != "FAILURE":
                raise Fail(expected="a booking id that doesn't exist makes the task fail",
                           got=f"{missing.state} {missing.result!r}"[:200],
                           hint="fetch the booking with .get(): a missing row should fail "
                                "loudly.", look=LOOK_RETRIES)
    finally:
        after_task_publish.disconnect(messages)
        purge_queue(queue)
        Booking.objects.filter(pk=booking.pk).delete()
        guest.delete()
