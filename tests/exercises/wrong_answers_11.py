"""Plausible wrong answers to the exercises of lesson 11, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

import redis


# --- 11.1 gunicorn_workers ------------------------------------------------------------------------
def workers_without_plus_one(cores, web_concurrency):
    workers = 2 * cores
    return min(workers, int(web_concurrency)) if web_concurrency else workers


def workers_cap_as_floor(cores, web_concurrency):
    workers = 2 * cores + 1
    return max(workers, int(web_concurrency)) if web_concurrency else workers


def workers_ignore_cap(cores, web_concurrency):
    return 2 * cores + 1


def workers_empty_is_an_error(cores, web_concurrency):
    workers = 2 * cores + 1
    return workers if web_concurrency is None else min(workers, int(web_concurrency))


def workers_as_string(cores, web_concurrency):
    return web_concurrency or str(2 * cores + 1)


def workers_accepts_zero(cores, web_concurrency):
    workers = 2 * cores + 1
    if not web_concurrency:
        return workers
    try:
        return min(workers, int(web_concurrency))
    except ValueError:
        raise ValueError("WEB_CONCURRENCY must be a number") from None


def workers_vague_error(cores, web_concurrency):
    workers = 2 * cores + 1
    if not web_concurrency:
        return workers
    cap = int(web_concurrency)  # ValueError: invalid literal for int() ...
    if cap < 1:
        raise ValueError("must be at least 1")
    return min(workers, cap)


# --- 11.2 redis_ok --------------------------------------------------------------------------------
def redis_ok_without_asking(url, timeout):
    redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    return True


def redis_ok_raises(url, timeout):
    return redis.Redis.from_url(url, socket_connect_timeout=timeout,
                                socket_timeout=timeout).ping()


def redis_ok_connect_timeout_only(url, timeout):
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=timeout).ping()
    except redis.ConnectionError:
        return False


def redis_ok_catches_connection_errors_only(url, timeout):
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                  retry_on_timeout=False)
    try:
        return client.ping()
    except redis.exceptions.ConnectionError:
        return False


def workers_float_cap(cores, web_concurrency):
    workers = 2 * cores + 1
    if not web_concurrency:
        return workers
    try:
        cap = int(float(web_concurrency))  # "accepts 4.0 too"
    except ValueError:
        raise ValueError(f"WEB_CONCURRENCY must be a number, not {web_concurrency!r}") from None
    if cap < 1:
        raise ValueError("WEB_CONCURRENCY must be at least 1")
    return min(workers, cap)


def redis_ok_own_timeout(url, timeout):
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)  # "2 s is safe"
    try:
        return client.ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        return False
    finally:
        client.close()


def redis_ok_ignores_url(url, timeout):
    import redis

    client = redis.Redis(socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return client.ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        return False
    finally:
        client.close()


WRONG_ANSWERS = {
    "11.1": [(workers_without_plus_one, "2 × cores + 1"),
             (workers_cap_as_floor, "upper bound, never a floor"),
             (workers_ignore_cap, "the result may not exceed it"),
             (workers_empty_is_an_error, "an empty WEB_CONCURRENCY means it is not set"),
             (workers_as_string, "return an int"),
             (workers_accepts_zero, "raise ValueError"),
             (workers_vague_error, "say which variable is wrong"),
             (workers_float_cap, "not a whole number of workers")],
    "11.2": [(redis_ok_without_asking, "doesn't connect yet"),
             (redis_ok_raises, "a health check reports, it doesn't crash"),
             (redis_ok_connect_timeout_only, "set a socket timeout"),
             (redis_ok_catches_connection_errors_only, "catch redis' TimeoutError"),
             (redis_ok_own_timeout, "use it for both socket timeouts"),
             (redis_ok_ignores_url, "ping the server at `url`")],
}
