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


def format_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """A plain-text table with aligned columns."""
    table = [list(header), *[list(map(str, row)) for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
             for row in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def status_table(states) -> str:
    """The ``nexus status`` table: service, profile, address, version, where its program came
    from (an embedded server: a wheel, the conda env, PATH), up/down."""
    rows = [(s.name, s.profile, s.address, s.version, s.source or "-",
             "up" if s.up else f"down ({s.detail})") for s in states]
    return format_table(rows, ("service", "profile", "address", "version", "from", "state"))


# --- commands -------------------------------------------------------------------------------------
def cmd_up(args: argparse.Namespace) -> int:
    from nexus import services

    began = time.perf_counter()
    states = services.up(args.services)
    print(status_table(states))
    print(f"\nready in {time.perf_counter() - began:.1f} s — state in {_state()}")
    return 0 if all(s.up for s in states) else 1


def cmd_down(args: argparse.Namespace) -> int:
    from nexus import services

    services.down(args.services)
    print(status_table(services.status(args.services)))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from nexus import services

    states = services.status(args.services)
    print(status_table(states))
    return 0 if all(s.up for s in states) else 3


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


def cmd_prepare(args: argparse.Namespace) -> int:
    from nexus import database, services

    services.up()
    began = time.perf_counter()
    rebuilt = database.ensure_template(force=args.force)
    verb = "built" if rebuilt else "is current"
    print(f"course template database {verb} ({time.perf_counter() - began:.1f} s)")
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    from nexus import lab

    return lab.run_lab(open_browser=not args.no_browser, port=args.port)


def cmd_golden(args: argparse.Namespace) -> int:
    from nexus import golden

    return golden.run(args.paths, timeout=args.timeout)


def cmd_exercises(args: argparse.Namespace) -> int:
    from nexus.exercises import generator

    return generator.run(check_only=args.check, force=args.force)


def cmd_check(args: argparse.Namespace) -> int:
    from nexus.exercises import runner

    return runner.check_command(args.lesson, timeout=args.timeout)


def cmd_progress(args: argparse.Namespace) -> int:
    from nexus.exercises import runner

    return runner.progress_command()


def cmd_run(args: argparse.Namespace) -> int:
    from nexus import course_run

    results = course_run.run_course(args.paths, timeout=args.timeout)
    report = os.path.relpath(course_run.BUILD / "report.md")
    passed = sum(r.ok for r in results)
    print(f"\n{passed} of {len(results)} notebooks passed · report: {report} (and .html)")
    for failed in (r for r in results if not r.ok):
        print(f"✗ {failed.notebook}: {failed.failure}")
    return 0 if passed == len(results) else 1


def cmd_chapa(args: argparse.Namespace) -> int:
    from nexus.chapa import admin
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


def cmd_worker(args: argparse.Namespace) -> int:
    from nexus.worker import run_foreground  # (nexus.worker is the function)

    return run_foreground("worker", args.lesson, concurrency=args.concurrency,
                          loglevel=args.loglevel)


def cmd_beat(args: argparse.Namespace) -> int:
    from nexus.worker import run_foreground

    return run_foreground("beat", args.lesson, loglevel=args.loglevel)


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "up": (cmd_up, "start the embedded services (idempotent) and show them"),
    "down": (cmd_down, "stop the embedded services (their data stays)"),
    "status": (cmd_status, "show every service: profile, address, version, up/down"),
    "env": (cmd_env, "print `export` lines that point a shell at the services"),
    "prepare": (cmd_prepare, "build the migrated and seeded template database if out of date"),
    "lab": (cmd_lab, "start JupyterLab on the welcome notebook"),
    "golden": (cmd_golden, "re-execute notebooks in place so their stored outputs are current"),
    "chapa": (cmd_chapa, "the Chapa sandbox: serve, replay TX_REF, deliveries [TX_REF]"),
    "run": (cmd_run, "run every lesson in order into build/run/ and write a report"),
    "exercises": (cmd_exercises, "generate exercises/ from solutions/ (stubs, no outputs)"),
    "worker": (cmd_worker, "run a Celery worker for lesson NN's notebook in this terminal"),
    "beat": (cmd_beat, "run Celery beat (the periodic tasks) for lesson NN's notebook"),
    "check": (cmd_check, "run your exercises/NN_*.ipynb headless and show which exercises pass"),
    "progress": (cmd_progress, "show the course: lessons checked, exercises passed, what's next"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nexus", description="Project Nexus Workbook: the course toolkit.")
    sub = parser.add_subparsers(dest="command", metavar="command", parser_class=_Parser)
    for name, (_, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name in {"up", "down", "status"}:
            command.add_argument("services", nargs="*", help="service names (default: all)")
        if name == "prepare":
            command.add_argument("--force", action="store_true", help="rebuild even if current")
        if name == "env":
            command.add_argument("--reset", action="store_true",
                                 help="give the terminal's database a fresh copy of the seeded "
                                 "course data (what you changed in it is lost)")
        if name == "lab":
            command.add_argument("--no-browser", action="store_true")
            command.add_argument("--port", type=int, default=None)
        if name == "golden":
            command.add_argument("paths", nargs="*", help="notebooks or folders "
                                 "(default: notebooks/ and solutions/)")
            command.add_argument("--timeout", type=int, default=300, help="seconds per cell")
        if name == "chapa":
            command.add_argument("action", choices=("serve", "replay", "deliveries"))
            command.add_argument("tx_ref", nargs="?", default=None)
        if name == "run":
            command.add_argument("paths", nargs="*", help="notebooks or folders "
                                 "(default: notebooks/)")
            command.add_argument("--timeout", type=int, default=300, help="seconds per cell")
        if name == "exercises":
            command.add_argument("--check", action="store_true",
                                 help="only report whether exercises/ is up to date "
                                 "(exit 1 if not)")
            command.add_argument("--force", action="store_true",
                                 help="overwrite exercise notebooks that hold outputs (your work)")
        if name in {"worker", "beat"}:
            command.add_argument("lesson", help="the notebook whose database and queue to "
                                 "use, e.g. 06 (run its first cell once before)")
            command.add_argument("--loglevel", default="INFO",
                                 choices=("DEBUG", "INFO", "WARNING", "ERROR"))
        if name == "worker":
            command.add_argument("--concurrency", type=int, default=1,
                                 help="pool processes (default 1)")
        if name == "check":
            command.add_argument("lesson", help="lesson number, e.g. 01")
            command.add_argument("--timeout", type=int, default=300, help="seconds per cell")
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
        return COMMANDS[args.command][0](args)
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
