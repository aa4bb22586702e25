"""Run a command that dies with the process that started it: ``python -m nexus.tether PID -- CMD``.

A notebook's gunicorn server or Celery worker belongs to its kernel: ``atexit`` stops it when
the kernel shuts down, but a kernel that is killed (a crash, the OOM killer, a test runner's
hard shutdown) runs no ``atexit``. On Linux this launcher asks the kernel (the OS one) to send
the command SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``, kept across ``exec``),
then becomes the command. Elsewhere it just becomes the command.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    """``PID -- command…``: tie the command to process PID, then exec it."""
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: python -m nexus.tether PARENT_PID -- COMMAND [ARGS...]")
    parent, command = int(argv[0]), argv[2:]
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request was in place
            sys.exit(0)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
