"""The course's pytest plugin: how ``make test`` splits the suite over pytest-xdist workers."""

from __future__ import annotations

import pytest

from nexus.pytest_plugin import xdist_scope

#: The same in every profile (pure functions):
#: the external profile's run leaves it out.
pytestmark = pytest.mark.any_profile


@pytest.mark.parametrize(("nodeid", "scope"), [
    # A notebook's cells run in one kernel, in order: the notebook is one unit.
    ("notebooks/05_caching.ipynb::Cell 12", "notebooks/05_caching.ipynb"),
    # A module's tests share its module-scoped fixtures (a Celery worker, an SMTP sink).
    ("sample_project/tests/tasks/test_booking_tasks.py::test_retry[3]",
     "sample_project/tests/tasks/test_booking_tasks.py"),
    ("tests/toolkit/test_cli.py::TestHelp::test_lists", "tests/toolkit/test_cli.py"),
    # Tests parametrized by exercise or build step split by lesson.
    ("tests/exercises/test_checks.py::test_wrong_answer_fails_with_its_hint[05.2-no_index]",
     "tests/exercises/test_checks.py#05"),
    ("tests/exercises/test_checks.py::test_wrong_answer_fails_with_its_hint[11.3-4]",
     "tests/exercises/test_checks.py#11"),
    ("tests/build_track/test_build_steps.py::test_a_wrong_project_is_rejected[02.b1-no-user]",
     "tests/build_track/test_build_steps.py#02"),
    # A lesson number alone ("[05]") is not an exercise: the runner's tests stay together.
    ("tests/exercises/test_runner.py::test_every_stub_fails[05]",
     "tests/exercises/test_runner.py"),
])
def test_the_unit_of_scheduling_is_the_file_or_a_lesson_of_it(nodeid, scope):
    assert xdist_scope(nodeid) == scope
