"""Proof 4 and the harness: wrong answers fail with the hint meant for them, solutions pass.

The wrong answers of lesson NN live in ``wrong_answers_NN.py`` (one module per lesson that has
exercises, found through the registry, not by globbing); ``probe.py`` runs them in a fresh process
(its own ``nexus.start``, as a notebook kernel would). The solutions pass where a learner's
answers run: nbval executes ``solutions/`` in a kernel and compares each check's stored ``✓``
line, so they are not run a second time here; a test holds every exercise to that.

What a wrong answer is told doesn't depend on where PostgreSQL, Redis or the broker run, so the
wrong answers are checked in the embedded profile only (``any_profile``).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from nexus.exercises import check, progress, registry
from nexus.exercises.harness import run_check
from nexus.paths import REPO_ROOT

PROBE = Path(__file__).with_name("probe.py")
#: Every exercise has at least this many wrong answers, each rejected with its own hint.
MIN_WRONG_ANSWERS = 5


def wrong_answers() -> dict[str, list[tuple]]:
    """``{exercise id: [(wrong answer, hint phrase)]}`` of every lesson's wrong_answers_NN.py."""
    found: dict[str, list[tuple]] = {}
    for lesson in registry.lessons():
        module = importlib.import_module(f"tests.exercises.wrong_answers_{lesson.number}")
        assert all(key.startswith(f"{lesson.number}.") for key in module.WRONG_ANSWERS), \
            f"wrong_answers_{lesson.number}.py holds another lesson's answers"
        found.update(module.WRONG_ANSWERS)
    return found


WRONG_ANSWERS = wrong_answers()
#: Function exercises; build steps ("02.b1") have wrong *projects* instead (tests/build_track/).
FUNCTION_EXERCISES = [e.id for e in registry.exercises() if not e.is_build]


@cache
def probe(lesson: str, progress_path: str) -> dict:
    done = subprocess.run([sys.executable, str(PROBE), lesson], cwd=REPO_ROOT, timeout=300,
                          capture_output=True, text=True, check=False,
                          env=os.environ | {progress.PROGRESS_VAR: progress_path})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def probe_file(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("probe") / "progress.json")


def test_every_exercise_has_wrong_answers():
    assert sorted(WRONG_ANSWERS) == FUNCTION_EXERCISES
    few = {key: len(answers) for key, answers in WRONG_ANSWERS.items()
           if len(answers) < MIN_WRONG_ANSWERS}
    assert not few, f"fewer than {MIN_WRONG_ANSWERS} wrong answers: {few}"


def test_each_wrong_answer_has_a_hint_of_its_own():
    """Two wrong answers of one exercise rejected with the same phrase don't prove two cases."""
    for exercise, answers in WRONG_ANSWERS.items():
        phrases = [phrase for _, phrase in answers]
        assert len(set(phrases)) == len(phrases), f"{exercise}: a hint phrase is repeated"


_CHECK_CALL = re.compile(r"""check\(\s*["'](?P<id>\d{2}\.\d+)["']""")


def test_every_solution_is_proven_by_nbval():
    """Each function exercise is checked in its solutions notebook, in a cell whose stored output
    says ``✓ <id>`` and that nbval compares (not ``NBVAL_IGNORE_OUTPUT`` or ``NBVAL_SKIP``)."""
    proven = set()
    for path in sorted((REPO_ROOT / "solutions").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] != "code" or "NBVAL_IGNORE_OUTPUT" in source \
                    or "NBVAL_SKIP" in source:
                continue
            shown = "".join("".join(output.get("text", "")) for output in cell["outputs"])
            proven |= {match["id"] for match in _CHECK_CALL.finditer(source)
                       if f"✓ {match['id']}" in shown}
    assert sorted(set(FUNCTION_EXERCISES) - proven) == []


@pytest.mark.slow
@pytest.mark.any_profile
@pytest.mark.parametrize(("exercise", "index"), [
    pytest.param(exercise, index, id=f"{exercise}-{wrong.__name__}")
    for exercise, answers in WRONG_ANSWERS.items() for index, (wrong, _) in enumerate(answers)
])
def test_wrong_answer_fails_with_its_hint(exercise, index, probe_file):
    wrong, phrase = WRONG_ANSWERS[exercise][index]
    result = probe(exercise[:2], probe_file)["wrong"][exercise][index]
    assert result["answer"] == wrong.__name__
    assert not result["passed"], f"{exercise} accepted the wrong answer {wrong.__name__}"
    assert result["status"] == "failed", result
    assert phrase in result["hint"], f"{wrong.__name__}: {result['hint']!r}"


# --- the harness, in this process (01.1 needs no database) ----------------------------------------
def _stub(name, default):
    raise NotImplementedError()


def _crashes(name, default):
    values = {}
    return values[name]  # a learner's KeyError, two lines into the function


def test_a_stub_is_reported_as_not_implemented(capsys):
    result = check("01.1", _stub)
    out = capsys.readouterr().out
    assert not result and result.status == "not-implemented"
    assert out.startswith("✗ 01.1 env_int") and "not implemented yet" in out
    assert "Traceback" not in out


def test_a_learners_exception_is_its_failure_with_the_line(capsys):
    result = check("01.1", _crashes)
    assert result.status == "error"
    line = _crashes.__code__.co_firstlineno + 2
    assert f"your code raised KeyError: 'NEXUS_WEB_CONCURRENCY' (line {line} of _crashes)" \
        in capsys.readouterr().out


def test_calling_the_function_instead_of_passing_it_is_explained():
    result = run_check("01.1", 42)
    assert result.status == "failed" and "without calling it" in result.hint


def test_an_unknown_exercise_is_a_failure_not_an_exception():
    result = run_check("42.1", _stub)
    assert not result and "known: 00.1" in result.hint


def test_checks_never_raise_and_record_progress(progress_file, tmp_path, monkeypatch):
    report = tmp_path / "report.jsonl"
    monkeypatch.setenv(progress.REPORT_VAR, str(report))
    assert not check("01.1", _stub)
    stored = json.loads(progress_file.read_text())["exercises"]["01.1"]
    assert stored["passed"] is False and stored["hint"]
    assert json.loads(report.read_text())["id"] == "01.1"


def test_the_environment_is_restored_after_a_check():
    before = dict(os.environ)
    run_check("01.1", lambda name, default: default)
    assert dict(os.environ) == before


def test_running_the_solutions_is_not_the_learners_progress(progress_file, monkeypatch):
    monkeypatch.chdir(REPO_ROOT / "solutions")
    assert check("01.1", lambda name, default: default) is not None
    assert not progress_file.exists()
