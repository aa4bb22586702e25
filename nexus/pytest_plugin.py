"""pytest plugin (``-p nexus.pytest_plugin`` in pyproject): point the run at the course's services.

It works at import time on purpose: pytest-django configures Django while conftest files are
still loading, so the service addresses must be in the environment before that. Embedded profile:
start the services (idempotent) and export their addresses. External profile (``DATABASE_URL``
etc. set by the caller): only check that they answer.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from typing import Any

import pytest

from nexus import services
from nexus.errors import NexusError


def _nbval_kernels_on_unix_sockets() -> None:
    """nbval's kernels on Unix sockets, like the toolkit's (see :mod:`nexus.kernels`)."""
    try:
        import nbval.kernel
    except ImportError:
        return
    from nexus.kernels import LocalSyncKernelManager

    nbval.kernel.KernelManager = LocalSyncKernelManager


_nbval_kernels_on_unix_sockets()


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

try:
    services.up()
    services.export_environment()
except NexusError as exc:  # a readable reason instead of an import traceback
    sys.exit(f"nexus: cannot start the test services: {exc.message()}")
