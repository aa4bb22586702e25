"""DRF's throttle check for views that are not DRF views (the GraphQL view, the admin login)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from rest_framework.throttling import BaseThrottle


def throttle_wait(throttles: Iterable[BaseThrottle], request: Any, view: Any = None) -> int | None:
    """Seconds before ``request`` may be answered; None when every throttle lets it through.

    Like DRF's ``APIView.check_throttles``, every throttle is asked (each counts the request),
    and the longest wait wins.
    """
    waits = [throttle.wait() for throttle in throttles
             if not throttle.allow_request(request, view)]
    if not waits:
        return None
    return math.ceil(max((wait for wait in waits if wait is not None), default=0))
