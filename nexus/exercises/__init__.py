"""Exercises that check themselves.

``solutions/NN_topic.ipynb`` is the one source: :mod:`~nexus.exercises.generator` turns it into the
learner's ``exercises/NN_topic.ipynb``. In a notebook, ``check("01.2", my_function)`` runs that
exercise's registered check (:mod:`~nexus.exercises.checks`); ``nexus check NN`` runs a whole
exercise notebook headless and prints a table; ``nexus progress`` shows the course.
"""

from __future__ import annotations

from nexus.exercises.harness import CheckResult, check
from nexus.exercises.registry import Fail

__all__ = ["CheckResult", "Fail", "check"]
