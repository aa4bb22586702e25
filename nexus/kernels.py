"""Jupyter kernels the toolkit starts (``nexus golden``, ``nexus check``, ``nexus run``, and the
test suite's nbval kernels through ``nexus.pytest_plugin``).

They talk to their client over Unix sockets (ZeroMQ's IPC transport) instead of loopback TCP.
A TCP kernel needs five free ports, chosen by binding and releasing them before the kernel binds
them again: on a machine busy starting servers, workers and other kernels, another process can
take one in between and the kernel dies before it answers ("Kernel died before replying to
kernel_info"). A socket file in Jupyter's runtime folder has no such race, no other user can
connect to it, and ipykernel has no plain-text-TCP warning to print.

The kernels of the commands (``LocalKernelManager``; not nbval's) write their own stdout and
stderr to ``.nexus/kernel/`` instead of the learner's terminal. What a cell prints reaches the
notebook over ZeroMQ either way; the process's own streams carry ipykernel's log, and its
shutdown races its threads against each other: the control thread, still flushing and
publishing "idle" after it handled the shutdown request, can send on a socket that the main
thread's ``atexit`` teardown has just closed ("Socket operation on non-socket"), and tornado
logs "Uncaught exception in ZMQStream callback" with a traceback (seen under load in
``nexus check``). A log still empty when the kernel is shut down is removed.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import IO, Any

from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_core.paths import jupyter_runtime_dir
from traitlets import default

from nexus.paths import state_dir


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


class LocalKernelManager(_on_unix_sockets(AsyncKernelManager)):  # type: ignore[misc]
    """For nbclient and papermill: a kernel on Unix sockets whose own output goes to its log."""

    #: The file the kernel process writes its stdout and stderr to, once started.
    kernel_log: Path | None = None
    _log_file: IO[bytes] | None = None

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        if self._log_file is None and "stderr" not in kw:
            folder = state_dir() / "kernel"
            folder.mkdir(parents=True, exist_ok=True)
            # Named like its sockets (nexus-<id>-ipc-1… in Jupyter's runtime folder).
            self.kernel_log = folder / f"{Path(self.ip).name.removesuffix('-ipc')}.log"
            self._log_file = open(self.kernel_log, "ab")  # noqa: SIM115 (closed on cleanup)
        if self._log_file is not None:
            # Kept in the launch arguments, so a restarted kernel writes to the same log.
            kw.setdefault("stdout", self._log_file)
            kw.setdefault("stderr", self._log_file)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if restart or self._log_file is None:
            return
        self._log_file.close()
        self._log_file = None
        if self.kernel_log is not None and self.kernel_log.exists() \
                and self.kernel_log.stat().st_size == 0:
            self.kernel_log.unlink()

    # nbclient calls this one directly, e.g. after a kernel that died (no shutdown to run).
    cleanup_resources = _async_cleanup_resources


#: For nbval (synchronous), under pytest, which captures a kernel's output with its test's.
LocalSyncKernelManager = _on_unix_sockets(KernelManager)
