"""``check("01.2", thing)``: run an exercise's real check and print ✓ or ✗ with a hint.

A check never raises: a wrong answer, a stub's ``NotImplementedError`` or any exception in the
learner's code becomes that exercise's ✗ (with the line), so the rest of the notebook still runs.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from nexus.exercises import progress, registry
from nexus.exercises.checks.support import describe
from nexus.exercises.registry import Fail

_TOOLKIT = Path(__file__).resolve().parent.parent
_LIBRARIES = tuple({str(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


@dataclass
class CheckResult:
    """What a check found; true when the exercise passed."""

    id: str
    title: str
    passed: bool
    status: str = "passed"  # passed | failed | not-implemented | error | unknown
    expected: str = ""
    got: str = ""
    hint: str = ""
    look: str = ""
    #: What a passed build check ran ("manage.py check · migrate · 5 contract tests").
    ran: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def report(self) -> str:
        """The text a learner reads under the check cell."""
        mark = "✓" if self.passed else "✗"
        lines = [f"{mark} {self.id} {self.title}".rstrip()]
        for label, text in (("ran", self.ran), ("expected", self.expected), ("got", self.got),
                            ("hint", self.hint), ("look at", self.look)):
            if text:
                lines.append(f"    {label:<10}{text}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return asdict(self)

    def __repr__(self) -> str:
        return f"<check {self.id}: {self.status}>"

    def _ipython_display_(self) -> None:
        """The report is already printed; showing the object again would only repeat it."""


def _is_learner_frame(filename: str) -> bool:
    """A frame of the learner's code: not the toolkit, not Python or an installed library."""
    try:
        path = str(Path(filename).resolve())
    except (OSError, ValueError):
        return True
    if path.startswith(str(_TOOLKIT)):
        return False
    return not path.startswith(_LIBRARIES)


def _where(exc: BaseException) -> tuple[bool, str]:
    """Whether the learner's code is on the traceback, and its deepest line there."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _is_learner_frame(f.filename)]
    if not frames:
        return False, ""
    frame = frames[-1]
    return True, f"line {frame.lineno} of {frame.name}" if frame.name != "<module>" \
        else f"line {frame.lineno}"


def _django_ready() -> bool:
    if "django" not in sys.modules:
        return False
    from django.apps import apps

    return apps.ready


def run_check(exercise_id: str, thing: object) -> CheckResult:
    """Run the check of ``exercise_id`` against ``thing`` and return the result (no printing)."""
    exercise = registry.get(exercise_id)
    if exercise is None:
        known = ", ".join(e.id for e in registry.exercises())
        return CheckResult(exercise_id, "", False, "unknown",
                           hint=f"there is no exercise {exercise_id!r} (known: {known})")
    result = CheckResult(exercise.id, exercise.title, False, "failed")
    if exercise.is_build:
        return _run_build_step(exercise, thing, result)
    name = getattr(thing, "__name__", type(thing).__name__)
    if exercise.needs_django and not _django_ready():
        result.hint = "Django is not set up in this kernel: run the notebook's first cell " \
                      "(nexus.start) first, then this one."
        return result
    if not callable(thing):
        result.expected = f'the function itself, e.g. check("{exercise.id}", my_function)'
        result.got = f"a value of type {type(thing).__name__}"
        result.hint = "pass the function without calling it: no () after its name."
        return result
    try:
        exercise.run(thing)
    except Fail as failure:
        result.expected, result.got = failure.expected, failure.got
        result.hint, result.look = failure.hint, failure.look
    except NotImplementedError as exc:
        mine, line = _where(exc)
        result.status = "not-implemented"
        result.got = "not implemented yet" + (f" (NotImplementedError at {line})" if mine else "")
        result.hint = f"replace `raise NotImplementedError()` in {name} with your code, " \
                      "run that cell, then run this check again."
    except Exception as exc:  # any exception in the learner's code is this exercise's failure
        mine, line = _where(exc)
        result.status = "error"
        if mine:
            result.got = f"your code raised {describe(exc, 300)} ({line})"
            result.hint = "read the error and the line it names; fix it, re-run that cell, " \
                          "then this check."
        else:
            result.got = f"the check itself failed: {describe(exc, 300)}"
            result.hint = "this looks like a bug in the course, not in your code: please report " \
                          "it with this message."
    else:
        result.passed, result.status = True, "passed"
    return result


def _run_build_step(exercise: registry.Exercise, project: object,
                    result: CheckResult) -> CheckResult:
    """A build step: its check runs the learner's project (``project``, else the default one)."""
    try:
        ran = exercise.run(project)
    except Fail as failure:
        result.expected, result.got = failure.expected, failure.got
        result.hint, result.look = failure.hint, failure.look
    except Exception as exc:  # the learner's code runs in other processes: this is ours
        result.status = "error"
        result.got = f"the check itself failed: {describe(exc, 300)}"
        result.hint = "this looks like a bug in the course, not in your project: please " \
                      "report it with this message."
    else:
        result.passed, result.status, result.ran = True, "passed", ran or ""
    return result


def check(exercise_id: str, thing: object = None) -> CheckResult:
    """Check the learner's answer to exercise ``exercise_id``; print ✓ or ✗ and a hint.

    For a function exercise ``thing`` is the learner's function; for a build step ("02.b1") it
    may name the project folder to check (default: ``my_project/``, see :mod:`nexus.build`).

    Returns a :class:`CheckResult` (true when passed) and never raises, so later cells still run.
    """
    result = run_check(exercise_id, thing)
    print(result.report())
    progress.record_exercise(result.to_dict())
    return result
