"""Lesson 01 — project anatomy, settings and environment variables.

Settings are checked the way they are used: with a real ``os.environ`` (restored afterwards) and by
importing a learner's settings module in a fresh Python process, as ``manage.py`` would.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_01.py):

01.1 env_int — the str returned as is; KeyError when unset; a bare ValueError; garbage silently
     turned into the default; 0 treated as unset (truthiness); a message that doesn't name the
     variable; negative numbers refused (str.isdigit); '4.5' accepted through float(). Every
     integer (hypothesis) must come back as itself.
01.2 remove_leaked_secret — one quoting style only; the key kept as a default=; an empty default;
     every line that mentions SECRET_KEY rewritten; os.environ instead of the module's env.
01.3 production_settings — a default secret; DEBUG on; not built on base; ALLOWED_HOSTS = ['*'];
     a module that fails for another reason than the missing secret.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nexus.build import zygote
from nexus.build.run import build_step
from nexus.exercises.checks.support import for_all
from nexus.exercises.registry import Fail, exercise, lesson
from nexus.paths import SAMPLE_PROJECT

LESSON = lesson("01", "Project anatomy, settings and environment variables")

#: Variables a settings check sets itself; the learner's shell must not decide the outcome.
_SETTINGS_VARS = ("DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS",
                  "DJANGO_SETTINGS_MODULE", "DJANGO_READ_DOT_ENV_FILE")


@contextmanager
def _variable(name: str, value: str | None) -> Iterator[None]:
    """Set (or remove, for ``None``) one environment variable, restoring it afterwards."""
    saved = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


def _clean_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS_VARS}
    env.update(extra)
    return env


#: The hint when a fresh Python importing the learner's settings never finished.
_HANGS = ("a settings module runs when it is imported: something in it waits (input(), a network "
          "call); settings should only read values.")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no output)"


# --- 01.1 -----------------------------------------------------------------------------------------
@exercise("01.1", "env_int: an integer setting with a safe default", needs_django=False)
def check_env_int(env_int) -> None:
    from django.core.exceptions import ImproperlyConfigured

    name = "NEXUS_WEB_CONCURRENCY"
    look = 'lesson 01, "Environment variables are strings: type them"'
    with _variable(name, "42"):
        got = env_int(name, 5)
    if got == "42":
        raise Fail(expected=f"env_int({name!r}, 5) with {name}=42 → the int 42",
                   got="the str '42'",
                   hint="every environment variable is a string: convert it to the type the "
                        "setting needs.", look=look)
    if got != 42 or not isinstance(got, int):
        raise Fail(expected=f"env_int({name!r}, 5) with {name}=42 → 42",
                   got=repr(got), hint="read the variable from os.environ when it is set.",
                   look=look)
    with _variable(name, None):
        try:
            got = env_int(name, 5)
        except (KeyError, ImproperlyConfigured) as exc:
            raise Fail(expected=f"env_int({name!r}, 5) with {name} unset → 5",
                       got=f"{type(exc).__name__}: {exc}",
                       hint="a missing variable is normal (a laptop sets few): fall back to the "
                            "default instead of failing.", look=look) from None
    if got != 5:
        raise Fail(expected=f"env_int({name!r}, 5) with {name} unset → 5", got=repr(got),
                   hint="return the default when the variable is not set.", look=look)
    with _variable(name, "0"):
        got = env_int(name, 5)
    if got != 0:
        raise Fail(expected=f"env_int({name!r}, 5) with {name}=0 → 0", got=repr(got),
                   hint="0 is a real value: decide on 'is the variable set?', not on "
                        "'is the value truthy?'.", look=look)
    with _variable(name, "-3"):
        try:
            got = env_int(name, 5)
        except (ImproperlyConfigured, ValueError) as exc:
            raise Fail(expected=f"env_int({name!r}, 5) with {name}=-3 → -3",
                       got=f"{type(exc).__name__}: {exc}",
                       hint="negative numbers are integers too, and '-3'.isdigit() is False: "
                            "let int() decide what an integer is.", look=look) from None

    def every_integer(number: int) -> None:
        with _variable(name, str(number)):
            got = env_int(name, 5)
        if got != number or not isinstance(got, int):
            raise Fail(expected=f"env_int({name!r}, 5) with {name}={number} → {number}",
                       got=repr(got), hint="every integer must come back as itself.", look=look)

    from hypothesis import strategies

    for_all(strategies.integers(-10**18, 10**18), every_integer)
    for raw in ("many", "4.5"):
        with _variable(name, raw):
            try:
                got = env_int(name, 5)
            except ImproperlyConfigured as exc:
                if name not in str(exc):
                    raise Fail(expected=f"ImproperlyConfigured whose message names {name}",
                               got=f"ImproperlyConfigured: {exc}",
                               hint="the message is all an operator sees at 3 a.m.: say which "
                                    "variable is wrong and what it should be.",
                               look=look) from None
                continue
            except ValueError as exc:
                raise Fail(expected=f"ImproperlyConfigured naming {name} for {name}={raw}",
                           got=f"ValueError: {exc}",
                           hint="a bare ValueError from int() does not say which variable is "
                                "wrong: catch it and raise django.core.exceptions."
                                "ImproperlyConfigured with the variable's name.",
                           look=look) from None
        hint = "garbage must not quietly become a number: a typo in production would go " \
               "unnoticed. Refuse to start instead."
        if raw == "4.5":
            hint = "'4.5' is not an integer: converting through float() quietly drops the " \
                   "fraction (and loses digits of big numbers). Refuse it."
        raise Fail(expected=f"ImproperlyConfigured naming {name} for {name}={raw}",
                   got=f"it returned {got!r}", hint=hint, look=look)


# --- 01.2 -----------------------------------------------------------------------------------------
_LEAKED = ("django-insecure-7#kq2!vz@x9m$w1p^e4r&t6y*u8i0o3a", "b5f!c2e8a1d9-x7w3q0z6v4m2n8k5")
DRAFTS: dict[str, str] = {
    "the first draft": f'''"""Settings for the staging server (a first draft, with a leak)."""

import environ

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = "{_LEAKED[0]}"  # TODO: move to the environment
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["staging.nexus.example"])
CHAPA_SECRET_KEY = env("CHAPA_SECRET_KEY", default="")
''',
    "the second draft (single quotes)": f'''import environ

env = environ.Env()

# SECRET_KEY signs sessions and password-reset links.
SECRET_KEY='{_LEAKED[1]}'
DEBUG = False
CHAPA_SECRET_KEY = env("CHAPA_SECRET_KEY", default="")
ALLOWED_HOSTS = ["api.nexus.example"]
''',
}

_IMPORT_DRIVER = r'''
import importlib, json, os, sys, traceback
results = {}
for name in sys.argv[2:]:
    for mode in ("with", "without"):
        if mode == "with":
            os.environ["DJANGO_SECRET_KEY"] = sys.argv[1]
        else:
            os.environ.pop("DJANGO_SECRET_KEY", None)
        sys.modules.pop(name, None)
        try:
            module = importlib.import_module(name)
        except BaseException as exc:
            line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
            for frame in traceback.extract_tb(exc.__traceback__):
                if frame.filename.endswith(name + ".py"):
                    line = frame.lineno
            results[name + ":" + mode] = {"error": type(exc).__name__, "message": str(exc),
                                          "line": line}
        else:
            results[name + ":" + mode] = {"settings": {
                k: repr(getattr(module, k)) for k in dir(module) if k.isupper()}}
print(json.dumps(results))
'''


def _import_settings(sources: dict[str, str], secret: str) -> dict:
    """Import each source as a module in a fresh process, with and without DJANGO_SECRET_KEY."""
    with tempfile.TemporaryDirectory(prefix="nexus-check-") as folder:
        for name, text in sources.items():
            Path(folder, f"{name}.py").write_text(text, encoding="utf-8")
        # A fresh Python, forked from one that has imported Django already (nexus.build.zygote).
        done = zygote.run(["-c", _IMPORT_DRIVER, secret, *sources],
                          env=_clean_environment(PYTHONPATH=folder), cwd=Path(folder), timeout=60)
    if done.timed_out:
        raise Fail(expected="settings modules that import in a moment", got="no answer in 60 s",
                   hint=_HANGS, look='lesson 01, "4. How secrets really leak"')
    if done.returncode != 0:
        raise RuntimeError(f"settings import driver failed: {_last_line(done.stderr)}")
    return json.loads(done.stdout)


@exercise("01.2", "Find and fix a leaked secret in a settings module", needs_django=False)
def check_remove_leaked_secret(remove_leaked_secret) -> None:
    look = 'lesson 01, "4. How secrets really leak"'
    fixed: dict[str, str] = {}
    for number, (label, draft) in enumerate(DRAFTS.items()):
        text = remove_leaked_secret(draft)
        if not isinstance(text, str):
            raise Fail(expected="the settings source as a str", got=f"a {type(text).__name__}",
                       hint="return the whole module text, with the one line changed.", look=look)
        if _LEAKED[number] in text:
            hint = "a default= is still a leak: it ships with the code and is used whenever " \
                   "the variable is missing." if "default" in text.split(_LEAKED[number])[0] \
                .splitlines()[-1] else \
                "the hard-coded key is still in the text: look at how the key is quoted in " \
                "this draft."
            raise Fail(expected=f"no trace of the hard-coded key in {label}",
                       got="the key is still there", hint=hint, look=look)
        fixed[f"fixed_{number}"] = text
    originals = {f"original_{number}": draft for number, draft in enumerate(DRAFTS.values())}
    secret = secrets.token_urlsafe(40)
    imported = _import_settings(originals | fixed, secret)
    for number, label in enumerate(DRAFTS):
        with_secret = imported[f"fixed_{number}:with"]
        if "error" in with_secret:
            where = f" (line {with_secret['line']} of the text you returned)" \
                if with_secret["line"] else ""
            raise Fail(expected=f"{label}, fixed, imports when DJANGO_SECRET_KEY is set",
                       got=f"{with_secret['error']}: {with_secret['message'][:160]}{where}",
                       hint="the module must still be valid Python that uses the draft's own "
                            "env object.", look=look)
        settings = with_secret["settings"]
        if settings.get("SECRET_KEY") != repr(secret):
            raise Fail(expected="SECRET_KEY equal to the DJANGO_SECRET_KEY variable",
                       got=f"SECRET_KEY = {settings.get('SECRET_KEY', '(not defined)')}"[:120],
                       hint="read the secret from the environment with the env object the "
                            "module already has.", look=look)
        original = imported[f"original_{number}:with"]["settings"]
        changed = sorted(k for k in original if k != "SECRET_KEY"
                         and settings.get(k) != original[k])
        if changed:
            raise Fail(expected=f"only SECRET_KEY changed in {label}",
                       got=f"{', '.join(changed)} changed too",
                       hint="match the SECRET_KEY assignment itself, not every line that "
                            "mentions it.", look=look)
        without = imported[f"fixed_{number}:without"]
        if "error" not in without:
            raise Fail(
                expected=f"{label}, fixed, refuses to load without DJANGO_SECRET_KEY",
                got=f"it loaded with SECRET_KEY = {without['settings'].get('SECRET_KEY')}"[:120],
                hint="a secret needs no default: without one, env() stops the process with a "
                     "message naming the variable.", look=look)
        if without["error"] != "ImproperlyConfigured" or "DJANGO_SECRET_KEY" not in \
                without["message"]:
            raise Fail(expected="ImproperlyConfigured naming DJANGO_SECRET_KEY",
                       got=f"{without['error']}: {without['message'][:160]}",
                       hint="let the env object read the variable: it raises the error that "
                            "names it.", look=look)


# --- 01.3 -----------------------------------------------------------------------------------------
_SETTINGS_PROBE = r'''
import json, os, django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("check")
print(json.dumps({
    "secret_ok": settings.SECRET_KEY == os.environ["DJANGO_SECRET_KEY"],
    "debug": settings.DEBUG,
    "allowed_hosts": list(settings.ALLOWED_HOSTS),
    "apps": list(settings.INSTALLED_APPS),
    "database": settings.DATABASES.get("default", {}).get("ENGINE", ""),
}))
'''


@exercise("01.3", "Production settings that refuse to start without a secret",
          needs_django=False)
def check_production_settings(production_settings) -> None:
    look = 'lesson 01, "5. Production refuses to start without a secret"'
    text = production_settings()
    if not isinstance(text, str):
        raise Fail(expected="the settings module's source as a str", got=f"a {type(text).__name__}",
                   hint="return the text of the module.", look=look)
    host = "stays.nexus.example"
    with tempfile.TemporaryDirectory(prefix="nexus-check-") as folder:
        Path(folder, "learner_production.py").write_text(text, encoding="utf-8")
        path = os.pathsep.join([folder, str(SAMPLE_PROJECT)])
        # Fresh Pythons, forked from one that has imported Django already (nexus.build.zygote).
        refused = zygote.run(
            ["manage.py", "check", "--settings=learner_production"], cwd=SAMPLE_PROJECT,
            timeout=120, env=_clean_environment(PYTHONPATH=path, DJANGO_ALLOWED_HOSTS=host),
        )
        secret = secrets.token_urlsafe(40)
        started = zygote.run(
            ["-c", _SETTINGS_PROBE], cwd=SAMPLE_PROJECT, timeout=120,
            env=_clean_environment(PYTHONPATH=path, DJANGO_ALLOWED_HOSTS=host,
                                   DJANGO_SECRET_KEY=secret,
                                   DJANGO_SETTINGS_MODULE="learner_production"),
        )
    if refused.timed_out or started.timed_out:
        raise Fail(expected="`manage.py check` to finish", got="no answer in 120 s",
                   hint=_HANGS, look=look)
    if refused.returncode == 0:
        raise Fail(expected="`manage.py check` fails when DJANGO_SECRET_KEY is not set",
                   got="it started without a secret",
                   hint="a default secret is what ships when someone forgets the variable: read "
                        "it with env() and no default.", look=look)
    if "DJANGO_SECRET_KEY" not in _last_line(refused.stderr):  # the error, not the traceback
        raise Fail(expected="a refusal that names DJANGO_SECRET_KEY",
                   got=_last_line(refused.stderr),
                   hint="it stopped, but for another reason: fix that first (build on "
                        "config.settings.base, which defines env).", look=look)
    if started.returncode != 0:
        raise Fail(expected="`manage.py check` passes when DJANGO_SECRET_KEY and "
                            "DJANGO_ALLOWED_HOSTS are set",
                   got=_last_line(started.stderr),
                   hint="with the variables set, production must start: read the error above.",
                   look=look)
    settings = json.loads(started.stdout.strip().splitlines()[-1])
    if "listings" not in settings["apps"] or "postgresql" not in settings["database"]:
        raise Fail(expected="the project's apps and database (INSTALLED_APPS, DATABASES)",
                   got=f"{len(settings['apps'])} apps, database engine "
                       f"{settings['database'] or '(none)'!r}",
                   hint="a profile builds on the shared settings: start from "
                        "config.settings.base and change only what production needs.", look=look)
    if not settings["secret_ok"]:
        raise Fail(expected="SECRET_KEY read from DJANGO_SECRET_KEY", got="a different value",
                   hint="take the secret from the environment variable.", look=look)
    if settings["debug"]:
        raise Fail(expected="DEBUG = False", got="DEBUG = True",
                   hint="debug pages show settings and source code to anyone: production runs "
                        "with debug off.", look=look)
    if settings["allowed_hosts"] != [host]:
        raise Fail(expected=f"ALLOWED_HOSTS = [{host!r}] from DJANGO_ALLOWED_HOSTS",
                   got=f"ALLOWED_HOSTS = {settings['allowed_hosts']!r}",
                   hint="the hosts the site answers to differ per deployment: read them from "
                        "DJANGO_ALLOWED_HOSTS as a list.", look=look)


# --- build steps: the learner's own project (contracts in nexus/build/contracts/lesson01.py) -----
build_step("01.b1", "Build: settings split per environment, read from the environment",
           phases=("check",))
build_step("01.b2", "Build: production refuses to start without its secret key",
           requires=("01.b1",), phases=("check",))
build_step("01.b3", "Build: PostgreSQL from DATABASE_URL, migrated on a fresh database",
           requires=("01.b1",))
