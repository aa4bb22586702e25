"""``nexus check NN`` and ``nexus progress``: run a learner's exercise notebook headless, report.

The learner's file is never modified: it is executed in memory (nbclient, a fresh kernel started in
the notebook's folder, as Jupyter would) and the executed copy is saved under ``build/check/``.
Each ``check()`` in the kernel appends its result to a JSON-lines file named by
``NEXUS_CHECK_REPORT``; an exercise whose check never ran (its cell failed before ``check`` was
called, e.g. a syntax error) is reported with the error the notebook shows.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nexus.bootstrap import DATABASE_SUFFIX_VAR
from nexus.errors import UsageError
from nexus.exercises import progress, registry
from nexus.exercises.generator import EXERCISES
from nexus.exercises.harness import CheckResult
from nexus.paths import REPO_ROOT

BUILD = REPO_ROOT / "build" / "check"
_CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](?P<id>\d{2}\.b?\d+)["']""")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class LessonRun:
    """What ``nexus check NN`` found: one result per exercise, plus errors in other cells."""

    lesson: str
    notebook: Path
    executed: Path
    results: list[CheckResult]
    other_errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)


def normalise_lesson(raw: str) -> str:
    """``"1"`` or ``"01"`` → ``"01"``; a :class:`UsageError` for anything that is not a lesson."""
    known = [lesson.number for lesson in registry.lessons()]
    number = raw.strip().zfill(2) if raw.strip().isdigit() else raw
    if number not in known:
        raise UsageError(f"no exercises for lesson '{raw}' (lessons with exercises: "
                         f"{', '.join(known)})")
    return number


def lesson_notebook(lesson: str, folder: Path = EXERCISES) -> Path:
    """The learner's exercise notebook of ``lesson`` (``exercises/NN_*.ipynb``)."""
    found = sorted(folder.glob(f"{lesson}_*.ipynb"))
    if not found:
        raise UsageError(f"no exercise notebook for lesson {lesson} in {folder.name}/ "
                         "(restore it with `git checkout exercises/`)")
    return found[0]


def _error_of(cell) -> str | None:
    """``"NameError: … (line 3)"`` if the executed cell raised, else ``None``."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            text = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
            traceback = _ANSI.sub("", "\n".join(output.get("traceback", [])))
            lines = re.findall(r"line (\d+)", traceback)
            return f"{text} (line {lines[-1]})" if lines and "line " not in text else text
    return None


def _exercise_cells(notebook) -> dict[str, range]:
    """For each exercise id, the cells from after the previous check cell up to its own."""
    spans, start = {}, 0
    for index, cell in enumerate(notebook.cells):
        ids = _CHECK_CALL.findall(cell.source) if cell.cell_type == "code" else []
        for exercise_id in ids:
            spans.setdefault(exercise_id, range(start, index + 1))
        if ids:
            start = index + 1
    return spans


def _missing_result(exercise: registry.Exercise, notebook, span: range | None) -> CheckResult:
    """The ✗ of an exercise whose check did not report: say which cell failed, and how."""
    result = CheckResult(exercise.id, exercise.title, False, "not-run")
    if span is None:
        result.got = "its check cell is missing from the notebook"
        result.hint = f'add a cell with check("{exercise.id}", <your function>) after the ' \
                      "exercise (or restore the notebook with `git checkout exercises/`)."
        return result
    for number in span:  # the first failing cell is the cause; the check cell's NameError follows
        error = _error_of(notebook.cells[number])
        if error:
            result.got = f"cell {number + 1} failed: {error}"
            result.hint = "fix that cell (a syntax error or a missing name stops the " \
                          "definition), run it, then run the check cell."
            return result
    result.got = "the check cell did not report"
    result.hint = "run the notebook from the top in Jupyter to see what happened."
    return result


def run_lesson(lesson: str, *, timeout: int = 300, progress_bar: bool = True,
               notebook_path: Path | None = None) -> LessonRun:
    """Execute lesson ``lesson``'s exercise notebook and collect one result per exercise."""
    import nbformat
    from nbclient import NotebookClient
    from tqdm import tqdm

    from nexus.kernels import LocalKernelManager

    lesson = normalise_lesson(lesson)
    path = notebook_path or lesson_notebook(lesson)
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with tempfile.TemporaryDirectory(prefix="nexus-check-") as folder:
        report = Path(folder, "results.jsonl")
        report.touch()
        client = NotebookClient(
            notebook, timeout=timeout, startup_timeout=120, kernel_name="python3",
            allow_errors=True, record_timing=False,
            resources={"metadata": {"path": str(path.parent)}},
            kernel_manager_class=LocalKernelManager,
        )
        # Its own database: the learner may have this notebook open on nexus_nb_NN_exercises.
        env = os.environ | {progress.REPORT_VAR: str(report), DATABASE_SUFFIX_VAR: "-check"}
        code_cells = [(i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
        with client.setup_kernel(env=env):
            bar = tqdm(code_cells, desc=f"{path.parent.name}/{path.name}", unit="cell",
                       file=sys.stderr, disable=not progress_bar, leave=False)
            for index, cell in bar:
                client.execute_cell(cell, index)
        reported = {}
        for line in report.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            reported[data["id"]] = CheckResult(**data)
    BUILD.mkdir(parents=True, exist_ok=True)
    executed = BUILD / path.name
    nbformat.write(notebook, executed)

    spans = _exercise_cells(notebook)
    results = []
    for exercise in registry.exercises(lesson):
        found = reported.get(exercise.id)  # a CheckResult is false when failed: no `or` here
        results.append(found if found is not None
                       else _missing_result(exercise, notebook, spans.get(exercise.id)))
    in_exercises = {index for span in spans.values() for index in span}
    other = [f"cell {i + 1}: {error}" for i, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and i not in in_exercises
             and (error := _error_of(cell)) is not None]
    run = LessonRun(lesson, path, executed, results, other)
    progress.record_lesson_run(lesson, run.passed, len(results))
    return run


_LABELS = {"passed": "✓ passed", "failed": "✗ failed", "not-implemented": "✗ not implemented",
           "error": "✗ error", "not-run": "✗ did not run", "unknown": "✗ unknown"}


def results_table(run: LessonRun) -> str:
    """The table ``nexus check`` prints: exercise, result, hint."""
    from nexus.display import format_table

    rows = []
    for result in run.results:
        hint = result.hint
        if result.status in {"error", "not-run"} or (result.status == "failed" and result.got):
            hint = f"{result.got} — {hint}" if result.status != "failed" else hint
        rows.append((f"{result.id} {result.title}", _LABELS.get(result.status, result.status),
                     "" if result.passed else hint))
    return format_table(rows, ("exercise", "result", "hint"))


def check_command(lesson: str, *, timeout: int = 300) -> int:
    """``nexus check NN``: 0 if every exercise passed, 1 if not (2, by UsageError, if unknown)."""
    lesson = normalise_lesson(lesson)
    run = run_lesson(lesson, timeout=timeout)
    print(results_table(run))
    for error in run.other_errors:
        print(f"\n! {error} (not an exercise cell: the notebook itself needs a look)")
    print(f"\n{run.passed} of {len(run.results)} passed · executed copy: "
          f"{os.path.relpath(run.executed)}")
    failed = [r for r in run.results if not r.passed]
    if failed:
        print(f"next: exercise {failed[0].id} in {os.path.relpath(run.notebook)}")
    return 0 if not failed else 1


def progress_command() -> int:
    """``nexus progress``: lessons run, exercises passed, what is next."""
    from nexus.display import format_table

    data = progress.load()
    done = data["exercises"]
    rows, next_up = [], None
    for lesson in registry.lessons():
        exercises = registry.exercises(lesson.number)
        passed = [e for e in exercises if done.get(e.id, {}).get("passed")]
        tried = [e for e in exercises if e.id in done]
        run = data["lessons"].get(lesson.number)
        last = max([done[e.id]["at"] for e in tried] + ([run["at"]] if run else []), default="")
        state = "done" if len(passed) == len(exercises) else "started" if tried else "not started"
        counts = []
        for build in (False, True):  # function exercises, then build steps of your project
            kind = [e for e in exercises if e.is_build == build]
            counts.append(f"{sum(e in passed for e in kind)}/{len(kind)}" if kind else "—")
        rows.append((lesson.number, lesson.title, *counts, state,
                     last.replace("T", " ")[:16] if last else "—"))
        if next_up is None:
            next_up = next((e for e in exercises if e not in passed), None)
    print(format_table(rows, ("lesson", "title", "exercises", "build", "state",
                              "last checked (UTC)")))
    total = len(registry.exercises())
    passed_total = sum(1 for e in registry.exercises() if done.get(e.id, {}).get("passed"))
    print(f"\n{passed_total} of {total} exercises passed")
    if next_up is not None:
        notebook = lesson_notebook(next_up.lesson)
        print(f"next: {next_up.id} {next_up.title} — {os.path.relpath(notebook)}, "
              f"then `nexus check {next_up.lesson}`")
    else:
        print("every exercise passed: well done")
    return 0
