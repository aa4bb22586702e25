"""What every test directory shares: a transactional test ends alone on its database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sample_project.processes import assert_alone_on_the_database, drain_background_work


def _transactional(request: pytest.FixtureRequest) -> bool:
    """True for a test whose rows are committed, so that pytest-django flushes after it."""
    marker = request.node.get_closest_marker("django_db")  # django_db(transaction=True) or (True)
    positional = marker.args[0] if marker and marker.args else False
    if marker and marker.kwargs.get("transaction", positional):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _nothing_outlives_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Before a transactional test's flush: its background work done, nobody else connected.

    The flush TRUNCATEs every table; a worker or server still in a transaction of the test's
    work deadlocks it (see tests/sample_project/processes.py).
    """
    if not _transactional(request):
        yield
        return
    # pytest-django's database fixture first, so that its teardown, the flush, comes after ours.
    request.getfixturevalue("transactional_db")
    yield
    drain_background_work()
    assert_alone_on_the_database()
