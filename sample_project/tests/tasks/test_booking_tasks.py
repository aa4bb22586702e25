"""bookings/tasks.py run by a real Celery worker: a separate process on the real broker.

No eager mode: the worker is ``celery -A config worker`` (a subprocess the tests start) with
the test settings, pointed at pytest-django's test database and at an SMTP server of the tests'
own that the fault tests stop and slow down without touching anyone else's. Tests that the
worker must see data from are ``transaction=True``: the rows are committed, as in production.
"""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from bookings.models import Booking, BookingStatus
from bookings.services import booking_create
from bookings.tasks import expire_unpaid_bookings, send_booking_confirmation
from payments.models import PaymentStatus
from testsupport.factories import BookingFactory, ListingFactory, PaymentFactory, UserFactory
from testsupport.mail import SmtpSink
from testsupport.processes import HOST, CeleryWorker, purge_queue, test_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _sink_at_full_speed(sink):
    """Whatever a test did to the module's SMTP server, the next one finds it up and fast."""
    yield
    sink.set_delay(0)
    sink.start()  # (again, if a test stopped it)


@pytest.fixture
def booking():
    """A pending booking in the future, committed (the worker reads it from its own connection)."""
    check_in = timezone.localdate() + timedelta(days=90)
    return booking_create(listing=ListingFactory(), guest=UserFactory(), check_in=check_in,
                          check_out=check_in + timedelta(days=3), guests=2)


def confirmations(sink: SmtpSink, booking: Booking) -> list:
    return sink.to(booking.guest.email)


def recorded(booking: Booking) -> bool:
    """Whether the worker's record of the email is committed: it commits just after the SMTP
    server accepted the message, so the mail can be in the sink a moment before."""
    return Booking.objects.filter(pk=booking.pk, confirmation_sent_at__isnull=False).exists()


# --- the worker sends it --------------------------------------------------------------------------
def test_the_worker_emails_the_guest_once(worker, sink, booking):
    worker.until(lambda: len(confirmations(sink, booking)) == 1 and recorded(booking))
    mail = confirmations(sink, booking)[0]
    assert mail.subject == f"Your booking at {booking.listing.title}"
    assert "3 nights, 2 guests" in mail.body
    assert mail.message["X-Nexus-Booking"] == str(booking.pk)


def test_a_booking_through_the_api_is_confirmed_by_email(worker, sink, client_for):
    guest, listing = UserFactory(), ListingFactory()
    check_in = timezone.localdate() + timedelta(days=45)
    response = client_for(guest).post("/api/bookings/", {
        "listing": listing.pk, "check_in": check_in.isoformat(),
        "check_out": (check_in + timedelta(days=2)).isoformat(), "guests": 1,
    }, format="json")
    assert response.status_code == 201, response.data
    worker.until(lambda: len(sink.to(guest.email)) == 1)


def test_a_message_delivered_again_sends_no_second_email(worker, sink, booking):
    worker.until(lambda: len(confirmations(sink, booking)) == 1)
    again = [send_booking_confirmation.delay(booking.pk) for _ in range(3)]
    assert [result.get(timeout=15) for result in again] == [False, False, False]
    assert len(confirmations(sink, booking)) == 1


def test_a_cancelled_booking_gets_no_confirmation(worker, sink):
    cancelled = BookingFactory(status=BookingStatus.CANCELLED)
    assert send_booking_confirmation.delay(cancelled.pk).get(timeout=15) is False
    assert confirmations(sink, cancelled) == []


def test_a_missing_booking_fails_at_once_without_retries(worker):
    result = send_booking_confirmation.delay(987_654_321)
    with pytest.raises(Booking.DoesNotExist):
        result.get(timeout=15)
    # The log line may trail the result by a moment; its order against "received" is not
    # guaranteed (two processes write the log), its count is: raised once, never retried.
    worker.until(lambda: "raised" in [e.event for e in worker.history(result.id)])
    assert sorted(e.event for e in worker.history(result.id)) == ["raised", "received"]


# --- faults ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_smtp_down_retries_with_backoff_and_delivers_when_it_is_back(worker, sink, booking):
    worker.until(lambda: len(confirmations(sink, booking)) == 1)
    sink.stop()
    other = BookingFactory(status=BookingStatus.PENDING)
    result = send_booking_confirmation.delay(other.pk)
    worker.until(lambda: [e.event for e in worker.history(result.id)].count("retry") == 2)
    sink.start()
    assert result.get(timeout=15) is True
    worker.until(lambda: "succeeded" in [e.event for e in worker.history(result.id)])
    events = worker.history(result.id)
    names = [e.event for e in events]
    assert (names.count("received"), names.count("retry"), names.count("succeeded")) == (3, 2, 1)
    retries = [e.detail for e in events if e.event == "retry"]
    assert retries[0].startswith("Retry in 1s: ConnectionRefusedError")
    assert retries[1].startswith("Retry in 2s: ConnectionRefusedError")
    assert len(confirmations(sink, other)) == 1


@pytest.mark.slow
def test_a_worker_killed_mid_send_leaves_the_task_to_be_redelivered_and_sent_once(
        django_db_setup, sink):
    # A queue of its own, so the module's worker can't take the message instead.
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-kill"
    booking = BookingFactory(status=BookingStatus.PENDING)
    sink.set_delay(3)  # the SMTP conversation is in progress when the worker dies
    first = CeleryWorker(env=test_env(queue=queue, smtp_port=sink.port))
    try:
        send_booking_confirmation.apply_async((booking.pk,), queue=queue)
        first.until(lambda: first.inspect().active())
        first.kill()
    finally:
        first.stop()
    assert confirmations(sink, booking) == []  # the sink drops a message cut off mid-DATA
    booking.refresh_from_db()
    assert booking.confirmation_sent_at is None
    sink.set_delay(0)
    # On Redis an unacknowledged message comes back after the visibility timeout, checked when
    # a worker starts; RabbitMQ requeues it the moment the dead worker's connection closes.
    with CeleryWorker(env=test_env(queue=queue, smtp_port=sink.port),
                      visibility_timeout=1) as second:
        second.until(lambda: len(confirmations(sink, booking)) == 1)
        again = send_booking_confirmation.apply_async((booking.pk,), queue=queue)
        assert again.get(timeout=15) is False
        # The pool process logs "succeeded" and the main process "received": their lines
        # may interleave, so compare the set of events, not their order.
        second.until(lambda: "succeeded" in {e.event for e in second.history(again.id)})
        assert {"received", "succeeded"} <= {e.event for e in second.history(again.id)}
    assert len(confirmations(sink, booking)) == 1
    purge_queue(queue)


@pytest.mark.slow
def test_the_soft_time_limit_interrupts_a_hung_mail_server_and_the_task_retries(worker, sink):
    booking = BookingFactory(status=BookingStatus.PENDING)
    sink.stop()
    # A server that accepts connections and never says a word: smtplib waits for its
    # greeting until the soft limit interrupts the task.
    with socket.create_server((HOST, sink.port)):
        result = send_booking_confirmation.apply_async((booking.pk,), soft_time_limit=1)
        worker.until(lambda: any(e.event == "retry" for e in worker.history(result.id)))
    sink.start()
    assert result.get(timeout=15) is True
    events = worker.history(result.id)
    assert "soft limit" in [e.event for e in events]
    assert next(e.detail for e in events if e.event == "retry").startswith(
        "Retry in 1s: SoftTimeLimitExceeded")
    assert len(confirmations(sink, booking)) == 1


def test_time_limits_reach_the_pool(worker):
    # The hard limit only strikes when the soft one could not end the task (stuck in C code,
    # or the exception swallowed); the soft one is exercised above.
    assert worker.inspect().stats()["pool"]["timeouts"] == [60, 120]
    assert (send_booking_confirmation.soft_time_limit, send_booking_confirmation.time_limit) \
        == (30, 45)


# --- the periodic task ----------------------------------------------------------------------------
def make_pending(minutes_ago: int, **fields) -> Booking:
    booking = BookingFactory(status=BookingStatus.PENDING, **fields)
    Booking.objects.filter(pk=booking.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return booking


def test_expire_unpaid_cancels_only_old_unpaid_pending_bookings(worker):
    old = make_pending(45)
    recent = make_pending(10)
    paid = make_pending(90)
    PaymentFactory(booking=paid, status=PaymentStatus.SUCCESS)
    confirmed = BookingFactory(status=BookingStatus.CONFIRMED)
    Booking.objects.filter(pk=confirmed.pk).update(created_at=timezone.now() - timedelta(days=1))

    assert expire_unpaid_bookings.delay().get(timeout=15) == 1
    statuses = {b.pk: b.status for b in Booking.objects.all()}
    assert statuses == {old.pk: "cancelled", recent.pk: "pending", paid.pk: "pending",
                        confirmed.pk: "confirmed"}
    assert expire_unpaid_bookings.delay().get(timeout=15) == 0  # idempotent


def test_beat_schedules_the_expiry_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["expire-unpaid-bookings"]
    assert entry["task"] == expire_unpaid_bookings.name
    assert entry["schedule"] == timedelta(minutes=1)


def test_the_worker_knows_every_task(worker):
    assert worker.inspect().registered() == ["bookings.tasks.expire_unpaid_bookings",
                                             "bookings.tasks.send_booking_confirmation",
                                             "ip_tracking.tasks.detect_suspicious_ips",
                                             "ip_tracking.tasks.flush_request_log",
                                             "ip_tracking.tasks.purge_ip_data",
                                             "messaging.tasks.send_notification_email",
                                             "payments.tasks.reconcile_pending_payments",
                                             "payments.tasks.send_payment_receipt",
                                             "wishlists.tasks.send_price_drop_notice"]
    stats = worker.inspect().stats()
    assert stats["prefetch_count"] == 1
    assert stats["pool"]["max-concurrency"] == 1
