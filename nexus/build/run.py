"""Build steps and their checks: the learner's project run as its own processes, for real.

A step is registered with :func:`build_step` next to the lesson's function exercises (in
``nexus/exercises/checks/lessonNN.py``) and its contract tests live in
``nexus/build/contracts/lessonNN.py``. Checking a step never imports the learner's project into
the kernel. It:

1. makes a fresh PostgreSQL database of the check's own on the course's server (never one of the
   course's databases; dropped afterwards) and points ``DATABASE_URL`` at it, Redis at database
   numbers no lesson uses, emptied first;
2. starts the project under gunicorn when the step is about HTTP (``config.wsgi``);
3. runs :mod:`nexus.build.probe` in the project folder: ``manage.py check``, ``makemigrations
   --check``, ``migrate``, then the contracts of the step's prerequisites and its own;
4. turns what the probe found into ✓, or ✗ with expected / got / hint — a failing prerequisite
   names the step to finish first.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nexus.build import zygote as build_zygote
from nexus.build.contract import learner_location
from nexus.build.project import PACKAGE, PROJECT_DIRNAME, project_dir
from nexus.exercises import registry
from nexus.exercises.registry import Fail
from nexus.paths import REPO_ROOT
from nexus.proc import HOST, free_port

__all__ = ["Step", "build_step", "check_project", "project_services_environment", "steps"]

#: Redis databases of a project under check (the course uses 1–3): cache, broker, results. A
#: check holds one slot (a lock file under ``.nexus/build/``) while it runs, so checks can run
#: side by side — two kernels, or the course's own tests — without emptying each other's.
BUILD_REDIS_SLOTS = ((4, 5, 6), (10, 11, 12), (13, 14, 15))
#: Redis databases of the learner's own terminal (`nexus project env`): never emptied by a check.
PROJECT_REDIS_DBS = (7, 8, 9)
#: Variables of the course's own processes that must not leak into the learner's.
_COURSE_VARS = re.compile(r"^(DJANGO_|NEXUS_|CELERY_|CHAPA_|EMAIL_|CACHE_|PYTHONPATH$|"
                          r"DATABASE_URL$|REDIS_URL$|JPY_|JUPYTER_)")
_PROBE_TIMEOUT = 180
_counter = itertools.count()


@dataclass(frozen=True)
class Step:
    """A build step: what the learner writes, and what its check needs."""

    id: str
    title: str
    #: Steps whose contracts must pass first (checked in the same run, before this one).
    requires: tuple[str, ...] = ()
    #: Serve the project with gunicorn for the contracts (an HTTP step).
    server: bool = False
    #: The probe's phases before the contracts (``check``, ``migrations``, ``migrate``).
    phases: tuple[str, ...] = ("check", "migrations", "migrate")
    #: Environment variables the check sets for the project's processes (server and probe), as
    #: the step's brief names them: e.g. a low rate a contract can reach in a few requests.
    env: tuple[tuple[str, str], ...] = ()


_STEPS: dict[str, Step] = {}


def build_step(step_id: str, title: str, *, requires: Sequence[str] = (), server: bool = False,
               phases: Sequence[str] = ("check", "migrations", "migrate"),
               env: Mapping[str, str] | None = None) -> Step:
    """Register build step ``step_id`` ("02.b1") as an exercise whose check runs the project."""
    step = Step(step_id, title, tuple(requires), server, tuple(phases),
                tuple(sorted((env or {}).items())))
    _STEPS[step_id] = step
    registry.exercise(step_id, title, needs_django=False)(
        lambda project=None: check_project(step, project))
    return step


def steps() -> list[Step]:
    """Every registered build step, in course order."""
    return [_STEPS[e.id] for e in registry.exercises() if e.id in _STEPS]


def _chain(step: Step) -> list[Step]:
    """The step's prerequisites (recursively, each once, in order), then the step."""
    ordered: list[Step] = []
    for required in step.requires:
        for found in _chain(_STEPS[required]):
            if found not in ordered:
                ordered.append(found)
    return [*ordered, step]


# --- the processes -------------------------------------------------------------------------------
def project_environment(database_url: str,
                        redis_dbs: tuple[int, int, int] = BUILD_REDIS_SLOTS[0]) -> dict[str, str]:
    """The environment of the learner's processes: this one's, minus the course's own
    settings, plus a fresh database and Redis databases of their own."""
    from nexus.services.redis import SERVICE as REDIS

    env = {k: v for k, v in os.environ.items() if not _COURSE_VARS.match(k)}
    cache, broker, results = (REDIS.url(db) for db in redis_dbs)
    env.update(DATABASE_URL=database_url, REDIS_URL=cache, CELERY_BROKER_URL=broker,
               CELERY_RESULT_BACKEND=results, PYTHONDONTWRITEBYTECODE="1")
    return env


#: The database ``nexus project env`` gives the learner's project for their own work.
PROJECT_DATABASE = "my_project"


def project_services_environment(*, reset: bool = False) -> dict[str, str]:
    """``DATABASE_URL`` (database ``my_project``, created if missing; dropped first if
    ``reset``) and the Redis URLs for the learner's own ``manage.py`` in a terminal — never the
    course's databases."""
    from nexus import services
    from nexus.services.postgres import SERVICE as POSTGRES
    from nexus.services.redis import SERVICE as REDIS

    services.up()
    with POSTGRES.connect() as conn:
        if reset:  # e.g. migrated with auth.User before the custom user existed
            conn.execute(f'DROP DATABASE IF EXISTS "{PROJECT_DATABASE}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [PROJECT_DATABASE]).fetchone():
            conn.execute(f'CREATE DATABASE "{PROJECT_DATABASE}"')
    cache, broker, results = (REDIS.url(db) for db in PROJECT_REDIS_DBS)
    return {"DATABASE_URL": POSTGRES.server_url(PROJECT_DATABASE), "REDIS_URL": cache,
            "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": results}


#: Migrated templates kept (one per distinct set of migrations and settings seen).
_TEMPLATES_KEPT = 12
_TEMPLATE_PREFIX = "nexus_build_tpl_"


def migrations_key(project: Path) -> str:
    """A digest of what decides the migrated schema: the project's migrations and settings
    (INSTALLED_APPS brings third-party migrations) and the Django version."""
    import hashlib

    import django

    digest = hashlib.sha256(django.get_version().encode())
    files = sorted(p for pattern in ("**/migrations/*.py", f"{PACKAGE}/settings*/**/*.py",
                                     f"{PACKAGE}/settings*.py")
                   for p in project.glob(pattern) if p.is_file() and ".venv" not in p.parts)
    for path in files:
        digest.update(str(path.relative_to(project)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def _database_names(conn, prefix: str) -> list[str]:
    rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                        [prefix + "%"]).fetchall()
    return [row[0] for row in rows]


@contextmanager
def fresh_database(template: str | None = None) -> Iterator[str]:
    """A new database on the course's PostgreSQL server (empty, or a copy of ``template``);
    dropped afterwards."""
    import psycopg

    from nexus.services.postgres import SERVICE as POSTGRES

    name = f"nexus_build_{os.getpid()}_{next(_counter)}"
    with POSTGRES.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        try:
            conn.execute(f'CREATE DATABASE "{name}"'
                         + (f' TEMPLATE "{template}"' if template else ""))
        except psycopg.errors.InvalidCatalogName:
            # A check beside this one pruned the template meanwhile: start empty, migrate.
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES.server_url(name)
    finally:
        with POSTGRES.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def template_name(project: Path) -> str:
    """The migrated template of ``project``'s current migrations and settings."""
    return _TEMPLATE_PREFIX + migrations_key(project)


def existing_template(name: str) -> str | None:
    """``name`` if that template database exists, else ``None``."""
    from nexus.services.postgres import SERVICE as POSTGRES

    with POSTGRES.connect() as conn:
        return name if name in _database_names(conn, name) else None


def prune_templates(keep: int = _TEMPLATES_KEPT) -> None:
    """Drop all but the ``keep`` newest migrated templates (the probe stamps each with the time)."""
    from nexus.services.postgres import SERVICE as POSTGRES

    with POSTGRES.connect() as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s "
            "ORDER BY shobj_description(oid, 'pg_database') DESC NULLS LAST",
            [_TEMPLATE_PREFIX + "%"]).fetchall()
        for (old,) in rows[keep:]:
            conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')


@contextmanager
def redis_slot() -> Iterator[tuple[int, int, int]]:
    """A slot of :data:`BUILD_REDIS_SLOTS`, held until the block ends, its databases emptied
    first: as its PostgreSQL database is fresh, no cached page, throttle counter or queued
    task of an earlier check (whose rows had the same ids in another database) reaches this one.
    Waits while every slot is held by another check."""
    import fcntl

    folder = _slot_locks()
    while True:
        for index, slot in enumerate(BUILD_REDIS_SLOTS):
            handle = (folder / f"redis-slot-{index}.lock").open("w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                _empty_redis(slot)
                yield slot
            finally:
                handle.close()  # closing the file releases its lock
            return
        time.sleep(0.1)


def _slot_locks() -> Path:
    """The folder of the slots' lock files: one per Redis server, not per ``.nexus``, so that
    checks of two states (test workers, learners) sharing one external Redis share its slots."""
    import hashlib
    from urllib.parse import urlsplit

    from nexus.services.redis import SERVICE as REDIS

    address = urlsplit(REDIS.url(0))
    server = f"{address.hostname}:{address.port}" if address.port else address.path
    folder = Path(tempfile.gettempdir()) / "nexus-redis-slots" / hashlib.sha256(
        server.encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _empty_redis(dbs: tuple[int, ...]) -> None:
    import redis

    from nexus.services.redis import SERVICE as REDIS

    for db in dbs:
        client = redis.Redis.from_url(REDIS.url(db), socket_timeout=5)
        try:
            client.flushdb()
        finally:
            client.close()


# --- one check -----------------------------------------------------------------------------------
def _missing_project(project: Path) -> Fail | None:
    if not project.is_dir():
        where = os.path.relpath(project, REPO_ROOT) if project.is_relative_to(REPO_ROOT) \
            else str(project)
        return Fail(expected=f"your Django project in {where}/",
                    got=f"there is no folder {where}/",
                    hint=f"create it: in a terminal at the repository root run "
                         f"`mkdir {PROJECT_DIRNAME} && django-admin startproject {PACKAGE} "
                         f"{PROJECT_DIRNAME}` "
                         f"(or `nexus project new`).",
                    look="exercises/01, 'Build your own project'")
    if not (project / "manage.py").is_file() or not (project / PACKAGE).is_dir():
        return Fail(expected=f"manage.py next to the {PACKAGE}/ package in {project.name}/",
                    got="found: " + (", ".join(sorted(p.name for p in project.iterdir()))
                                     or "an empty folder"),
                    hint=f"the build steps expect `django-admin startproject {PACKAGE} "
                         f"{project.name}`'s layout (the sample project has it too).",
                    look="exercises/01, 'Build your own project'")
    return None


def _probe(project: Path, chain: list[Step], env: dict[str, str], serve: bool,
           save_template: str | None = None) -> dict:
    phases = list(dict.fromkeys(p for s in chain for p in s.phases))
    with tempfile.TemporaryDirectory(prefix="nexus-build-") as folder:
        out = Path(folder) / "result.json"
        argv = ["-m", "nexus.build.probe", "--out", str(out),
                "--steps", ",".join(s.id for s in chain), "--phases", ",".join(phases)]
        if serve:  # the probe forks gunicorn when a contract first asks (nexus.build.serve)
            argv += ["--base-url", f"http://{HOST}:{free_port()}",
                     "--server-log", str(Path(folder) / "gunicorn.log")]
        if save_template:
            argv += ["--save-template", save_template]
        zygote = build_zygote.shared()
        if zygote is not None:  # its manage.py commands are forked from the same zygote
            argv += [build_zygote.SOCKET_ARG, zygote.path]
        # A session of its own, ended as a whole afterwards: no gunicorn of a probe that
        # crashed or timed out outlives the check.
        done = build_zygote.run(argv, cwd=project, env=env, timeout=_PROBE_TIMEOUT)
        if done.timed_out:
            return {"timeout": True}
        if not out.exists():  # killed, or the project ended the interpreter (os._exit)
            return {"crashed": (done.stderr or done.stdout)[-2000:]}
        return json.loads(out.read_text(encoding="utf-8"))


def _as_fail(found: dict) -> Fail:
    return Fail(expected=found.get("expected", ""), got=found.get("got", ""),
                hint=found.get("hint", ""), look=found.get("look", ""))


_COMMANDS = {"check": "manage.py check", "migrations": "makemigrations --check",
             "migrate": "migrate (fresh database)"}


def check_project(step: Step, project: str | os.PathLike[str] | None = None) -> str:
    """Check build step ``step`` against the project; raises :class:`Fail` if it does not hold.

    Returns what ran, for the ✓ line: the commands, whether gunicorn served, the contracts.
    """
    folder = project_dir(project)
    missing = _missing_project(folder)
    if missing:
        raise missing
    chain = _chain(step)
    # A database that the same migrations produced is copied (well under a second) and the
    # probe's `migrate` finds nothing to do; without one, the probe migrates the empty database
    # and saves a copy for the next check of these migrations.
    wanted = template_name(folder) if any("migrate" in s.phases for s in chain) else None
    template = existing_template(wanted) if wanted else None
    with fresh_database(template) as url, redis_slot() as redis_dbs:
        env = project_environment(url, redis_dbs)
        for earlier in chain:  # the step's own variables, and its prerequisites'
            env.update(earlier.env)
        found = _probe(folder, chain, env, any(s.server for s in chain),
                       save_template=wanted if wanted and not template else None)
    if wanted and not template:
        prune_templates()
    if found.get("timeout"):
        raise Fail(expected=f"the check finishes within {_PROBE_TIMEOUT} s",
                   got="it was still running (something in your project waits forever?)",
                   hint="run `python manage.py check` and `python manage.py migrate` in your "
                        "project and see which one hangs.")
    if "crashed" in found:
        frames = [(f, int(n)) for f, n in
                  re.findall(r'File "([^"]+)", line (\d+)', found["crashed"])]
        where = learner_location(frames, folder)
        last = found["crashed"].strip().splitlines()[-1:] or [""]
        if where:
            raise Fail(expected="your project runs to the end of the check",
                       got=f"it stopped: {last[0]} ({where})",
                       hint="read the error and the line it names (an exit() or a crash "
                            "while Django starts?).")
        raise RuntimeError(f"the build probe failed: {found['crashed'][-1500:]}")
    if "failed_phase" in found:
        raise _as_fail(found["failed_phase"])
    for earlier in chain:
        outcome = found["steps"].get(earlier.id)
        if outcome is None or outcome["passed"]:
            continue
        failure = _as_fail(outcome)
        if earlier is not step:
            failure.got = f"step {earlier.id} ({earlier.title}) does not pass yet: " \
                          f"{failure.got}"
            failure.hint = f"finish step {earlier.id} first — {failure.hint}"
            failure.expected = f"step {earlier.id} passes (this step builds on it)"
        raise failure
    contracts = sum(found["steps"][s.id]["contracts"] for s in chain)
    ran = [_COMMANDS[p] for p in found["phases"]]
    if any(s.server for s in chain):
        ran.append("gunicorn")
    return " · ".join([*ran, f"{contracts} contract tests"])
