"""Requests per client address, counted in Redis so every gunicorn worker and server shares them.

**Why Redis.** gunicorn runs several worker processes, and a deployment several servers: a
counter in a Python dict exists once per process, so with 4 workers a limit of 600/min lets
2,400 through, and a restart forgets it. One counter in Redis is seen by every process.

**A fixed window.** The count lives under a key named after the client and the window's
number (``…:rate:203.0.113.7:29173046`` — the minute since the epoch), so a new window starts
from zero by itself. One request costs one round trip::

    MULTI; INCR key; EXPIRE key <window>; EXEC

``MULTI``/``EXEC`` makes the pair atomic: a counter without its expiry (a connection lost
between the two) would stay in Redis forever. (A two-line Lua script, or ``SET key 0 EX … NX``
then ``INCR``, would do as well.) The price of a fixed window is its edge: a client can spend
a whole budget in the last second of one window and another in the first second of the next,
twice the limit in two seconds. For a coarse flood guard that is acceptable; a sliding window
(a sorted set of timestamps per client: memory per request, several commands) or a sliding
counter (this window's count plus a weighted share of the last one's) smooths it at a cost.
DRF's throttles, which keep the fine-grained per-endpoint and per-user budgets
(``REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']``), keep a list of timestamps: a sliding log.

**Failing open.** While Redis is unreachable nothing is counted and every request passes (see
``config.cache.ResilientRedisCache.run``): a limiter that can't count must not take the site down.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from django.conf import settings

from ip_tracking import store
from ip_tracking.addresses import IPAddress, client_key

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)\s*$")


@dataclass(frozen=True)
class Rate:
    """``count`` requests per ``seconds``, parsed from DRF's notation: "600/min", "10/s"."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        found = _RATE.match(text)
        if found is None or int(found[1]) < 1:
            raise ValueError(f"{text!r} is not a rate like '600/min' (a count of 1 or more, "
                             "then /s, /min, /hour or /day)")
        return cls(int(found[1]), _PERIODS[found[2][0]])


@dataclass(frozen=True)
class Verdict:
    """What one request costs: whether it may pass, the count so far, seconds to wait if not."""

    allowed: bool
    count: int
    retry_after: int


def rate_limit_hit(address: IPAddress, rate: Rate, *, now: float | None = None) -> Verdict:
    """Count one request from ``address``; allowed while the window's count is within ``rate``.

    IPv6 clients are counted per /64 (``addresses.client_key``). While Redis is unreachable
    the request is allowed and nothing is counted (count 0).
    """
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    key = f"{settings.IP_TRACKING_KEY_PREFIX}:ip_tracking:rate:{client_key(address)}:{window}"

    def count(client) -> int:
        pipeline = client.pipeline(transaction=True)  # MULTI … EXEC
        pipeline.incr(key)
        pipeline.expire(key, rate.seconds)
        return pipeline.execute()[0]

    hits = store.run("rate limit", count, fallback=0)
    retry_after = max(1, math.ceil((window + 1) * rate.seconds - now))
    return Verdict(allowed=hits <= rate.count, count=hits, retry_after=retry_after)
