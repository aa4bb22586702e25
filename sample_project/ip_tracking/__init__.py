"""ip_tracking: who sends the requests, and what the site does about it.

The request pipeline's own app (the course's lesson on middleware): four middlewares in
``middleware.py`` and what they need.

- **Client address** (``client_ip.py``): ``REMOTE_ADDR``, or the entry of ``X-Forwarded-For``
  written by the proxies we run (``DJANGO_NUM_PROXIES``), never the one a client wrote.
- **Blocklist** (``BlockedIP``, ``blocklist.py``): 403 for addresses and networks an operator
  blocked (``manage.py block_ip``/``unblock_ip``/``blocked_ips``, or the admin); cached per
  process, invalidated everywhere by a generation counter in Redis.
- **Rate limit** (``ratelimit.py``): ``IP_RATE_LIMIT`` requests per address, counted in Redis so
  every worker shares the count; 429 with ``Retry-After``; fails open while Redis is down.
- **Maintenance window** (``maintenance.py``): writes to the API refused daily for a while
  (``MAINTENANCE_WINDOW``), reads still served; off by default.
- **Request log** (``RequestLog``, ``request_log.py``): a log line per request, and a row in
  PostgreSQL written in bulk by a Celery task from a Redis buffer — never inside the request.
- **Geolocation** (``geolocation.py``): a country per address, cached for a day; demo data for
  the documentation ranges only (RFC 5737, RFC 3849), a real database in production.
- **Anomalies** (``SuspiciousIP``, ``tasks.detect_suspicious_ips``): hourly, addresses with too
  many requests, or repeated anonymous requests to the admin and the logins, flagged for review.

**Privacy.** An IP address is personal data. The app keeps what its jobs need for a bounded
time: request logs for ``REQUEST_LOG_RETENTION_DAYS`` (30 by default) and flags for
``SUSPICIOUS_IP_RETENTION_DAYS`` (90), deleted daily by ``tasks.purge_ip_data``; no query
strings, no user agents, no bodies; the user as a number. ``REQUEST_LOG_TRUNCATE_IPS=true``
stores only the /24 (IPv4) or /48 (IPv6) of each address: enough for countries and for
spotting a noisy network, not enough to single out one subscriber — and then the anomaly
check flags networks, not addresses. The stdout log lines carry the same fields: the log
pipeline that keeps them needs the same retention. ``sample_project/docs/ip-tracking.md``
has the whole story.

It imports no other app of the project (tests/architecture): only ``config``'s shared policy.
"""
