"""Lesson 11 — deployment to production.

11.1 is arithmetic with a production habit attached (read a cap from the environment, refuse
nonsense). 11.2 runs the learner's health check against the real Redis and against two broken
servers made of real sockets: one that refuses connections and one that accepts them and never
answers — the case where a check without a read timeout hangs.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_11.py):

11.1 gunicorn_workers — 2 × cores without the + 1; the cap used as a floor; the cap ignored; an
     empty value refused; a str returned; 0 accepted; a message that doesn't name the variable;
     '4.5' accepted through float(). Cores and caps are drawn by hypothesis too.
11.2 redis_ok — no command sent (from_url doesn't connect); errors let out; a connect timeout
     only (a silent server hangs it); TimeoutError not caught; a timeout of its own instead of
     the one given (too slow for the caller); the url ignored (localhost's default port).
"""

from __future__ import annotations

import threading
import time

from nexus.exercises.checks.support import closed_port, for_all, silent_port, spy
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
    def any_machine(case: tuple[int, int | None]) -> None:
        cores, cap = case
        want = 2 * cores + 1 if cap is None else min(2 * cores + 1, cap)
        got = gunicorn_workers(cores, None if cap is None else str(cap))
        if got != want or type(got) is not int:
            raise Fail(expected=f"gunicorn_workers({cores}, {cap!r}) == {want}", got=repr(got),
                       hint="compute 2 × cores + 1, then apply the cap if WEB_CONCURRENCY is set.",
                       look=look)

    from hypothesis import strategies

    for_all(strategies.tuples(strategies.integers(1, 256),
                              strategies.none() | strategies.integers(1, 600)), any_machine)
    for cap in ("0", "-3", "four", "4.5"):
        try:
            got = gunicorn_workers(4, cap)
        except ValueError as exc:
            if "WEB_CONCURRENCY" not in str(exc):
                raise Fail(expected="a ValueError that names WEB_CONCURRENCY",
                           got=f"ValueError: {exc}", hint="say which variable is wrong: the "
                           "person reading the log has to find it.", look=look) from None
            continue
        hint = "a WEB_CONCURRENCY below 1 or not a number is a mistake in the deployment: " \
               "refuse to start (raise ValueError) instead of guessing."
        if cap == "4.5":
            hint = "'4.5' is not a whole number of workers: going through float() quietly " \
                   "drops the fraction. Refuse it."
        raise Fail(expected=f"gunicorn_workers(4, {cap!r}) raises ValueError", got=repr(got),
                   hint=hint, look=look)


# --- 11.2 -----------------------------------------------------------------------------------------
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
    dead = f"redis://127.0.0.1:{closed_port()}/1"
    timeout = 0.5
    import redis

    with silent_port() as port, spy(redis.connection.Connection, "connect") as connects:
        silent = f"redis://127.0.0.1:{port}/1"
        results = {}
        for name, url in (("up", real), ("refused", dead), ("silent", silent)):
            before = len(connects)
            results[name] = _call(redis_ok, url, timeout, deadline=4 * timeout + 1)
            # Where the answer connected to, for this call: (host, port) of each connection.
            results[name] += ([(getattr(args[0], "host", None), getattr(args[0], "port", None))
                               for args, _ in connects[before:]],)
    for how, value, _took, _where in results.values():
        if how == "raised" and isinstance(value, NotImplementedError):
            raise value
    how, value, _, _ = results["up"]
    if how != "returned" or value is not True:
        raise Fail(expected="True for the course's Redis", got=f"{how} {value!r}",
                   hint="ping the server at `url` (redis.Redis.from_url(url, ...).ping()) and "
                        "return True when it answers.", look=look)
    how, value, _, where = results["refused"]
    if how == "raised":
        raise Fail(expected="False for a Redis that refuses connections",
                   got=f"raised {type(value).__name__}", look=look,
                   hint="a health check reports, it doesn't crash: catch redis' ConnectionError "
                        "(and TimeoutError) and return False.")
    if value is not False and where and all(port != int(dead.rsplit(":", 1)[1].split("/")[0])
                                            for _, port in where):
        raise Fail(expected="False for a Redis that refuses connections", got=repr(value),
                   look=look, hint=f"your answer connected to {where[0][0]}:{where[0][1]}, not "
                   "to the server it was asked about: ping the server at `url` "
                   "(Redis.from_url), not a default one.")
    if value is not False:
        raise Fail(expected="False for a Redis that refuses connections", got=repr(value),
                   look=look, hint="Redis.from_url() doesn't connect yet — nothing has been "
                   "asked of the server until you send a command: ping() it.")
    how, value, took, _ = results["silent"]
    if how == "returned" and value is False and took > 2 * timeout + 0.5:
        raise Fail(expected=f"False within about {timeout} s for a server that never answers",
                   got=f"False after {took:.1f} s", look=look,
                   hint="the caller gives you its own deadline in `timeout`: use it for both "
                        "socket timeouts, not a number of your own.")
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
