"""Fixtures shared by the sample project's tests."""

from collections.abc import Callable, Iterator

import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Role, User
from nexus.worker import Worker, purge_queue

from .factories import HostFactory, UserFactory
from .processes import PrivateSink, drained_after_each_test, worker_drain, worker_env


@pytest.fixture(autouse=True)
def _forget_cached_state():
    """Start every test with no cache entries of this run, throttle counters included.

    The test settings give each run its own key prefix, so deleting by that prefix
    touches nothing else in the shared Redis — not the course's cache, not Celery's
    queues. (``cache.clear()`` would FLUSHDB the whole database.)
    """
    yield
    config = settings.CACHES["default"]
    client = redis.Redis.from_url(config["LOCATION"])
    try:
        keys = list(client.scan_iter(match=f"{config['KEY_PREFIX']}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def api_client() -> APIClient:
    """An anonymous DRF test client."""
    return APIClient()


def bearer(user: User) -> str:
    """An ``Authorization`` header value with a fresh JWT access token for ``user``."""
    return f"Bearer {AccessToken.for_user(user)}"


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


# --- a real Celery worker and the SMTP sink it sends to (one of each per test module) -----------
@pytest.fixture(scope="module")
def sink(tmp_path_factory) -> Iterator[PrivateSink]:
    """A private SMTP sink: a module may stop or slow it without disturbing anyone else."""
    sink = PrivateSink(tmp_path_factory.mktemp("smtp")).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def worker(django_db_setup, sink) -> Iterator[Worker]:
    """A real worker on this run's queue, the test database and ``sink``."""
    # Messages queued by tests that ran without a worker name rows that are gone now.
    purge_queue(settings.CELERY_TASK_DEFAULT_QUEUE)
    with Worker(env=worker_env(sink)) as running, \
            drained_after_each_test(lambda: worker_drain(running)):
        # Drained after every later test of the module, not only after those that ask for it:
        # it runs beside them all.
        yield running
    purge_queue(settings.CELERY_TASK_DEFAULT_QUEUE)
