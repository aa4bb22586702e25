"""Faults survived: Redis killed under a serving API; a broker restarted under queued tasks.

Redis (the cache) is SIGKILLed while gunicorn answers a stream of requests: every request
still gets its 200, from the database, and the cache fills again once Redis is back.

The broker is a private redis-server with the append-only file on, as the course's own Redis
has it, so restarting it (SIGTERM, as systemd or an orchestrator does) disturbs nobody else —
in the external profile too, where the machine's RabbitMQ cannot be restarted by a test.
Celery publishes booking confirmations to it and a real worker (``celery -A config worker``)
consumes them into an SMTP server of the tests' own. Both private Redis servers come from the
runner (``testsupport.standins``): run alone, these tests skip.

The other faults of the course are proved next to the code they exercise:
- Redis down, every cache operation failing open, in-process: ``cache/test_listing_cache.py``;
- SMTP down, emails retried and delivered: ``tasks/test_booking_tasks.py`` and
  ``tasks/test_wishlist_tasks.py``;
- a worker killed mid-send, the message redelivered and sent once: ``tasks/test_booking_tasks.py``;
- Chapa's sandbox killed mid-payment: ``flows/test_payment_flow.py`` (``…sandbox_killed…``);
- embedded PostgreSQL killed and brought back with its data: the course's own tests
  (``tests/toolkit/test_services.py``).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_create
from bookings.tasks import send_booking_confirmation
from config.celery_app import app
from testsupport.factories import ListingFactory, UserFactory
from testsupport.mail import SmtpSink
from testsupport.processes import CeleryWorker, Gunicorn, test_database_url, test_env, wait_until
from testsupport.standins import PrivateServer, private_redis

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BROKER_DB = 2
TASKS = 12


@pytest.fixture
def broker(request, tmp_path) -> Iterator[PrivateServer]:
    server = private_redis(request.config, tmp_path / "broker", persistent=True)
    yield server
    server.close()


@pytest.fixture
def queue() -> str:
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}-faults"


def bookings(count: int) -> list[Booking]:
    """``count`` committed pending bookings, each by a guest with an address of their own."""
    check_in = timezone.localdate() + timedelta(days=150)
    return [booking_create(listing=ListingFactory(), guest=UserFactory(), check_in=check_in,
                           check_out=check_in + timedelta(days=2), guests=1)
            for _ in range(count)]


def publish(broker, queue: str, rows: list[Booking]) -> None:
    """Queue one confirmation per booking on ``broker``, as ``delay_on_commit`` would."""
    with app.connection_for_write(broker.url(BROKER_DB)) as connection:
        for booking in rows:
            # declare: the queue and its binding must exist on this broker before a worker
            # has ever consumed from it, or Redis has nowhere to route the message.
            send_booking_confirmation.apply_async((booking.pk,), queue=queue,
                                                  connection=connection,
                                                  declare=[app.amqp.queues[queue]])


def waiting(broker, queue: str) -> int:
    """Messages waiting in ``queue`` (kombu keeps one Redis list per queue and priority)."""
    client = broker.client(BROKER_DB)
    try:
        return sum(client.llen(key) for key in client.scan_iter(match=f"{queue}*")
                   if client.type(key) == "list")
    finally:
        client.close()


def emails_per_booking(sink: SmtpSink, rows: list[Booking]) -> list[int]:
    return [len(sink.to(booking.guest.email)) for booking in rows]


def restart(broker) -> None:
    broker.stop()  # SIGTERM: Redis writes and fsyncs its append-only file, then exits
    broker.start()


def test_tasks_queued_before_a_broker_restart_all_run_after_it(broker, queue, sink):
    rows = bookings(TASKS)
    publish(broker, queue, rows)
    assert waiting(broker, queue) == TASKS
    restart(broker)
    assert waiting(broker, queue) == TASKS  # nothing lost with the process
    env = test_env(queue=queue, smtp_port=sink.port, CELERY_BROKER_URL=broker.url(BROKER_DB))
    with CeleryWorker(env=env) as worker:
        worker.until(lambda: sum(emails_per_booking(sink, rows)) >= TASKS, 30)
    assert emails_per_booking(sink, rows) == [1] * TASKS
    assert waiting(broker, queue) == 0


def test_a_broker_restart_under_a_busy_worker_loses_nothing_and_sends_each_email_once(
        broker, queue, sink):
    rows = bookings(TASKS)
    env = test_env(queue=queue, smtp_port=sink.port, CELERY_BROKER_URL=broker.url(BROKER_DB))
    # A message the worker had reserved when the broker went away is handed out again after
    # the visibility timeout: 1 s instead of an hour, so the test needn't wait.
    with CeleryWorker(env=env, visibility_timeout=1) as worker:
        sink.set_delay(0.05)  # ~0.3 s per email: the restart lands mid-queue
        try:
            publish(broker, queue, rows)
            worker.until(lambda: sum(emails_per_booking(sink, rows)) >= 2, 30)
            restart(broker)
            assert sum(emails_per_booking(sink, rows)) < TASKS, "the queue drained too early"
            worker.until(lambda: sum(emails_per_booking(sink, rows)) >= TASKS, 60)
            assert "Connection to broker lost" in worker.log.read_text()
        finally:
            sink.set_delay(0)
        # A redelivered message finds the email sent (bookings remember it) and sends nothing.
        assert wait_until(lambda: waiting(broker, queue) == 0, 15)
    assert emails_per_booking(sink, rows) == [1] * TASKS


def test_the_broker_really_persists(request, broker, tmp_path):
    """The premise of this module: a plain restart keeps Redis data only with the AOF on."""
    client = broker.client(BROKER_DB)
    client.rpush("probe", "kept")
    client.close()
    restart(broker)
    client = broker.client(BROKER_DB)
    assert client.lrange("probe", 0, -1) == ["kept"]
    client.close()
    volatile = private_redis(request.config, tmp_path / "volatile")
    try:
        plain = volatile.client(BROKER_DB)
        plain.rpush("probe", "lost")
        plain.close()
        restart(volatile)
        plain = volatile.client(BROKER_DB)
        assert plain.lrange("probe", 0, -1) == []
        plain.close()
    finally:
        volatile.close()


# --- the cache ------------------------------------------------------------------------------------
def test_redis_killed_under_a_serving_api_costs_no_request_and_the_cache_comes_back(
        request, tmp_path):
    ListingFactory.create_batch(3)
    cache_server = private_redis(request.config, tmp_path / "cache")
    server = Gunicorn(workers=2, threads=2, env={
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": cache_server.url(1),
        "THROTTLE_ANON_RATE": "1000000/min",
    })
    answers: list[tuple[float, int]] = []
    stop = threading.Event()

    def client() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                response = session.get(server.url("/api/listings/"), timeout=10)
                answers.append((time.monotonic(), response.status_code))

    clients = [threading.Thread(target=client) for _ in range(3)]
    try:
        for thread in clients:
            thread.start()
        assert wait_until(lambda: len(answers) >= 20, 15)
        cache_server.kill()  # SIGKILL mid-stream: connections die under in-flight requests
        killed = time.monotonic()
        # Redis stays dead until the API has answered ten requests without it (from state:
        # the answers counted, not a pause that hopes they came).
        assert wait_until(lambda: sum(at >= killed for at, _ in answers) >= 10, 15), \
            "the API stopped answering while Redis was dead"
        cache_server.start()  # empty: it kept nothing
        back = time.monotonic()
        cache = cache_server.client(1)
        assert wait_until(lambda: any(cache.scan_iter(match="*listings*")), 10), \
            "the cache never filled again"
        cache.close()
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=15)
        server.stop()
        cache_server.close()
    statuses = Counter(status for _, status in answers)
    assert statuses == {200: len(answers)}, statuses  # not one 5xx, not one error
    assert sum(killed <= at < back for at, _ in answers) >= 10  # served while Redis was dead
    log = server.log.read_text()
    assert "Cache unavailable" in log and "Cache reachable again" in log
