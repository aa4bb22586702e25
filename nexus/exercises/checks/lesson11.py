"""Lesson 11 — deployment to production.

11.1 is arithmetic with a production habit attached (read a cap from the environment, refuse
nonsense). 11.2 runs the learner's health check against the real Redis and against two broken
servers made of real sockets: one that refuses connections and one that accepts them and never
answers — the case where a check without a read timeout hangs. 11.3 runs Django on the learner's
production settings in a fresh process.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_11.py):

11.1 gunicorn_workers — 2 × cores without the + 1; the cap used as a floor; the cap ignored; an
     empty value refused; a str returned; 0 accepted; a message that doesn't name the variable;
     '4.5' accepted through float(). Cores and caps are drawn by hypothesis too.
11.2 redis_ok — no command sent (from_url doesn't connect); errors let out; a connect timeout
     only (a silent server hangs it); TimeoutError not caught; a timeout of its own instead of
     the one given (too slow for the caller); the url ignored (localhost's default port).
11.3 production_settings — a default for DJANGO_SECRET_KEY; an error that doesn't name the
     missing variable; DJANGO_ALLOWED_HOSTS not split (Django 5.2 refuses a str at startup);
     DEBUG from DJANGO_DEBUG as a string ('true' is truthy) or left to base.py (which reads
     DJANGO_DEBUG); no SECURE_PROXY_SSL_HEADER, or the header as sent instead of its META name
     (an https request through the proxy is redirected for ever); cookies not secure; no HSTS;
     ALLOWED_HOSTS = ['*']. The dict is pickled into a settings module over base.py and run in a
     fresh process: Django's deployment checks (what `manage.py check --deploy` runs, W021
     silenced as production.py does) and three requests through the middleware with Django's
     test Client (no server needed: the middleware is the point).
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


# --- 11.3 -----------------------------------------------------------------------------------------
LOOK_DEPLOY = ('lesson 11, "1. The deployment checklist" and "3. Production settings under '
               'gunicorn"; sample_project/config/settings/production.py')
HOSTS = "stays.example,api.stays.example"

#: Run in a fresh process on the settings module the check writes: what `manage.py check
#: --deploy` reports (``run_checks`` with the deployment checks, the function that command calls,
#: keeping what it would print: warnings and worse, not silenced), then three requests through
#: Django's whole middleware stack.
_PROBE = """
import json

import django

django.setup()
from django.core import checks
from django.test import Client

issues = [[m.id, m.msg] for m in checks.run_checks(include_deployment_checks=True)
          if m.level >= checks.WARNING and not m.is_silenced()]
client = Client()
answers = {}
for name, host, headers in [("ours, over http", "api.stays.example", {}),
                            ("ours, over https via the proxy", "stays.example",
                             {"HTTP_X_FORWARDED_PROTO": "https"}),
                            ("another host", "evil.example", {"HTTP_X_FORWARDED_PROTO": "https"})]:
    response = client.get("/no-such-page/", HTTP_HOST=host, **headers)
    answers[name] = [response.status_code, response.get("Location")]
print("NEXUS-PROBE " + json.dumps({"issues": issues, "answers": answers}))
"""

_WARNING_HINTS = {
    "security.W004": "HSTS: set SECURE_HSTS_SECONDS (start at 60, from "
                     "DJANGO_SECURE_HSTS_SECONDS), so browsers stop trying plain HTTP.",
    "security.W005": "HSTS: SECURE_HSTS_INCLUDE_SUBDOMAINS=True, so no subdomain can be "
                     "reached over plain HTTP either.",
    "security.W008": "SECURE_SSL_REDIRECT=True: a request over plain HTTP is redirected to "
                     "HTTPS.",
    "security.W012": "cookies: SESSION_COOKIE_SECURE=True, or the session cookie travels over "
                     "plain HTTP where anyone on the network can read it.",
    "security.W016": "cookies: CSRF_COOKIE_SECURE=True, so the CSRF cookie is only sent over "
                     "HTTPS.",
    "security.W009": "SECRET_KEY must be the long random value of DJANGO_SECRET_KEY.",
}


def _settings_dict(production_settings, env: dict[str, str]) -> dict:
    """The learner's settings for ``env``; each required variable, taken away, must stop it."""
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"):
        try:
            production_settings({k: v for k, v in env.items() if k != name})
        except NotImplementedError:
            raise
        except Exception as exc:
            if name in str(exc):
                continue
            raise Fail(expected=f"an error that names {name} when it is not set",
                       got=f"{type(exc).__name__}: {exc}"[:200],
                       hint="say which variable is missing: the person reading the failed "
                            "deploy's log has to find it.", look=LOOK_DEPLOY) from None
        raise Fail(expected=f"no settings at all without {name}", got="settings (a default)",
                   hint=f"no default for {name}: without it the process must refuse to start "
                        "(raise, naming the variable) — a default secret is one everybody who "
                        "reads the code knows, and a default host list of '*' answers any Host "
                        "header.", look=LOOK_DEPLOY)
    try:
        values = production_settings(dict(env))
    except NotImplementedError:
        raise
    except Exception as exc:
        raise Fail(expected="settings, for an environment that has every variable",
                   got=f"{type(exc).__name__}: {exc}"[:200],
                   hint="read the variables from `env` (a mapping of names to strings), not "
                        "from os.environ.", look=LOOK_DEPLOY) from None
    if not isinstance(values, dict) or not all(isinstance(k, str) and k.isupper()
                                               for k in values):
        raise Fail(expected="a dict of settings, {'DEBUG': False, ...}", got=repr(values)[:200],
                   hint="return a dict whose keys are the settings' names.", look=LOOK_DEPLOY)
    return values


def _run_on_django(values: dict, env: dict[str, str]) -> dict:
    """Write ``values`` over base.py as a settings module; probe it in a fresh Python process."""
    import base64
    import json
    import os
    import pickle
    import tempfile
    from pathlib import Path

    from nexus.build import zygote
    from nexus.paths import SAMPLE_PROJECT

    try:
        frozen = base64.b64encode(pickle.dumps(values)).decode()
    except Exception as exc:
        raise Fail(expected="settings that are plain values", got=f"{type(exc).__name__}: {exc}",
                   hint="settings are data: strings, numbers, booleans, lists and tuples.",
                   look=LOOK_DEPLOY) from None
    with tempfile.TemporaryDirectory(prefix="nexus-11-3-") as folder:
        Path(folder, "check_production.py").write_text(
            "import base64\nimport pickle\n\nfrom config.settings.base import *  # noqa\n\n"
            f"globals().update(pickle.loads(base64.b64decode({frozen!r})))\n"
            "# Preload stays off on purpose (lesson 11), as production.py decides too.\n"
            'SILENCED_SYSTEM_CHECKS = ["security.W021"]\n')
        clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        # A fresh Python, forked from one that has imported Django already (nexus.build.zygote).
        done = zygote.run(
            ["-c", _PROBE], cwd=SAMPLE_PROJECT, timeout=120,
            env=clean | env | {"DJANGO_SETTINGS_MODULE": "check_production",
                               "PYTHONPATH": os.pathsep.join([folder, str(SAMPLE_PROJECT)])})
    line = next((x for x in done.stdout.splitlines() if x.startswith("NEXUS-PROBE ")), None)
    if done.returncode != 0 or line is None:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        hint = "read the error: your settings stopped Django from starting."
        if "ALLOWED_HOSTS" in last:  # Django 5.2 refuses a str at startup
            hint = ("DJANGO_ALLOWED_HOSTS is comma-separated text: split it into a list of host "
                    "names.")
        raise Fail(expected="Django starts with your settings (in a fresh process)",
                   got=last[:200], hint=hint, look=LOOK_DEPLOY)
    return json.loads(line.removeprefix("NEXUS-PROBE "))


@exercise("11.3", "production_settings: settings that pass check --deploy")
def check_production_settings(production_settings) -> None:
    import os
    import secrets

    from nexus.paths import SAMPLE_PROJECT

    env = {}  # .env.example's NAME=value lines, as a deploy that copied it would have them
    for line in (SAMPLE_PROJECT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            env[name] = value
    env |= {name: os.environ[name] for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
            if name in os.environ}
    env |= {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": HOSTS}
    values = _settings_dict(production_settings, env)
    report = _run_on_django(values, env)
    issues = dict(report["issues"])
    answers = report["answers"]
    if "security.W018" in issues:
        debug = values.get("DEBUG")
        raise Fail(expected="DEBUG off in production",
                   got=(f"DEBUG = {debug!r}" if "DEBUG" in values else "DEBUG left to base.py")
                   + f" (DJANGO_DEBUG={env['DJANGO_DEBUG']!r} in the environment)",
                   hint="a non-empty string is true in Python, 'false' too: DEBUG must be the "
                        "boolean False." if isinstance(debug, str) else
                        "production runs with DEBUG = False whatever DJANGO_DEBUG says (an env "
                        "file copied from .env.example says true): a debug page shows settings "
                        "and code to anyone who triggers an error.", look=LOOK_DEPLOY)
    status, _ = answers["another host"]
    if status != 400:
        raise Fail(expected="a request for another Host (evil.example) is refused: 400",
                   got=f"HTTP {status}",
                   hint="'*' answers to any Host header, so links Django builds (password "
                        "resets) can point at the attacker's host: list only yours, from "
                        "DJANGO_ALLOWED_HOSTS.", look=LOOK_DEPLOY)
    status, location = answers["ours, over http"]
    if status == 400:
        raise Fail(expected="a request for api.stays.example (listed) is served",
                   got=f"HTTP 400 (ALLOWED_HOSTS = {values.get('ALLOWED_HOSTS')!r})"[:200],
                   hint="DJANGO_ALLOWED_HOSTS is comma-separated text: split it into a list of "
                        "host names, each without spaces.",
                   look=LOOK_DEPLOY)
    status, location = answers["ours, over https via the proxy"]
    if status in (301, 302):
        header = values.get("SECURE_PROXY_SSL_HEADER")
        raise Fail(expected="a request that reached the proxy over HTTPS is served, not "
                            "redirected", got=f"HTTP {status} to {location}",
                   hint="request.META spells headers HTTP_ + upper case with underscores: "
                        "the proxy's header is HTTP_X_FORWARDED_PROTO." if header else
                        "behind a proxy that ends TLS, every request reaches Django over plain "
                        "HTTP: without SECURE_PROXY_SSL_HEADER (the proxy's X-Forwarded-Proto) "
                        "Django redirects even https requests, for ever.", look=LOOK_DEPLOY)
    for warning, hint in _WARNING_HINTS.items():
        if warning in issues:
            raise Fail(expected="manage.py check --deploy: no issues",
                       got=f"{warning}: {issues[warning]}"[:200], hint=hint, look=LOOK_DEPLOY)
    if issues:
        warning, message = next(iter(issues.items()))
        raise Fail(expected="manage.py check --deploy: no issues",
                   got=f"{warning}: {message}"[:200],
                   hint="read Django's message: it says which setting and why.",
                   look=LOOK_DEPLOY)
    status, location = answers["ours, over http"]
    if status not in (301, 302) or not str(location).startswith("https://"):
        raise Fail(expected="a plain-HTTP request is redirected to https://",
                   got=f"HTTP {status}", hint="SECURE_SSL_REDIRECT=True.", look=LOOK_DEPLOY)
