"""Servers a test needs for itself alone, which only the runner can start: asked for by hook.

A few tests kill or reconfigure a server: a Chapa sandbox they SIGKILL mid-payment and whose
webhook URL (one per merchant, as on Chapa's dashboard) they point at their own gunicorn, a
Redis they stop under a serving API. Doing that to the shared ones would break everyone else
using them, so these tests ask the runner for a private one through the hooks below. The
course's test suite implements them (tests/conftest.py); run alone (``cd sample_project &&
pytest``), nothing does and those tests skip, saying why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import pytest


class PrivateServer(Protocol):
    """A server of one test module's own, that keeps its port across ``stop()``/``start()``."""

    def start(self) -> None: ...  # (again) on the same port, with the same state

    def stop(self) -> None: ...  # SIGTERM, as an orchestrator does

    def kill(self) -> None: ...  # SIGKILL, as a crash does

    def close(self) -> None: ...  # stopped for good, its files removed


class Hooks:
    """The hook specifications (declared by :func:`add_hookspecs`).

    Named ``pytest_…``: pytest takes only functions with that prefix for hooks.
    """

    @pytest.hookspec(firstresult=True)
    def pytest_sample_project_private_chapa(self, home: Path) -> PrivateServer | None:
        """A started Chapa sandbox of the caller's own, keeping its state in ``home``.

        Besides ``PrivateServer``: ``url`` (its base URL, Chapa's ``/v1/`` API and the
        sandbox's own ``/_sandbox/`` endpoints under it), ``running`` and ``webhook_attempts``
        (how many times it tries a webhook before it gives up).
        """

    @pytest.hookspec(firstresult=True)
    def pytest_sample_project_private_redis(self, home: Path,
                                            persistent: bool) -> PrivateServer | None:
        """A started redis-server of the caller's own; ``persistent``: append-only file on.

        Besides ``PrivateServer``: ``url(db)``, ``client(db)`` (redis-py, strings decoded).
        """


def add_hookspecs(pluginmanager: pytest.PytestPluginManager) -> None:
    """Declare :class:`Hooks` once, whichever conftest is loaded first: the sample project's
    (its own ``pytest``) or the course's (a run of ``tests/`` alone, whose browser tests start
    the payment stack)."""
    hook = getattr(pluginmanager.hook, "pytest_sample_project_private_chapa", None)
    if hook is None or hook.spec is None:
        pluginmanager.add_hookspecs(Hooks)


def private_server(config: pytest.Config, kind: str, **arguments: Any) -> Any:
    """The runner's private ``kind`` ("chapa" or "redis") server, or skip the test saying why."""
    server = getattr(config.hook, f"pytest_sample_project_private_{kind}")(**arguments)
    if server is None:
        pytest.skip(f"needs a private {kind} server that it may kill or reconfigure; the "
                    "course's test suite provides one (`make test`), a plain `pytest` does not")
    return server


def private_redis(config: pytest.Config, home: Path, *, persistent: bool = False) -> Any:
    """A started redis-server of the caller's own (see ``Hooks``), or skip the test."""
    return private_server(config, "redis", home=home, persistent=persistent)


def private_chapa(config: pytest.Config, home: Path) -> Any:
    """A started Chapa sandbox of the caller's own (see ``Hooks``), or skip the test."""
    return private_server(config, "chapa", home=home)
