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


# --- 11.3 production_settings ---------------------------------------------------------------------
def _production(env, **changes):
    """The model answer's settings, with ``changes`` (None: the setting left out)."""
    from django.core.exceptions import ImproperlyConfigured

    def required(name):
        if not env.get(name):
            raise ImproperlyConfigured(f"Set the {name} environment variable.")
        return env[name]

    values = {
        "DEBUG": False,
        "SECRET_KEY": required("DJANGO_SECRET_KEY"),
        "ALLOWED_HOSTS": required("DJANGO_ALLOWED_HOSTS").split(","),
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": int(env.get("DJANGO_SECURE_HSTS_SECONDS") or 60),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def production_secret_with_default(env):
    # "So it also starts on a laptop."
    return _production(env | {"DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY", "dev-key")})


def production_vague_error(env):
    if not env.get("DJANGO_SECRET_KEY"):
        raise ValueError("a required setting is missing")
    return _production(env)


def production_hosts_not_split(env):
    return _production(env, ALLOWED_HOSTS=env["DJANGO_ALLOWED_HOSTS"])


def production_debug_string(env):
    return _production(env, DEBUG=env.get("DJANGO_DEBUG", "false"))


def production_debug_left_to_base(env):
    return _production(env, DEBUG=None)  # base.py reads DJANGO_DEBUG


def production_no_proxy_header(env):
    return _production(env, SECURE_PROXY_SSL_HEADER=None)


def production_proxy_header_as_sent(env):
    return _production(env, SECURE_PROXY_SSL_HEADER=("X-Forwarded-Proto", "https"))


def production_cookies_not_secure(env):
    return _production(env, SESSION_COOKIE_SECURE=None, CSRF_COOKIE_SECURE=None)


def production_without_hsts(env):
    return _production(env, SECURE_HSTS_SECONDS=None, SECURE_HSTS_INCLUDE_SUBDOMAINS=None)


def production_hosts_star(env):
    values = _production(env)
    values["ALLOWED_HOSTS"] = ["*"]  # "the load balancer checks the host anyway"
    return values


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
    "11.3": [(production_secret_with_default, "no default for DJANGO_SECRET_KEY"),
             (production_vague_error, "say which variable is missing"),
             (production_hosts_not_split, "comma-separated text"),
             (production_debug_string, "a non-empty string is true"),
             (production_debug_left_to_base, "whatever DJANGO_DEBUG says"),
             (production_no_proxy_header, "without SECURE_PROXY_SSL_HEADER"),
             (production_proxy_header_as_sent, "request.META spells headers"),
             (production_cookies_not_secure, "SESSION_COOKIE_SECURE=True"),
             (production_without_hsts, "SECURE_HSTS_SECONDS"),
             (production_hosts_star, "answers to any Host header")],
}
