"""The maintenance window: a daily stretch of time in which the API takes no writes.

A travel site has a quiet hour (bookings in Ethiopia come in by day), and some work wants no
writes while it runs: a migration that rewrites a table, a bulk re-pricing, a database
upgrade. During the window, unsafe requests (POST, PUT, PATCH, DELETE) under ``/api/`` get
``503 Service Unavailable`` with ``Retry-After`` (the seconds until the window ends); reads
still work, and so do the payment webhook and callback (money already moving must never be
refused). GraphQL is not covered: its queries are POSTs too, so a path rule can't tell its
reads from its writes.

``MAINTENANCE_WINDOW="02:00-02:30"`` in the project's time zone (``TIME_ZONE``,
Africa/Addis_Ababa: the operators' clock, and without daylight saving). A window may cross
midnight (``"23:30-00:15"``). Unset, the middleware removes itself at startup.
(In a zone with daylight saving, a window in the hour the clocks skip or repeat is shorter or
longer on those two days: the window is wall-clock time.)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class MaintenanceWindow:
    """From ``start`` to ``end`` (wall-clock times), every day; ``end`` before ``start``
    means the window crosses midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> MaintenanceWindow:
        """``"HH:MM-HH:MM"``; ``ValueError`` naming ``text`` otherwise."""
        found = _WINDOW.match(text)
        try:
            if found is None:
                raise ValueError
            start = time(int(found[1]), int(found[2]))
            end = time(int(found[3]), int(found[4]))
        except ValueError:
            raise ValueError(f"{text!r} is not a window like '02:00-02:30' "
                             "(24-hour HH:MM-HH:MM)") from None
        if start == end:
            raise ValueError(f"{text!r} starts and ends at the same minute: an empty window")
        return cls(start, end)

    def contains(self, moment: time) -> bool:
        """True if the wall-clock time ``moment`` is inside the window (start in, end out)."""
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # across midnight

    def seconds_left(self, now: datetime, zone: tzinfo) -> int:
        """Whole seconds (rounded up, at least 1) from ``now`` to the end of the window it is in."""
        local = now.astimezone(zone)
        end = datetime.combine(local.date(), self.end, tzinfo=zone)
        if end <= local:
            end += timedelta(days=1)  # across midnight, before it: the window ends tomorrow
        # In UTC: subtracting two datetimes that share a tzinfo ignores their offsets, which
        # would be wrong across a daylight-saving change.
        remaining = end.astimezone(UTC) - now.astimezone(UTC)
        return max(1, math.ceil(remaining.total_seconds()))
