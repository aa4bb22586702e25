"""Jupyter kernels the toolkit starts (``nexus golden``, ``nexus check``, ``nexus run``, and the
test suite's nbval kernels through ``nexus.pytest_plugin``).

They talk to their client over Unix sockets (ZeroMQ's IPC transport) instead of loopback TCP.
A TCP kernel needs five free ports, chosen by binding and releasing them before the kernel binds
them again: on a machine busy starting servers, workers and other kernels, another process can
take one in between and the kernel dies before it answers ("Kernel died before replying to
kernel_info"). A socket file in Jupyter's runtime folder has no such race, no other user can
connect to it, and ipykernel has no plain-text-TCP warning to print.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_core.paths import jupyter_runtime_dir
from traitlets import default


def _on_unix_sockets(base: type[KernelManager]) -> type[KernelManager]:
    """``base`` with the IPC transport and an absolute socket path as defaults."""

    class OnUnixSockets(base):  # type: ignore[valid-type, misc]
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

    OnUnixSockets.__name__ = OnUnixSockets.__qualname__ = f"Local{base.__name__}"
    return OnUnixSockets


#: For nbclient and papermill (asynchronous).
LocalKernelManager = _on_unix_sockets(AsyncKernelManager)
#: For nbval (synchronous).
LocalSyncKernelManager = _on_unix_sockets(KernelManager)
