"""The request pipeline's guards and its log, as new-style middleware: ``__init__(get_response)``
builds each once per process, ``__call__(request)`` runs per request.

Django calls them in ``MIDDLEWARE`` order on the way in, and the response comes back out
through the same layers in reverse; a layer that answers by itself (a 403, a 429) never calls
the layers below it, so nothing below runs — no session read, no user loaded, no view.
``config/settings/base.py`` explains the order. Each one is thin: the decisions live in
``client_ip``, ``blocklist``, ``ratelimit``, ``maintenance`` and ``request_log``.

A middleware whose feature is switched off raises ``MiddlewareNotUsed`` in ``__init__``:
Django then leaves it out of the chain, and it costs nothing per request.

These run *before* the view, so before DRF has authenticated anyone: a JWT or a DRF token
is read by the view's ``APIView.initial()`` (``perform_authentication`` → ``request.user``).
Until then ``request.user`` is what Django's ``AuthenticationMiddleware`` found — the session's
user, or ``AnonymousUser`` for a token-only client. A role check that must see API clients
belongs in a DRF permission class, not here. After the view, DRF has set the user on Django's
request too (``Request.user``'s setter), which is how the request log learns who it was.

They are synchronous (they talk to Redis and PostgreSQL with blocking clients). Under ASGI,
Django runs a synchronous middleware in a thread; WhiteNoise above them is synchronous too, so
the chain already pays that hop once, and these add none.
"""

from __future__ import annotations

import json
import logging
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.functional import LazyObject, empty

from ip_tracking.addresses import parse_network, truncated
from ip_tracking.blocklist import is_blocked
from ip_tracking.client_ip import client_ip
from ip_tracking.maintenance import MaintenanceWindow
from ip_tracking.ratelimit import Rate, rate_limit_hit
from ip_tracking.request_log import LogRecord, buffer_push

logger = logging.getLogger("ip_tracking.requests")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _probe(request: HttpRequest) -> bool:
    """True for a path in ``IP_TRACKING_EXEMPT_PATHS``: the health check, which answers the load
    balancer and the orchestrator every few seconds. Probes are never blocked (a blocked network
    that holds the load balancer would take the site down), never counted against a rate limit
    and never logged; and the check stays what it is meant to be, a test of the process and its
    services that needs none of this app's tables (a probe during a deploy may come before
    `migrate`).
    """
    return request.path in settings.IP_TRACKING_EXEMPT_PATHS


class RequestLogMiddleware:
    """Log every request Django answers: a line on stdout now, a ``RequestLog`` row later.

    Outermost of the project's own middleware, so it times everything below it and sees the
    final status — a 403 from the blocklist, a 429, a 500 from a view (Django turns an
    exception into a response inside each layer, so none reaches this one as an exception).
    The row is not written here: the record goes to a Redis list (``request_log.py``) and a
    Celery task inserts rows in bulk.
    """

    def __init__(self, get_response) -> None:
        if not settings.REQUEST_LOG_ENABLED:
            raise MiddlewareNotUsed("REQUEST_LOG_ENABLED is off")
        self.get_response = get_response
        self.truncate = settings.REQUEST_LOG_TRUNCATE_IPS

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _probe(request):
            return self.get_response(request)
        arrived, started = time.time(), time.perf_counter()  # wall clock; a monotonic timer
        response = self.get_response(request)
        # Until the view returned: a streaming response's body is still to come.
        duration_ms = round((time.perf_counter() - started) * 1000)
        address = client_ip(request)
        if address is not None and self.truncate:
            address = truncated(address)
        record = LogRecord(
            timestamp=arrived, ip=None if address is None else str(address),
            method=request.method[:16],
            # PostgreSQL text can't hold NUL; a path is for reading, 512 characters are plenty.
            path=request.path.replace("\x00", "\N{REPLACEMENT CHARACTER}")[:512],
            status=response.status_code, duration_ms=duration_ms, user_id=_user_id(request))
        if logger.isEnabledFor(logging.INFO):
            # key=value pairs (logfmt), the path JSON-quoted: a path with a newline or a quote
            # in it can't forge a second log line.
            logger.info(
                "client=%s method=%s path=%s status=%d duration_ms=%d user=%s",
                record.ip or "-", json.dumps(record.method), json.dumps(record.path),
                record.status, record.duration_ms,
                "-" if record.user_id is None else record.user_id,
                extra={"client_ip": record.ip, "method": record.method, "path": record.path,
                       "status": record.status, "duration_ms": record.duration_ms,
                       "user_id": record.user_id})
        buffer_push(record)
        return response


def _user_id(request: HttpRequest) -> int | None:
    """The id of the user the request was answered for, if anything already knew it.

    ``AuthenticationMiddleware`` sets ``request.user`` to a lazy object that loads the session
    and the user on first use. If nothing used it, the log doesn't either: logging must not
    add queries to a request. DRF's views replace it with the user they authenticated (JWT,
    token or session).
    """
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, LazyObject) and user._wrapped is empty):
        return None
    return user.pk if user.is_authenticated else None


class BlocklistMiddleware:
    """403 for a client inside a blocked network (``BlockedIP``), before any other work."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = None if _probe(request) else client_ip(request)
        if address is not None and is_blocked(address):
            # No reason given: it is for the operators, and would teach an attacker what to avoid.
            return JsonResponse({"detail": "Requests from your network are blocked.",
                                 "code": "ip_blocked"}, status=403)
        return self.get_response(request)


class RateLimitMiddleware:
    """429 with ``Retry-After`` for a client over ``IP_RATE_LIMIT`` (counted in Redis).

    A coarse flood guard for every URL (the API, the admin, GraphQL, pages): DRF's throttles
    keep the finer budgets per endpoint and per user. Addresses in ``IP_RATE_LIMIT_EXEMPT``
    are not counted.
    """

    def __init__(self, get_response) -> None:
        if not settings.IP_RATE_LIMIT:
            raise MiddlewareNotUsed("IP_RATE_LIMIT is empty")
        try:
            self.rate = Rate.parse(settings.IP_RATE_LIMIT)
            self.exempt = tuple(parse_network(network)
                                for network in settings.IP_RATE_LIMIT_EXEMPT if network.strip())
        except ValueError as exc:
            raise ImproperlyConfigured(f"ip_tracking's rate limit: {exc}") from exc
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = None if _probe(request) else client_ip(request)
        if address is not None and not self._exempt(address):
            verdict = rate_limit_hit(address, self.rate)
            if not verdict.allowed:
                response = JsonResponse(
                    {"detail": f"Too many requests from your address. "
                               f"Try again in {verdict.retry_after} seconds.",
                     "code": "rate_limited"}, status=429)
                response["Retry-After"] = str(verdict.retry_after)
                return response
        return self.get_response(request)

    def _exempt(self, address) -> bool:
        return any(address in network for network in self.exempt
                   if network.version == address.version)


class MaintenanceWindowMiddleware:
    """503 with ``Retry-After`` for writes to the API during ``MAINTENANCE_WINDOW``.

    See ``maintenance.py`` for what is covered. Off (removed from the chain) unless the
    window is set.
    """

    #: Where "now" comes from; a test replaces it with a fixed clock.
    clock = staticmethod(timezone.now)

    def __init__(self, get_response) -> None:
        if not settings.MAINTENANCE_WINDOW:
            raise MiddlewareNotUsed("MAINTENANCE_WINDOW is not set")
        try:
            self.window = MaintenanceWindow.parse(settings.MAINTENANCE_WINDOW)
        except ValueError as exc:
            raise ImproperlyConfigured(f"MAINTENANCE_WINDOW: {exc}") from exc
        self.zone = timezone.get_default_timezone()  # TIME_ZONE
        self.paths = tuple(settings.MAINTENANCE_WINDOW_PATHS)
        self.exempt = tuple(settings.MAINTENANCE_WINDOW_EXEMPT_PATHS)
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (request.method not in SAFE_METHODS and request.path.startswith(self.paths)
                and not request.path.startswith(self.exempt)):
            now = self.clock()
            if self.window.contains(now.astimezone(self.zone).time()):
                wait = self.window.seconds_left(now, self.zone)
                response = JsonResponse(
                    {"detail": "The API is in its maintenance window and takes no changes "
                               f"now; reading works. Try again in {wait} seconds.",
                     "code": "maintenance"}, status=503)
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)
