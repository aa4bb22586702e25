"""Run a command that dies with the process that started it: ``python nexus/tether.py PID -- CMD``.

A notebook's gunicorn server or Celery worker belongs to its kernel: ``atexit`` stops it when
the kernel shuts down, but a kernel that is killed (a crash, the OOM killer, a test runner's
hard shutdown) runs no ``atexit``. This launcher ties the command to process PID, then becomes
the command (``exec``: same pid, so the caller stops it as its own child):

- **Linux**: it asks the kernel (the OS one) to send the command SIGTERM when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``, kept across ``exec``): at once, whatever the command does.
- **Elsewhere (macOS)**, where no such request exists, a watchdog does it: before ``exec`` the
  launcher leaves a small process behind (detached from it, in its process group) that checks
  every :data:`POLL_SECONDS` whether PID still exists, and SIGTERMs the command when it does
  not — so the command outlives a killed kernel by at most that long. The watchdog ends when the
  command ends (or with it, when the group is killed). What neither covers: a command that
  ignores SIGTERM, and a machine that goes to sleep (the watchdog checks when it wakes).

``NEXUS_TETHER=poll`` forces the watchdog on Linux too (the tests prove it there).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
#: How often the watchdog looks for the parent (macOS): the longest a command outlives it.
POLL_SECONDS = 0.5


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process now has that pid: it exists
    return True


def _watchdog(parent: int, command: int) -> None:
    """In a detached process: SIGTERM ``command`` once ``parent`` is gone; end when it ends."""
    while _exists(command):
        if not _exists(parent):
            with contextlib.suppress(ProcessLookupError):
                os.kill(command, signal.SIGTERM)
            return
        time.sleep(POLL_SECONDS)


def _leave_watchdog(parent: int) -> None:
    """Fork the watchdog of this process (which is about to become the command).

    A double fork: the watchdog is not the command's child, so the command never sees it exit
    or reaps it, and a server that counts its children (gunicorn) counts only its own.
    """
    command = os.getpid()
    first = os.fork()
    if first:
        os.waitpid(first, 0)  # the middle process exits at once
        return
    try:
        if os.fork() == 0:
            os.closerange(3, 256)  # hold no file of the command's open
            _watchdog(parent, command)
    finally:
        os._exit(0)


def main(argv: list[str]) -> None:
    """``PID -- command…``: tie the command to process PID, then exec it."""
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: python nexus/tether.py PARENT_PID -- COMMAND [ARGS...]")
    parent, command = int(argv[0]), argv[2:]
    if sys.platform.startswith("linux") and os.environ.get("NEXUS_TETHER") != "poll":
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request was in place
            sys.exit(0)
    else:
        if not _exists(parent):
            sys.exit(0)
        _leave_watchdog(parent)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
