"""The process that checks a learner's project from the inside (``python -m nexus.build.probe``).

Started by :mod:`nexus.build.run` with the project folder as its working directory (so the
project's packages are importable, exactly as under ``manage.py``) and a fresh database in
``DATABASE_URL``. It does what a careful reviewer would type, in one process:

1. ``django.setup()`` with the project's settings (``config.settings.local`` unless
   ``DJANGO_SETTINGS_MODULE`` says otherwise);
2. ``manage.py check``, ``manage.py makemigrations --check --dry-run``, ``manage.py migrate``
   (as ``call_command``, the code those commands run);
3. the contract tests of each step asked for, in order, stopping at the first step that fails.

It writes one JSON object to the ``--out`` file: the phases passed, and per step ``passed`` or
the failure (expected / got / hint / look). An exception raised by the learner's code becomes a
failure naming the file and line of the project where it happened.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from nexus.build import zygote
from nexus.build.contract import (
    Context,
    contracts_of,
    describe_exception,
    exception_frames,
    learner_location,
    phase_hint_for,
)
from nexus.build.serve import ForkedServer
from nexus.exercises.registry import Fail

SETTINGS = "config.settings.local"
PHASES = ("check", "migrations", "migrate")


def _failure(**fields: str) -> dict[str, Any]:
    return {"passed": False, **{k: fields.get(k, "") for k in ("expected", "got", "hint", "look")}}


def _setup(project: Path) -> dict[str, Any] | None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    module = os.environ["DJANGO_SETTINGS_MODULE"]
    try:
        import django

        django.setup()
    except Exception as exc:
        got = describe_exception(exc, project)
        if isinstance(exc, ModuleNotFoundError) and module.startswith(str(exc.name or "-")):
            return _failure(
                expected=f"a settings module {module} (config/settings/local.py)",
                got=got,
                hint="settings are a package: config/settings/__init__.py, base.py, local.py and "
                     "production.py (step 01.b1); manage.py defaults to config.settings.local.",
                look="lesson 01, §2 'Settings: one package, four environments'")
        return _failure(
            expected=f"Django starts with {module}", got=got,
            hint="`python manage.py check` in your project shows the same error; fix the file "
                 "and line it names.")
    return None


def _database_guard() -> dict[str, Any] | None:
    """The project's default database must be the fresh one the check made, before anything
    writes to it: a hard-coded URL could otherwise point the migrations at someone's data."""
    from urllib.parse import urlsplit

    from django.db import connection

    wanted = urlsplit(os.environ["DATABASE_URL"])
    given = connection.settings_dict
    same = (connection.vendor == "postgresql" and given.get("NAME") == wanted.path.lstrip("/")
            and str(given.get("PORT") or 5432) == str(wanted.port or 5432))
    if same:
        return None
    return _failure(
        expected=f"the default database is the PostgreSQL database DATABASE_URL names "
                 f"({wanted.path.lstrip('/')!r}, port {wanted.port})",
        got=f"{connection.vendor} database {given.get('NAME')!r}"
            + (f", port {given.get('PORT')}" if given.get("PORT") else "")
            + " (nothing was migrated)",
        hint="DATABASES = {'default': env.db('DATABASE_URL')} in base.py: the course sets "
             "DATABASE_URL to a fresh PostgreSQL database for each check (step 01.b3).",
        look="lesson 01, §3 'Configuration lives in the environment'")


def _phase(name: str, project: Path) -> dict[str, Any] | None:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    out = io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(out):
            if name == "check":
                call_command("check")
            elif name == "migrations":
                call_command("makemigrations", check=True, dry_run=True, interactive=False,
                             verbosity=1)
            else:
                call_command("migrate", interactive=False, verbosity=0)
    except SystemCheckError as exc:
        issues = [line.strip() for line in str(exc).splitlines()
                  if line.strip().startswith(("?", "ERROR", "CRITICAL")) or ": (" in line]
        return _failure(expected="`python manage.py check` finds no errors",
                        got="; ".join(issues[:4]) or str(exc).strip()[:300],
                        hint="each line names the object and Django's check id (e.g. "
                             "fields.E304); run `python manage.py check` and fix them.")
    except SystemExit as exc:  # makemigrations --check exits 1 when models changed
        if name == "migrations" and exc.code:
            changes = [line.strip() for line in out.getvalue().splitlines()
                       if line.strip().startswith(("Migrations for", "-", "+", "~"))]
            return _failure(
                expected="a migration for every model change (`makemigrations --check` clean)",
                got="models changed without a migration: " + "; ".join(changes[:6]),
                hint="run `python manage.py makemigrations`, read the migration it writes, "
                     "then `python manage.py migrate`.")
        raise
    except Exception as exc:
        command = {"check": "check", "migrations": "makemigrations --check",
                   "migrate": "migrate"}[name]
        return _failure(
            expected=f"`python manage.py {command}` succeeds on a fresh database",
            got=describe_exception(exc, project),
            hint=f"run `python manage.py {command}` in your project to see the whole error; "
                 "fix the file and line it names (a migration that crashes: fix it, or delete "
                 "and regenerate it while it has never been applied anywhere else).")
    return None


def _save_template(name: str) -> None:
    """Copy the freshly migrated database to ``name``, for the next check of these migrations.

    Nothing else is connected to it yet (gunicorn's workers connect on their first request), so
    ``CREATE DATABASE … TEMPLATE`` can copy it. A check that saved the same template first wins.
    """
    import time
    from urllib.parse import urlsplit

    import psycopg
    from django.db import connection

    connection.close()
    url = urlsplit(os.environ["DATABASE_URL"])
    source = url.path.lstrip("/")
    building = f"{name}_new_{os.getpid()}"
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{building}" TEMPLATE "{source}"')
        try:
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        except psycopg.errors.DuplicateDatabase:
            conn.execute(f'DROP DATABASE "{building}"')
            return
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{time.time():.0f}'")


def _run_step(step_id: str, ctx: Context) -> dict[str, Any]:
    contracts = contracts_of(step_id)
    for run in contracts:
        try:
            run(ctx)
        except Fail as failure:
            return _failure(expected=failure.expected, got=failure.got, hint=failure.hint,
                            look=failure.look)
        except Exception as exc:
            where = learner_location(exception_frames(exc), ctx.project)
            if not where:  # not the learner's code: a bug in the contract itself
                raise
            return _failure(
                expected=f"{run.__doc__ or run.__name__}".strip().splitlines()[0],
                got=f"your project raised {describe_exception(exc, ctx.project)}",
                hint="read the error and the line it names; fix it and check again.")
    return {"passed": True, "contracts": len(contracts)}


def probe(project: Path, steps: list[str], phases: list[str], base_url: str | None,
          server_log: Path | None, save_template: str | None = None) -> dict[str, Any]:
    """Set up, run ``phases``, then each step's contracts; the result as a JSON-able dict."""
    result: dict[str, Any] = {"phases": [], "steps": {}}
    failed = _setup(project)
    if failed:
        result["failed_phase"] = {"phase": "setup", **failed}
        return result
    for name in phases:
        failed = _database_guard() if name == "migrate" else None
        if not failed:
            failed = _phase(name, project)
            known = failed and phase_hint_for(name, failed["got"])
            if known:
                failed.update(hint=known.hint, look=known.look or failed["look"])
        if failed:
            result["failed_phase"] = {"phase": name, **failed}
            return result
        result["phases"].append(name)
        if name == "migrate" and save_template:
            _save_template(save_template)
    server = ForkedServer(base_url, server_log) if base_url and server_log else None
    ctx = Context(project=project, base_url=base_url, server_log=server_log,
                  start_server=server.start if server else None)
    try:
        for step_id in steps:
            outcome = _run_step(step_id, ctx)
            result["steps"][step_id] = outcome
            if not outcome["passed"]:
                break
    finally:
        if server is not None:
            server.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nexus.build.probe")
    parser.add_argument("--steps", required=True, help="comma-separated step ids, in order")
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--base-url")
    parser.add_argument("--server-log", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--save-template", help="copy the migrated database to this name")
    parser.add_argument(zygote.SOCKET_ARG, help="the zygote that forked this probe")
    args = parser.parse_args(argv)
    if args.zygote:
        zygote.use(args.zygote)
    project = Path.cwd()
    sys.path.insert(0, str(project))
    try:
        result = probe(project, [s for s in args.steps.split(",") if s],
                       [p for p in args.phases.split(",") if p], args.base_url, args.server_log,
                       args.save_template)
    except BaseException:
        result = {"crashed": traceback.format_exc()}
    args.out.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
