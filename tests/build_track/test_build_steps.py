"""Proofs of the build track, both ways.

- A fresh skeleton (``django-admin startproject config …``) fails every build step.
- The sample project passes every step: its solutions notebook runs each step's check cell
  against it under nbval (here: every step has that cell).
- Every plausible wrong project (``wrong_projects.py``) fails its step with the right hint.
  Which hint a mistake earns doesn't depend on where PostgreSQL, Redis or the broker run (the
  model answer passing, in ``solutions/``, is what shows a check works on each), so the wrong
  projects are judged in the embedded profile only (``any_profile``).
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from nexus.build import new_project, steps
from nexus.build.run import BUILD_REDIS_SLOTS
from nexus.exercises.harness import CheckResult, run_check
from nexus.paths import REPO_ROOT, SAMPLE_PROJECT

from .wrong_projects import ALL, Wrong

#: What a learner's project holds of the sample project: no tests, docs or local state.
_NOT_COPIED = shutil.ignore_patterns("tests", "testsupport", "docs", "__pycache__", "*.pyc",
                                     ".pytest_cache", "staticfiles", "pytest.ini")


def copy_of_sample(target: Path) -> Path:
    """A copy of the sample project, as a learner who copied it file by file would have."""
    shutil.copytree(SAMPLE_PROJECT, target, ignore=_NOT_COPIED)
    return target


def apply(wrong: Wrong, project: Path) -> None:
    for name in wrong.delete:
        (project / name).unlink()
    for name, text in wrong.create.items():
        assert not (project / name).exists(), f"{wrong.mistake}: {name} exists already"
        (project / name).write_text(text, encoding="utf-8")
    for name, edits in wrong.edits.items():
        path = project / name
        text = path.read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, f"{wrong.mistake}: {old!r} is not once in {name}"
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory) -> Path:
    folder, _ = new_project(tmp_path_factory.mktemp("skeleton") / "my_project")
    return folder


@pytest.mark.parametrize("step", [s.id for s in steps()])
def test_a_fresh_skeleton_fails_every_step(step, skeleton):
    result = run_check(step, skeleton)
    assert result.status == "failed", result.report()
    assert result.hint and result.expected, result.report()


def test_every_step_is_checked_against_the_sample_project_in_its_solutions_notebook():
    for step in steps():
        (notebook,) = (REPO_ROOT / "solutions").glob(f"{step.id[:2]}_*.ipynb")
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        checks = [c for c in cells if c["cell_type"] == "code"
                  and f'check("{step.id}")' in "".join(c["source"])]
        assert len(checks) == 1, f"{notebook.name} has no check cell for {step.id}"
        shown = "".join(o.get("text", "") if isinstance(o.get("text"), str)
                        else "".join(o.get("text", [])) for o in checks[0]["outputs"])
        assert shown.startswith(f"✓ {step.id} "), f"{notebook.name}: {step.id} shows {shown!r}"


def test_every_step_has_at_least_three_wrong_projects():
    counts = {s.id: sum(w.step == s.id for w in ALL) for s in steps()}
    assert all(n >= 3 for n in counts.values()), counts


@cache
def verdicts(step: str, folder: Path) -> dict[str, CheckResult | BaseException]:
    """Each wrong project of ``step`` checked, side by side: one check per Redis slot, as a
    learner's two kernels could (each check has its own database, server and Redis databases);
    the checks wait on their processes much of the time, so the step's batch takes about the
    time of its slowest check or two instead of their sum."""
    wrongs = [w for w in ALL if w.step == step]

    def judge(index: int, wrong: Wrong) -> CheckResult:
        project = copy_of_sample(folder / step / str(index) / "my_project")
        apply(wrong, project)
        return run_check(wrong.step, project)

    with ThreadPoolExecutor(len(BUILD_REDIS_SLOTS)) as pool:
        futures = {wrong.mistake: pool.submit(judge, i, wrong) for i, wrong in enumerate(wrongs)}
    return {mistake: future.exception() or future.result() for mistake, future in futures.items()}


@pytest.fixture(scope="module")
def wrong_projects_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("wrong")


@pytest.mark.any_profile
@pytest.mark.parametrize("wrong", ALL, ids=[f"{w.step}-{w.mistake}" for w in ALL])
def test_a_wrong_project_is_rejected_with_the_right_hint(wrong, wrong_projects_folder):
    result = verdicts(wrong.step, wrong_projects_folder)[wrong.mistake]
    if isinstance(result, BaseException):
        raise result
    assert result.status == "failed", result.report()
    assert wrong.hint in result.hint, result.report()


def test_a_missing_project_says_how_to_create_it(tmp_path):
    result = run_check(steps()[0].id, tmp_path / "my_project")
    assert not result.passed
    assert "mkdir my_project && django-admin startproject config my_project" in result.hint


def test_a_syntax_error_is_reported_with_the_file_and_line(tmp_path):
    project = copy_of_sample(tmp_path / "my_project")
    path = project / "config/settings/base.py"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[9] = "DEBUG = = True"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_check("01.b3", project)
    assert result.status == "failed", result.report()
    assert "SyntaxError" in result.got and "config/settings/base.py, line 10" in result.got, \
        result.report()


def test_an_import_error_in_an_app_names_the_file_and_line(tmp_path):
    project = copy_of_sample(tmp_path / "my_project")
    models = project / "listings/models.py"
    models.write_text("from listings.helpers import slugify_title\n" + models.read_text())
    result = run_check("01.b3", project)
    assert result.status == "failed", result.report()
    assert "ModuleNotFoundError" in result.got and "listings/models.py, line 1" in result.got, \
        result.report()
    assert "Traceback" not in result.report()


def test_a_crashing_migration_names_the_file_and_line_and_leaves_no_database_behind(tmp_path):
    from nexus.build.run import migrations_key
    from nexus.services.postgres import SERVICE as POSTGRES

    def databases() -> set[str]:
        with POSTGRES.connect() as conn:
            return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}

    before = databases()
    project = copy_of_sample(tmp_path / "my_project")
    folder = project / "listings/migrations"
    latest = sorted(p.stem for p in folder.glob("0*.py"))[-1]
    (folder / "9999_backfill.py").write_text(
        "from django.db import migrations\n\n\n"
        "def backfill(apps, schema_editor):\n"
        "    raise ValueError('no such city')\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('listings', '{latest}')]\n"
        "    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]\n")
    result = run_check("01.b3", project)
    assert result.status == "failed", result.report()
    assert "ValueError: no such city" in result.got, result.report()
    assert "listings/migrations/9999_backfill.py, line 5" in result.got, result.report()
    assert "migrate" in result.expected
    # The check's own database is dropped, and no template is kept for migrations that crash.
    left = databases() - before
    assert left == set(), left
    assert not any(migrations_key(project) in name for name in databases())


def test_a_server_that_will_not_start_names_the_file_and_line(tmp_path):
    project = copy_of_sample(tmp_path / "my_project")
    wsgi = project / "config/wsgi.py"
    lines = wsgi.read_text(encoding="utf-8").splitlines()
    wsgi.write_text("\n".join([*lines, 'raise RuntimeError("no application today")']) + "\n",
                    encoding="utf-8")
    http_step = next(s.id for s in steps() if s.server)
    result = run_check(http_step, project)
    assert result.status == "failed", result.report()
    assert "RuntimeError: no application today" in result.got, result.report()
    assert f"config/wsgi.py, line {len(lines) + 1}" in result.got, result.report()
    assert "Traceback" not in result.report()
