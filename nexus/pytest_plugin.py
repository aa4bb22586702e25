"""pytest plugin (``-p nexus.pytest_plugin`` in pyproject): point the run at the course's services.

It works at import time on purpose: pytest-django configures Django while conftest files are
still loading, so the service addresses must be in the environment before that. Embedded profile:
start the services (idempotent) and export their addresses. External profile (``DATABASE_URL``
etc. set by the caller): only check that they answer.
"""

from __future__ import annotations

import sys

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

try:
    services.up()
    services.export_environment()
except NexusError as exc:  # a readable reason instead of an import traceback
    sys.exit(f"nexus: cannot start the test services: {exc.message()}")
