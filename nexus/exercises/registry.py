"""The exercises the course knows: one registered check per exercise id ("01.2").

Checks live here, in the toolkit, never in notebook metadata: the check a learner runs in a
notebook, the one ``nexus check`` runs and the one CI runs are the same function.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field

#: Modules in :mod:`nexus.exercises.checks` named ``lessonNN`` register a lesson and its
#: exercises; a new lesson's checks are one new module there, found automatically.
CHECK_MODULE = re.compile(r"lesson\d{2}")

#: "02.3" is a function exercise, "02.b1" a build step (a file of the learner's own project).
_ID = re.compile(r"(?P<lesson>\d{2})\.(?P<build>b?)(?P<number>\d+)")


@dataclass(frozen=True)
class Lesson:
    """A lesson that has exercises: its number ("01") and title."""

    number: str
    title: str


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id, a short title and the function that checks a learner's answer."""

    id: str
    title: str
    run: Callable[..., None] = field(repr=False)
    #: The check needs Django set up (the notebook's ``nexus.start`` cell has run).
    needs_django: bool = True

    @property
    def lesson(self) -> str:
        return self.id.split(".")[0]

    @property
    def is_build(self) -> bool:
        """A build step: its check runs the learner's project (``run(project_dir)``)."""
        return ".b" in self.id

    @property
    def sort_key(self) -> tuple[int, int, int]:
        match = _ID.fullmatch(self.id)
        assert match is not None  # ids are validated when registered
        return int(match["lesson"]), bool(match["build"]), int(match["number"])


class Fail(Exception):  # it reads as `raise Fail(...)` in a check
    """Raised by a check when the learner's answer is wrong.

    ``expected`` and ``got`` say what should have happened and what did; ``hint`` teaches what to
    change without giving the answer; ``look`` says where to read up.
    """

    def __init__(self, *, expected: str, got: str, hint: str, look: str = "") -> None:
        self.expected = expected
        self.got = got
        self.hint = hint
        self.look = look
        super().__init__(hint)


_LESSONS: dict[str, Lesson] = {}
_EXERCISES: dict[str, Exercise] = {}


def lesson(number: str, title: str) -> Lesson:
    """Register lesson ``number`` (called once at the top of its checks module)."""
    _LESSONS[number] = Lesson(number, title)
    return _LESSONS[number]


def exercise(exercise_id: str, title: str, *, needs_django: bool = True):
    """Decorator: register the decorated function as the check of ``exercise_id``."""
    match = _ID.fullmatch(exercise_id)
    if not match:
        raise ValueError(f"exercise ids look like '01.2' (or '01.b1' for a build step), "
                         f"not {exercise_id!r}")
    if exercise_id in _EXERCISES:
        raise ValueError(f"exercise {exercise_id} is registered twice")

    def register(run: Callable[..., None]) -> Callable[..., None]:
        _EXERCISES[exercise_id] = Exercise(exercise_id, title, run, needs_django)
        return run

    return register


def check_modules() -> list[str]:
    """The ``lessonNN`` modules of :mod:`nexus.exercises.checks`, in lesson order."""
    from nexus.exercises import checks

    names = (info.name for info in pkgutil.iter_modules(checks.__path__))
    return sorted(name for name in names if CHECK_MODULE.fullmatch(name))


def _load() -> None:
    for module in check_modules():
        importlib.import_module(f"nexus.exercises.checks.{module}")


def exercises(lesson_number: str | None = None) -> list[Exercise]:
    """All registered exercises (of one lesson if given), in course order."""
    _load()
    found = [e for e in _EXERCISES.values() if lesson_number in (None, e.lesson)]
    return sorted(found, key=lambda e: e.sort_key)


def get(exercise_id: str) -> Exercise | None:
    """The exercise with this id, or ``None``."""
    _load()
    return _EXERCISES.get(exercise_id)


def lessons() -> list[Lesson]:
    """The lessons that have exercises, in course order."""
    _load()
    return sorted(_LESSONS.values(), key=lambda lesson: lesson.number)
