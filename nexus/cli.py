"""The ``nexus`` command: services, the course database, JupyterLab and stored outputs.

Every failure a learner can cause or fix prints one readable message (no traceback): exit code 2
for bad input (unknown command or service), 1 for a service that cannot start.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nexus.display import format_table, status_table
from nexus.errors import NexusError, UsageError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if "invalid choice" in message and message.startswith("argument command"):
            bad = message.split("'")[1] if "'" in message else message
            choices = ", ".join(sorted(COMMANDS))
            message = f"unknown command '{bad}' (commands: {choices}; see `nexus --help`)"
        sys.stderr.write(f"nexus: {message}\n")
        raise SystemExit(2)


# --- how commands are declared --------------------------------------------------------------------
class Arg:
    """One ``add_argument`` call, made when the parser is built: names and argparse's options."""

    def __init__(self, *names: str, **options: object) -> None:
        self.names, self.options = names, options


@dataclass(frozen=True)
class Command:
    """A ``nexus`` subcommand: what runs it, its one-line help and its arguments."""

    run: Callable[[argparse.Namespace], int]
    help: str
    arguments: tuple[Arg, ...] = ()


#: Every command, in the order ``nexus --help`` lists them; filled by :func:`command`.
COMMANDS: dict[str, Command] = {}


def command(name: str, help_text: str, *arguments: Arg):
    """Declare the function below as the command ``name`` (its help and arguments in one place)."""

    def register(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = Command(run, help_text, arguments)
        return run

    return register


SERVICES = Arg("services", nargs="*", help="service names (default: all)")
TIMEOUT = Arg("--timeout", type=int, default=300, help="seconds per cell")
LESSON_QUEUE = Arg("lesson", help="the notebook whose database and queue to use, e.g. 06 (run "
                   "its first cell once before)")
LOGLEVEL = Arg("--loglevel", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))


# --- commands -------------------------------------------------------------------------------------
@command("up", "start the embedded services (idempotent) and show them", SERVICES)
def cmd_up(args: argparse.Namespace) -> int:
    from nexus import services

    began = time.perf_counter()
    states = services.up(args.services)
    print(status_table(states))
    print(f"\nready in {time.perf_counter() - began:.1f} s — state in {_state()}")
    return 0 if all(s.up for s in states) else 1


@command("down", "stop the embedded services (their data stays)", SERVICES)
def cmd_down(args: argparse.Namespace) -> int:
    from nexus import services

    services.down(args.services)
    print(status_table(services.status(args.services)))
    return 0


@command("status", "show every service: profile, address, version, up/down", SERVICES)
def cmd_status(args: argparse.Namespace) -> int:
    from nexus import services

    states = services.status(args.services)
    print(status_table(states))
    return 0 if all(s.up for s in states) else 3


@command("env", "print `export` lines that point a shell at the services",
         Arg("--reset", action="store_true",
             help="give the terminal's database a fresh copy of the seeded course data (what you "
             "changed in it is lost)"))
def cmd_env(args: argparse.Namespace) -> int:
    from nexus import database, services
    from nexus.paths import SETTINGS_MODULE

    services.up()
    # The database these lines point at must serve `manage.py runserver` at once: migrated,
    # and seeded the first time. What was done goes to stderr, so `eval "$(nexus env)"` works.
    name, done = database.ensure_terminal_database(reset=args.reset)
    if done:
        print(f"nexus env: the database {name} {done}", file=sys.stderr)
    env = services.environment() | {"DJANGO_SETTINGS_MODULE": SETTINGS_MODULE}
    for var, value in env.items():
        print(f"export {var}='{value}'")
    return 0


@command("prepare", "build the migrated and seeded template database if out of date",
         Arg("--force", action="store_true", help="rebuild even if current"))
def cmd_prepare(args: argparse.Namespace) -> int:
    from nexus import database, services

    services.up()
    began = time.perf_counter()
    rebuilt = database.ensure_template(force=args.force)
    verb = "built" if rebuilt else "is current"
    print(f"course template database {verb} ({time.perf_counter() - began:.1f} s)")
    return 0


@command("lab", "start JupyterLab on the welcome notebook",
         Arg("--no-browser", action="store_true"),
         Arg("--port", type=int, default=None))
def cmd_lab(args: argparse.Namespace) -> int:
    from nexus import lab

    return lab.run_lab(open_browser=not args.no_browser, port=args.port)


@command("golden", "re-execute notebooks in place so their stored outputs are current",
         Arg("paths", nargs="*", help="notebooks or folders (default: notebooks/ and solutions/)"),
         TIMEOUT)
def cmd_golden(args: argparse.Namespace) -> int:
    from nexus import golden

    return golden.run(args.paths, timeout=args.timeout)


@command("chapa", "the Chapa sandbox: serve, replay TX_REF, deliveries [TX_REF]",
         Arg("action", choices=("serve", "replay", "deliveries")),
         Arg("tx_ref", nargs="?", default=None))
def cmd_chapa(args: argparse.Namespace) -> int:
    from nexus import sandbox as admin
    from nexus.services.chapa import SERVICE

    if args.action == "serve":
        SERVICE.start()
        print(f"Chapa sandbox at {SERVICE.url()} (test key and webhook secret: `nexus env`); "
              "`nexus down chapa` stops it")
        return 0
    if args.action == "replay":
        if not args.tx_ref:
            raise UsageError("`nexus chapa replay` needs a tx_ref")
        print(f"webhook for {args.tx_ref} queued again (delivery {admin.replay(args.tx_ref)})")
        return 0
    rows = []
    for delivery in admin.deliveries(args.tx_ref):
        attempts = delivery["attempts"] or [{"at": "-", "status": None, "error": "not yet"}]
        for number, attempt in enumerate(attempts, 1):
            rows.append((delivery["tx_ref"], delivery["kind"], delivery["event"] or "-",
                         str(number), attempt["at"],
                         str(attempt["status"] or attempt["error"] or "-")))
    print(format_table(rows, ("tx_ref", "kind", "event", "attempt", "at", "result")))
    return 0


@command("run", "run every lesson in order into build/run/ and write a report",
         Arg("paths", nargs="*", help="notebooks or folders (default: notebooks/)"),
         TIMEOUT)
def cmd_run(args: argparse.Namespace) -> int:
    from nexus import course_run

    results = course_run.run_course(args.paths, timeout=args.timeout)
    report = os.path.relpath(course_run.BUILD / "report.md")
    passed = sum(r.ok for r in results)
    print(f"\n{passed} of {len(results)} notebooks passed · report: {report} (and .html)")
    for failed in (r for r in results if not r.ok):
        print(f"✗ {failed.notebook}: {failed.failure}")
    return 0 if passed == len(results) else 1


@command("exercises", "generate exercises/ from solutions/ (stubs, no outputs)",
         Arg("--check", action="store_true",
             help="only report whether exercises/ is up to date (exit 1 if not)"),
         Arg("--force", action="store_true",
             help="overwrite exercise notebooks that hold outputs (your work)"))
def cmd_exercises(args: argparse.Namespace) -> int:
    from nexus.exercises import generator

    return generator.run(check_only=args.check, force=args.force)


@command("worker", "run a Celery worker for lesson NN's notebook in this terminal",
         LESSON_QUEUE,
         LOGLEVEL,
         Arg("--concurrency", type=int, default=1, help="pool processes (default 1)"))
def cmd_worker(args: argparse.Namespace) -> int:
    from nexus.worker import run_foreground  # (nexus.worker is the function)

    return run_foreground("worker", args.lesson, concurrency=args.concurrency,
                          loglevel=args.loglevel)


@command("beat", "run Celery beat (the periodic tasks) for lesson NN's notebook",
         LESSON_QUEUE,
         LOGLEVEL)
def cmd_beat(args: argparse.Namespace) -> int:
    from nexus.worker import run_foreground

    return run_foreground("beat", args.lesson, loglevel=args.loglevel)


@command("check", "run your exercises/NN_*.ipynb headless and show which exercises pass",
         Arg("lesson", help="lesson number, e.g. 01"),
         TIMEOUT)
def cmd_check(args: argparse.Namespace) -> int:
    from nexus.exercises import runner

    return runner.check_command(args.lesson, timeout=args.timeout)


@command("project", "your own Django project (the build track): new | env",
         Arg("action", choices=("new", "env"), help="new: a fresh `django-admin startproject "
             "config my_project` (an existing folder is moved aside); env: `export` lines "
             "pointing your project at a database of its own and the course's services"),
         Arg("--path", default=None, help="another folder than my_project/"),
         Arg("--reset", action="store_true", help="with env: empty your project's database "
             "first (dropped and created again: everything in it is lost)"))
def cmd_project(args: argparse.Namespace) -> int:
    from nexus import build

    if args.action == "new":
        folder, moved = build.new_project(Path(args.path) if args.path else None)
        if moved:
            print(f"moved your old project to {os.path.relpath(moved)}/ (nothing was deleted)")
        print(f"created {os.path.relpath(folder)}/ with `django-admin startproject config "
              f"{os.path.relpath(folder)}`: manage.py and the config/ package")
        return 0
    for var, value in build.project_services_environment(reset=args.reset).items():
        print(f"export {var}='{value}'")
    if args.reset:
        from nexus.build.run import PROJECT_DATABASE

        print(f"nexus project env: the database {PROJECT_DATABASE} is empty again",
              file=sys.stderr)
    return 0


@command("progress", "show the course: lessons checked, exercises passed, what's next")
def cmd_progress(args: argparse.Namespace) -> int:
    from nexus.exercises import runner

    return runner.progress_command()


@command("renumber", "renumber lessons across the repository in one step (a dry run unless "
         "--apply)",
         Arg("--insert", action="append", default=[], metavar="NN[=topic]",
             help="a new lesson will be number NN in the final course (e.g. 05=middleware): "
             "every lesson from there on moves up; repeat for several"),
         Arg("--move", action="append", default=[], metavar="OLD=NEW",
             help="give lesson OLD the number NEW (e.g. 06=07); repeat for several"),
         Arg("--apply", action="store_true",
             help="do it: edit the files, `git mv` the renamed ones, log the renumbering for "
             "learners' progress (default: print the plan only)"),
         Arg("--allow-dirty", action="store_true",
             help="apply even if tracked files have uncommitted changes"),
         Arg("--root", default=None, help="the repository (default: this checkout)"))
def cmd_renumber(args: argparse.Namespace) -> int:
    from nexus import renumber
    from nexus.paths import REPO_ROOT

    root = Path(args.root).resolve() if args.root else REPO_ROOT
    return renumber.run(root=root, inserts=args.insert, moves=args.move, apply=args.apply,
                        allow_dirty=args.allow_dirty)


def build_parser() -> argparse.ArgumentParser:
    """The ``nexus`` argument parser, built from :data:`COMMANDS`."""
    parser = _Parser(prog="nexus", description="Project Nexus Workbook: the course toolkit.")
    sub = parser.add_subparsers(dest="command", metavar="command", parser_class=_Parser)
    for name, declared in COMMANDS.items():
        command_parser = sub.add_parser(name, help=declared.help, description=declared.help)
        for argument in declared.arguments:
            command_parser.add_argument(*argument.names, **argument.options)
    return parser


def _state() -> str:
    from nexus.paths import state_dir

    return os.path.relpath(state_dir())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nexus`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command].run(args)
    except UsageError as exc:
        sys.stderr.write(f"nexus: {exc.cause}\n")
        return 2
    except NexusError as exc:
        sys.stderr.write(f"nexus: {exc.message()}\n")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
