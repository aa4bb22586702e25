"""pytest plugin (``-p nexus.pytest_plugin`` in pyproject): point the run at the course's services.

It works at import time on purpose: pytest-django configures Django while conftest files are
still loading, so the service addresses must be in the environment before that. Embedded profile:
start the services (idempotent) and export their addresses. External profile (``DATABASE_URL``
etc. set by the caller): only check that they answer.

Under pytest-xdist (``make test`` runs ``-n auto --dist loadscope``) each worker is a learner of
its own: its own state folder (``.nexus/workers/gw0``: embedded servers, SMTP mailbox, Chapa
sandbox, locks) and its own database names (``NEXUS_TENANT``, for a shared external
PostgreSQL). A notebook's cells, and each test module, run on one worker (see
:func:`xdist_scope`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Generator
from typing import Any

import pytest

from nexus import services
from nexus.database import TENANT_VAR
from nexus.errors import NexusError
from nexus.paths import state_dir


def _nbval_kernels_on_unix_sockets() -> None:
    """nbval's kernels on Unix sockets, like the toolkit's (see :mod:`nexus.kernels`)."""
    try:
        import nbval.kernel
    except ImportError:
        return
    from nexus.kernels import LocalSyncKernelManager

    nbval.kernel.KernelManager = LocalSyncKernelManager


def _worker_of_its_own() -> None:
    """Give a pytest-xdist worker a state folder and database names of its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    os.environ["NEXUS_HOME"] = str(state_dir() / "workers" / worker)
    os.environ[TENANT_VAR] = worker
    # The controller exported its own services' addresses; this worker's are its own.
    for var in os.environ.get(services.MANAGED_VARS, "").split():
        os.environ.pop(var, None)
    os.environ.pop(services.MANAGED_VARS, None)


_nbval_kernels_on_unix_sockets()
_worker_of_its_own()
try:
    services.up()
    services.export_environment()
except NexusError as exc:  # a readable reason instead of an import traceback
    sys.exit(f"nexus: cannot start the test services: {exc.message()}")


def pytest_unconfigure(config: pytest.Config) -> None:
    """A pytest-xdist worker stops its own servers when it is done (their data stays, so the
    next run starts them in a second); the course's own, in ``.nexus/``, keep running."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        services.down()


def _cpu_seconds() -> float:
    """User + system CPU of this process and of the children it has waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, None]:
    """Note the CPU clock when a test's setup begins (see ``pytest_runtest_makereport``)."""
    item.stash[_CPU_AT_SETUP] = _cpu_seconds()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, Any, None]:
    """Record each test's CPU seconds (``cpu`` in the JUnit report, for ``python -m bench.suite``).

    Setup to teardown, this process and the processes it started and reaped (kernels, workers,
    servers, ``manage.py``); not the long-running services, which nobody waits for.
    """
    if call.when == "teardown" and _CPU_AT_SETUP in item.stash:
        item.user_properties.append(("cpu", round(_cpu_seconds() - item.stash[_CPU_AT_SETUP], 3)))
    yield


_CPU_AT_SETUP = pytest.StashKey[float]()


#: Fixtures that strip the service variables and start embedded servers of the test's own.
_OWN_SERVERS = frozenset({"private_home", "embedded_env", "isolated_services"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the external profile, leave out the tests that run the same in every profile.

    Those are marked ``any_profile`` (they read files, or talk to a private Chapa sandbox) or use
    a fixture that starts embedded servers of their own (:data:`_OWN_SERVERS`): the embedded
    profile's run has run them already (``.ci/run`` runs both). They are reported as deselected.
    """
    if not any(services.external_value(var)
               for var in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")):
        return
    kept, left_out = [], []
    for item in items:
        same_anywhere = item.get_closest_marker("any_profile") is not None or bool(
            _OWN_SERVERS & set(getattr(item, "fixturenames", ())))
        (left_out if same_anywhere else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


#: A parametrized test whose id starts with an exercise or build step ("05.2", "02.b1-…").
_LESSON_PARAM = re.compile(r"\[(\d{2})\.")


def xdist_scope(nodeid: str) -> str:
    """The unit pytest-xdist runs whole, in order, on one worker: the file.

    A notebook's cells depend on each other, and a module's tests share module-scoped fixtures
    (a Celery worker, an SMTP sink, a server). Tests parametrized by exercise or build step
    (``test_checks.py::test_wrong_answer_fails_with_its_hint[05.2-…]``) are split by lesson, so
    the two largest modules spread over the workers.
    """
    path = nodeid.split("::", 1)[0]
    lesson = _LESSON_PARAM.search(nodeid)
    return f"{path}#{lesson[1]}" if lesson else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``-n N --dist loadscope`` schedules by :func:`xdist_scope` (units with most tests first)."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return ByFile(config, log)
