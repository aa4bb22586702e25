"""Run every exercise check of one lesson against its solution and its wrong answers.

``python tests/exercises/probe.py 01`` prints one JSON object: ``{"solutions": {id: result},
"wrong": {id: [result, ...]}, "seconds": {id: s}}``, with the wrong answers of
``wrong_answers_01.py``. It runs in its own process because ``nexus.start`` sets Django up once
per process, the way a notebook kernel does (the pytest process has its own Django).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import re
import sys
import time
from pathlib import Path

import nbformat

import nexus
from nexus.exercises.harness import run_check
from nexus.paths import REPO_ROOT

_CHECK = re.compile(r"""check\(\s*["'](?P<id>\d{2}\.\d+)["']\s*,\s*(?P<name>\w+)\s*\)""")


def solutions(lesson: str) -> dict[str, object]:
    """The solved functions of the lesson's solutions notebook, by exercise id."""
    path = next((REPO_ROOT / "solutions").glob(f"{lesson}_*.ipynb"))
    notebook = nbformat.read(path, as_version=4)
    # "__main__", as in a kernel: classes defined in the cells get a module (strawberry needs one).
    namespace: dict[str, object] = {"nexus": nexus, "__name__": "__main__"}
    found = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if "### BEGIN SOLUTION" in cell.source:
            exec(compile(cell.source, f"<cell {cell.id}>", "exec"), namespace)
        for match in _CHECK.finditer(cell.source):
            found[match["id"]] = namespace[match["name"]]
    return found


def main(lesson: str) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    with contextlib.redirect_stdout(io.StringIO()):
        nexus.start(f"{lesson}-exercises", quiet=True)
    wrong_answers = importlib.import_module(f"wrong_answers_{lesson}").WRONG_ANSWERS

    report: dict[str, dict] = {"solutions": {}, "wrong": {}, "seconds": {}}
    for exercise_id, solved in solutions(lesson).items():
        began = time.perf_counter()
        report["solutions"][exercise_id] = run_check(exercise_id, solved).to_dict()
        report["seconds"][exercise_id] = round(time.perf_counter() - began, 2)
        report["wrong"][exercise_id] = [
            run_check(exercise_id, wrong).to_dict() | {"answer": wrong.__name__}
            for wrong, _ in wrong_answers.get(exercise_id, [])
        ]
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
