"""The ``nexus`` command: bad input is one line, exit code 2, no traceback; ``nexus env``."""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from nexus.cli import main
from nexus.display import format_table
from nexus.paths import SAMPLE_PROJECT

from .conftest import run_nexus


def test_unknown_command_is_one_line_and_exit_2(embedded_env):
    done = run_nexus("lanch", env=embedded_env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "unknown command 'lanch'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["up", "down", "status"])
def test_unknown_service_is_one_line_and_exit_2(embedded_env, command):
    done = run_nexus(command, "mongodb", env=embedded_env)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "nexus: unknown service 'mongodb' (known: postgres, redis, broker, smtp, chapa)"
    )


def test_bad_notebook_path_for_golden_is_exit_2(embedded_env):
    done = run_nexus("golden", "notebooks/99_missing.ipynb", env=embedded_env)
    assert done.returncode == 2
    assert "no notebook at 'notebooks/99_missing.ipynb'" in done.stderr


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("up", "down", "status", "env", "prepare", "lab", "golden"):
        assert command in out


def test_format_table_aligns_columns():
    text = format_table([("postgres", "up"), ("smtp", "down")], ("service", "state"))
    assert text.splitlines() == [
        "service   state",
        "--------  -----",
        "postgres  up",
        "smtp      down",
    ]


@pytest.mark.slow
def test_nexus_env_then_runserver_serves_the_seeded_listings(isolated_services):
    """The README's terminal path: `eval "$(nexus env)"`, then `manage.py runserver`."""
    done = run_nexus("env", env=isolated_services)
    assert done.returncode == 0, done.stderr
    assert "was migrated and seeded" in done.stderr
    exports = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1)
                   for line in done.stdout.splitlines())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=SAMPLE_PROJECT, env=isolated_services | exports,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/listings/",
                                            timeout=10) as answer:
                    body = json.loads(answer.read())
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "runserver never answered"
                time.sleep(0.2)
        assert body["count"] > 0 and body["results"][0]["title"]
    finally:
        server.terminate()
        server.wait(timeout=10)
    again = run_nexus("env", env=isolated_services)
    assert again.returncode == 0 and again.stderr == ""  # migrated already: nothing to say
    reset = run_nexus("env", "--reset", env=isolated_services)
    assert "is a fresh copy of the seeded course data" in reset.stderr
