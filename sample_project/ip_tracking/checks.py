"""``manage.py check`` for ip_tracking's settings: a typo is reported by name before a deploy,
not by the first request (the middleware would refuse to start with the same message)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register

from ip_tracking import store
from ip_tracking.addresses import parse_network
from ip_tracking.maintenance import MaintenanceWindow
from ip_tracking.ratelimit import Rate


@register()
def ip_tracking_settings(app_configs, **kwargs) -> list[Error | Warning]:
    errors: list[Error | Warning] = []
    if not store.shared():
        errors.append(Warning(
            "the default cache is not the project's Redis cache (config.cache."
            "ResilientRedisCache): ip_tracking's rate limit counts nothing and its request log "
            "keeps nothing", id="ip_tracking.W001"))
    if settings.IP_RATE_LIMIT:
        try:
            Rate.parse(settings.IP_RATE_LIMIT)
        except ValueError as exc:
            errors.append(Error(f"IP_RATE_LIMIT: {exc}", id="ip_tracking.E001"))
    for network in settings.IP_RATE_LIMIT_EXEMPT:
        if not network.strip():
            continue
        try:
            parse_network(network)
        except ValueError as exc:
            errors.append(Error(f"IP_RATE_LIMIT_EXEMPT: {exc}", id="ip_tracking.E002"))
    if settings.MAINTENANCE_WINDOW:
        try:
            MaintenanceWindow.parse(settings.MAINTENANCE_WINDOW)
        except ValueError as exc:
            errors.append(Error(f"MAINTENANCE_WINDOW: {exc}", id="ip_tracking.E003"))
    if settings.TRUSTED_PROXY_COUNT < 0:
        errors.append(Error("DJANGO_NUM_PROXIES (TRUSTED_PROXY_COUNT) can't be negative",
                            id="ip_tracking.E004"))
    return errors
