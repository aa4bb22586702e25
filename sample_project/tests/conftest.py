"""Fixtures shared by the sample project's tests.

The tests need the services' addresses in the environment (``DATABASE_URL``, ``REDIS_URL``,
``CELERY_BROKER_URL``…; the README says which) and nothing else: no import of the course's
toolkit. Tests that need a server of their own to kill ask the runner for it (see
``testsupport.standins``).
"""

from collections.abc import Callable, Iterator

import pytest
import redis
from celery.signals import after_task_publish
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import Role, User
from config import cache as config_cache
from ip_tracking import blocklist
from testsupport import standins
from testsupport.clients import bearer
from testsupport.factories import HostFactory, UserFactory
from testsupport.isolation import (
    drained_after_each_test,
    is_transactional,
    nothing_outlives_the_test,  # noqa: F401  (autouse, applied here)
)
from testsupport.mail import SmtpSink
from testsupport.processes import CeleryWorker, purge_queue, test_env


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    standins.add_hookspecs(pluginmanager)


@pytest.fixture(autouse=True)
def _forget_cached_state():
    """Start every test with no cache entries of this run, throttle counters included, and
    no cache outage remembered.

    The test settings give each run its own key prefix, so deleting by that prefix
    touches nothing else in the shared Redis — not the course's cache, not Celery's
    queues. (``cache.clear()`` would FLUSHDB the whole database.)

    ``config.cache`` logs an outage once per Redis address and process, until a call to that
    address succeeds. A test that points the cache at a dead port (the health check's) would
    otherwise leave an outage open that a later test's private Redis, given the same free
    port, "ends" with a warning of its own.
    """
    yield
    with config_cache._outages_lock:
        config_cache._outages.clear()
    config = settings.CACHES["default"]
    client = redis.Redis.from_url(config["LOCATION"])
    try:
        keys = list(client.scan_iter(match=f"{config['KEY_PREFIX']}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _blocklist_loaded(request):
    """Start every database test with this process's copy of the IP blocklist loaded.

    A process reads the ``BlockedIP`` table on its first request (and after each change to
    it), then answers from memory (``ip_tracking/blocklist.py``). The cleanup above deletes the
    counter that copy is checked against, so without this the first request of every test
    would count one query more than the view it measures costs.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("transactional_db" if is_transactional(request) else "db")
    blocklist.blocked_networks()
    yield


@pytest.fixture
def api_client() -> APIClient:
    """An anonymous DRF test client."""
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User | None], APIClient]:
    """``client_for(user)``: a client that sends a real JWT for ``user`` (None: anonymous).

    A real token, not ``force_authenticate``: every request goes through the same
    authentication classes a production client's would.
    """

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=bearer(user))
        return client

    return make


@pytest.fixture
def guest() -> User:
    return UserFactory(username="guest")


@pytest.fixture
def host() -> User:
    return HostFactory(username="host")


@pytest.fixture
def admin() -> User:
    """Admin by role, not by is_staff: the API must honour the role alone."""
    return UserFactory(username="admin", role=Role.ADMIN)


@pytest.fixture
def private_redis(request, tmp_path):
    """A redis-server of this test's own, to stop and start (Redis outages): stopping it
    disturbs no other test. Only the course's suite can start one; run alone, the test skips."""
    server = standins.private_redis(request.config, tmp_path / "redis")
    yield server
    server.close()


# --- a real Celery worker and the SMTP server it sends to (one of each per test module) ---------
@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    """An SMTP server of the module's own: it may stop or slow it without disturbing anyone."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def worker(django_db_setup, sink) -> Iterator[CeleryWorker]:
    """A real worker on this run's queue, the test database and ``sink``."""
    # Messages queued by tests that ran without a worker name rows that are gone now.
    purge_queue()
    with CeleryWorker(env=test_env(smtp_port=sink.port)) as running, \
            drained_after_each_test(running.drain):
        # Drained after every later test of the module, not only after those that ask for it:
        # it runs beside them all.
        yield running
    purge_queue()


@pytest.fixture
def published() -> Iterator[list[tuple[str, list]]]:
    """(task name, args) of every message this process publishes during the test."""
    sent: list[tuple[str, list]] = []

    def record(sender=None, headers=None, body=None, **kwargs):
        sent.append((sender, list(body[0])))

    after_task_publish.connect(record, weak=False)
    yield sent
    after_task_publish.disconnect(record)
