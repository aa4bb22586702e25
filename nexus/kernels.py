"""Jupyter kernels the toolkit starts (``nexus golden``, ``nexus check``, ``nexus run``).

They talk to their client over Unix sockets (ZeroMQ's IPC transport) instead of loopback TCP:
no other user on the machine can connect to them, and ipykernel has no plain-text-TCP warning
to print on every start.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from traitlets import default


class LocalKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernels listen on Unix sockets in Jupyter's runtime dir."""

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        # An absolute path: the kernel runs in the notebook's folder, its client elsewhere;
        # jupyter_client's default ("kernel-ipc") is relative, so they would not meet.
        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True)
        return str(runtime / f"nexus-{uuid.uuid4().hex[:12]}-ipc")
