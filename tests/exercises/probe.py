"""Run every exercise check of one lesson against its wrong answers.

``python tests/exercises/probe.py 01`` prints one JSON object: ``{"wrong": {id: [result, ...]}}``,
with the wrong answers of ``wrong_answers_01.py``. It runs in its own process because
``nexus.start`` sets Django up once per process, the way a notebook kernel does (the pytest
process has its own Django).

The solutions are not run here: nbval runs ``solutions/`` in a real kernel, where each check's
stored ``✓`` must come out again (``test_checks.py`` holds every exercise to that).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
from pathlib import Path

import nexus
from nexus.exercises.harness import run_check


def main(lesson: str) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    with contextlib.redirect_stdout(io.StringIO()):
        nexus.start(f"{lesson}-exercises", quiet=True)
    wrong_answers = importlib.import_module(f"wrong_answers_{lesson}").WRONG_ANSWERS
    report = {"wrong": {
        exercise_id: [run_check(exercise_id, wrong).to_dict() | {"answer": wrong.__name__}
                      for wrong, _ in answers]
        for exercise_id, answers in wrong_answers.items()
    }}
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
