"""gunicorn's configuration: ``gunicorn -c gunicorn.conf.py config.wsgi``.

A Python file, read once by the master process at startup; every value can be tuned from the
environment without a new image. Settings reference: https://docs.gunicorn.org/en/stable/settings.html
"""

import os


def _cores() -> int:
    """CPUs this process may run on (a container's CPU set, not the whole host's count)."""
    if hasattr(os, "sched_getaffinity"):  # Linux
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def workers_for(cores: int, web_concurrency: str | None) -> int:
    """gunicorn's rule of thumb, 2 × cores + 1, capped by ``WEB_CONCURRENCY`` when it is set.

    Each worker is a whole copy of Django (tens of MB): the cap keeps a small machine's memory
    safe, and lets the platform (Heroku, Render, a compose file) set the number outright.
    """
    workers = 2 * cores + 1
    if web_concurrency is None or not web_concurrency.strip():
        return workers
    try:
        cap = int(web_concurrency)
    except ValueError:
        message = f"WEB_CONCURRENCY must be a whole number, not {web_concurrency!r}"
        raise ValueError(message) from None
    if cap < 1:
        raise ValueError(f"WEB_CONCURRENCY must be at least 1, not {cap}")
    return min(workers, cap)


# SERVER SOCKET
# ------------------------------------------------------------------------------
# Inside a container, listen on every interface; the port is the platform's choice.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# WORKERS
# ------------------------------------------------------------------------------
# Sync workers: one request at a time each, which is what a Django app doing database work
# wants. More concurrency comes from more workers (or GUNICORN_THREADS for I/O-bound apps).
workers = workers_for(_cores(), os.environ.get("WEB_CONCURRENCY"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Restart each worker after about a thousand requests (spread by the jitter so they don't all
# restart at once): a slow memory leak in any library never grows without bound.
max_requests = 1000
max_requests_jitter = 100
# Workers signal they are alive through a file; on Linux put it in memory (/dev/shm), because
# a container's disk-backed /tmp can stall and make gunicorn kill healthy workers.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# TIMEOUTS
# ------------------------------------------------------------------------------
# A worker silent for this many seconds is killed and replaced: a request stuck on a dead
# dependency costs one worker for 30 s, not forever. Slow work belongs in Celery, not here.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM (a deploy, `docker stop`), workers get this long to finish the requests they
# are serving before they are killed. Keep it below the orchestrator's own stop timeout
# (Docker waits 10 s by default before SIGKILL; compose.yaml raises it).
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# Seconds an idle keep-alive connection from the proxy stays open.
keepalive = 5

# LOGGING
# ------------------------------------------------------------------------------
# Both logs to stdout/stderr, twelve-factor style: the container runtime collects them.
accesslog = "-"
errorlog = "-"
# The client's address (from the proxy's X-Forwarded-For), the request, status, bytes and
# the time taken in seconds.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(B)s %(L)ss'

# PROXIES
# ------------------------------------------------------------------------------
# Addresses whose X-Forwarded-* headers gunicorn believes (the scheme in particular, which
# Django's SECURE_PROXY_SSL_HEADER then reads). Only the proxy in front of us; "*" is safe
# only when nothing but that proxy can reach the port.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
