"""The ``nexus`` command's handling of bad input: one line, exit code 2, no traceback."""

from __future__ import annotations

import pytest

from nexus.cli import format_table, main

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
