"""Proof 3 and ``nexus check`` / ``nexus progress``: run the exercise notebooks headless.

Every unsolved stub must fail its own check and no other cell may error; a syntax error in one
exercise is that exercise's failure while the others are still checked.
"""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

from nexus.build.project import PROJECT_VAR
from nexus.exercises import progress, registry, runner
from nexus.paths import REPO_ROOT


def nexus_cli(*args: str, progress_file) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nexus.cli", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=600, check=False,
                          env=os.environ | {progress.PROGRESS_VAR: str(progress_file)})


@pytest.mark.slow
@pytest.mark.parametrize("lesson", [lesson.number for lesson in registry.lessons()])
def test_every_stub_fails_its_own_check_and_nothing_else_errors(lesson, tmp_path, monkeypatch):
    # The learner has not started a project: build steps say how (and never look at a
    # developer's own my_project/).
    monkeypatch.setenv(PROJECT_VAR, str(tmp_path / "my_project"))
    run = runner.run_lesson(lesson, progress_bar=False)
    assert [r.id for r in run.results] == [e.id for e in registry.exercises(lesson)]
    for result in run.results:
        assert not result.passed
        if ".b" in result.id:
            assert result.status == "failed" and "startproject" in result.hint, result
        else:
            assert result.status == "not-implemented", result
    assert run.other_errors == []
    executed = nbformat.read(run.executed, as_version=4)
    errors = [cell.id for cell in executed.cells if cell.cell_type == "code"
              and any(o.output_type == "error" for o in cell.outputs)]
    assert errors == [], f"cells raised instead of reporting through check(): {errors}"
    assert runner.lesson_notebook(lesson).read_text() == run.notebook.read_text()


@pytest.mark.slow
def test_nexus_check_on_the_unsolved_exercises_prints_failures_and_exits_1(progress_file):
    done = nexus_cli("check", "00", progress_file=progress_file)
    assert done.returncode == 1, done.stderr
    for exercise in registry.exercises("00"):
        assert f"{exercise.id} {exercise.title}" in done.stdout
    assert done.stdout.count("✗ not implemented") == len(registry.exercises("00"))
    assert "0 of 3 passed" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr

    shown = nexus_cli("progress", progress_file=progress_file)
    assert shown.returncode == 0
    assert "0/3" in shown.stdout and "next: 00.1" in shown.stdout
    assert "build" in shown.stdout.splitlines()[0]  # build steps counted apart


@pytest.mark.any_profile
@pytest.mark.parametrize("lesson", ["99", "abc", "42"])
def test_an_unknown_lesson_exits_2_with_one_line(lesson, progress_file):
    done = nexus_cli("check", lesson, progress_file=progress_file)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("nexus: no exercises for lesson")
    assert done.stdout == ""


@pytest.mark.slow
def test_a_syntax_error_fails_only_its_exercise(tmp_path):
    notebook = nbformat.read(REPO_ROOT / "solutions" / "00_welcome.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.get("id") == "ex-00-2-code":
            cell.source = cell.source.replace('send_mail("Welcome', 'send_mail("Welcome" +')
    path = tmp_path / "00_welcome.ipynb"
    nbformat.write(notebook, path)
    run = runner.run_lesson("00", notebook_path=path, progress_bar=False)
    by_id = {r.id: r for r in run.results}
    assert by_id["00.1"].passed and by_id["00.3"].passed
    assert by_id["00.2"].status == "not-run"
    assert "SyntaxError" in by_id["00.2"].got and "line 7" in by_id["00.2"].got
    assert run.other_errors == []


@pytest.mark.slow
def test_nexus_check_leaves_the_learners_open_database_alone(progress_file):
    """The learner's kernel holds nexus_nb_00_exercises; a headless check must not drop it."""
    import nexus.database
    from nexus.services.postgres import SERVICE as POSTGRES

    nexus.database.clone("00-exercises")
    with POSTGRES.connect(nexus.database.database_name("00-exercises")) as learner:
        nexus_cli("check", "00", progress_file=progress_file)
        assert learner.execute("SELECT count(*) FROM listings_listing").fetchone() == (200,)
