"""Lesson 11 — deployment to production.

11.1 is arithmetic with a production habit attached (read a cap from the environment, refuse
nonsense). 11.2 runs the learner's health check against the real Redis and against two broken
servers made of real sockets: one that refuses connections and one that accepts them and never
answers — the case where a check without a read timeout hangs.
"""

from __future__ import annotations

import socket
import threading
import time

from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("11", "Deployment to production")


# --- 11.1 -----------------------------------------------------------------------------------------
@exercise("11.1", "gunicorn_workers: workers from cores, with a cap", needs_django=False)
def check_gunicorn_workers(gunicorn_workers) -> None:
    look = 'lesson 11, "2. gunicorn and its config file"; sample_project/gunicorn.conf.py'
    cases = [((1, None), 3), ((2, None), 5), ((8, None), 17), ((1, "8"), 3), ((8, "4"), 4),
             ((2, ""), 5), ((16, "32"), 32)]
    for (cores, cap), want in cases:
        try:
            got = gunicorn_workers(cores, cap)
        except NotImplementedError:
            raise
        except ValueError as exc:
            hint = "an empty WEB_CONCURRENCY means it is not set: no cap." if cap == "" else \
                "only nonsense (not a number, or below 1) is an error."
            raise Fail(expected=f"gunicorn_workers({cores}, {cap!r}) == {want}",
                       got=f"ValueError: {exc}", hint=hint, look=look) from None
        if got == want and type(got) is int:
            continue
        if type(got) is not int:
            hint = "return an int: gunicorn's `workers` setting is a number, and an environment " \
                   "variable is always a string — convert it."
        elif cap in (None, "") and got == 2 * cores:
            hint = "the rule of thumb is 2 × cores + 1: one worker can be busy with I/O while " \
                   "the others use the cores."
        elif cap not in (None, "") and got == int(cap) > 2 * cores + 1:
            hint = "WEB_CONCURRENCY is an upper bound, never a floor: take the smaller of the two."
        elif cap not in (None, "") and got == 2 * cores + 1:
            hint = "WEB_CONCURRENCY was set: the cap keeps a small machine's memory safe, " \
                   "so the result may not exceed it."
        else:
            hint = "compute 2 × cores + 1, then apply the cap if WEB_CONCURRENCY is set."
        raise Fail(expected=f"gunicorn_workers({cores}, {cap!r}) == {want}", got=repr(got),
                   hint=hint, look=look)
    for cap in ("0", "-3", "four"):
        try:
            got = gunicorn_workers(4, cap)
        except ValueError as exc:
            if "WEB_CONCURRENCY" not in str(exc):
                raise Fail(expected="a ValueError that names WEB_CONCURRENCY",
                           got=f"ValueError: {exc}", hint="say which variable is wrong: the "
                           "person reading the log has to find it.", look=look) from None
            continue
        raise Fail(expected=f"gunicorn_workers(4, {cap!r}) raises ValueError", got=repr(got),
                   hint="a WEB_CONCURRENCY below 1 or not a number is a mistake in the "
                        "deployment: refuse to start (raise ValueError) instead of guessing.",
                   look=look)


# --- 11.2 -----------------------------------------------------------------------------------------
class _Silent:
    """A TCP port that accepts connections (the kernel's backlog) and never says a word."""

    def __enter__(self) -> int:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        return self.listener.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.listener.close()  # resets the queued connections: a hung client wakes up


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def _call(redis_ok, url: str, timeout: float, deadline: float) -> tuple[str, object, float]:
    """Call redis_ok in a thread; ("returned", value, s), ("raised", exc, s) or ("hung", ...)."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = redis_ok(url, timeout)
        except BaseException as exc:
            box["error"] = exc

    began = time.perf_counter()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(deadline)
    took = time.perf_counter() - began
    if thread.is_alive():
        return "hung", None, took
    if "error" in box:
        return "raised", box["error"], took
    return "returned", box["value"], took


@exercise("11.2", "redis_ok: a health check with a timeout")
def check_redis_ok(redis_ok) -> None:
    from django.conf import settings

    look = 'lesson 11, "4. /healthz"; sample_project/config/health.py'
    real = settings.CACHES["default"]["LOCATION"]
    dead = f"redis://127.0.0.1:{_closed_port()}/1"
    timeout = 0.5
    with _Silent() as port:
        silent = f"redis://127.0.0.1:{port}/1"
        results = {name: _call(redis_ok, url, timeout, deadline=4 * timeout + 1)
                   for name, url in (("up", real), ("refused", dead), ("silent", silent))}
    for how, value, _took in results.values():
        if how == "raised" and isinstance(value, NotImplementedError):
            raise value
    how, value, _ = results["up"]
    if how != "returned" or value is not True:
        raise Fail(expected="True for the course's Redis", got=f"{how} {value!r}",
                   hint="ping the server at `url` (redis.Redis.from_url(url, ...).ping()) and "
                        "return True when it answers.", look=look)
    how, value, _ = results["refused"]
    if how == "raised":
        raise Fail(expected="False for a Redis that refuses connections",
                   got=f"raised {type(value).__name__}", look=look,
                   hint="a health check reports, it doesn't crash: catch redis' ConnectionError "
                        "(and TimeoutError) and return False.")
    if value is not False:
        raise Fail(expected="False for a Redis that refuses connections", got=repr(value),
                   look=look, hint="Redis.from_url() doesn't connect yet — nothing has been "
                   "asked of the server until you send a command: ping() it.")
    how, value, took = results["silent"]
    if how == "hung":
        raise Fail(expected=f"False within about {timeout} s for a server that never answers",
                   got=f"still waiting after {took:.0f} s", look=look,
                   hint="the connection succeeds and then the reply never comes: set a socket "
                        "timeout (socket_timeout) as well as socket_connect_timeout.")
    if how == "raised":
        raise Fail(expected="False for a server that never answers",
                   got=f"raised {type(value).__name__}", look=look,
                   hint="a timeout is a failure to report too: catch redis' TimeoutError as "
                        "well as ConnectionError and return False.")
    if value is not False:
        raise Fail(expected="False for a server that never answers", got=repr(value), look=look,
                   hint="only a real PONG means healthy: return what the ping tells you.")
