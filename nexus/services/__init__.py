"""The course's services and the one registry that knows them.

Adding a service (the Chapa sandbox, a Celery worker…) is one new module in this package that
defines ``SERVICE`` (a :class:`~nexus.services.base.Service`) plus its name in ``MODULES``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable

from nexus.errors import UsageError
from nexus.services.base import MANAGED_VARS, Service, ServiceStatus, external_value

#: Service modules in start order (a service's dependencies come before it).
MODULES: tuple[str, ...] = ("postgres", "redis", "broker", "smtp", "chapa")

__all__ = ["MODULES", "Service", "ServiceStatus", "down", "environment", "export_environment",
           "get", "registry", "status", "up"]


def registry() -> dict[str, Service]:
    """All services by name, in start order."""
    services = {}
    for module in MODULES:
        service = importlib.import_module(f"nexus.services.{module}").SERVICE
        services[service.name] = service
    return services


def get(name: str) -> Service:
    """The service called ``name``; a :class:`UsageError` naming the known ones otherwise."""
    services = registry()
    if name not in services:
        raise UsageError(f"unknown service '{name}' (known: {', '.join(services)})")
    return services[name]


def _select(names: Iterable[str] | None) -> list[Service]:
    services = registry()
    if not names:
        return list(services.values())
    wanted = {get(name).name for name in names}
    for name in list(wanted):  # pull in dependencies
        wanted.update(services[name].depends_on)
    return [service for service in services.values() if service.name in wanted]


def up(names: Iterable[str] | None = None) -> list[ServiceStatus]:
    """Start (embedded) or check (external) the named services, all by default; idempotent."""
    selected = _select(names)
    for service in selected:
        service.ensure()
    return [service.status() for service in selected]


def down(names: Iterable[str] | None = None) -> None:
    """Stop the named embedded services (all by default), in reverse start order; data stays."""
    for service in reversed(_select(names)):
        if service.profile == "embedded":
            service.stop()


def status(names: Iterable[str] | None = None) -> list[ServiceStatus]:
    """Probe the named services without starting anything."""
    return [service.status() for service in _select(names)]


def environment() -> dict[str, str]:
    """The variables that point the sample project at the services in use.

    A variable the learner set (the external profile) is never overridden.
    """
    env: dict[str, str] = {}
    for service in registry().values():
        for var, value in service.environment().items():
            if external_value(var) is None:
                env.setdefault(var, value)
    return env


def export_environment() -> dict[str, str]:
    """Put :func:`environment` into ``os.environ`` (for this process and its children)."""
    env = environment()
    managed = set(os.environ.get(MANAGED_VARS, "").split()) | set(env)
    os.environ.update(env)
    os.environ[MANAGED_VARS] = " ".join(sorted(managed))
    return env
