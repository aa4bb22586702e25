"""The build track: the learner's own Django project, checked by running it for real.

- :mod:`nexus.build.project` — where the project lives (``my_project/``), a fresh skeleton;
- :mod:`nexus.build.run` — build steps and their checks (a fresh database, gunicorn, the probe);
- :mod:`nexus.build.probe` — the process that runs inside the learner's project;
- :mod:`nexus.build.contract` and ``contracts/lessonNN.py`` — the contract tests of each step.

A build step is an exercise with an id like ``"02.b1"``: ``check("02.b1")`` in a notebook,
``nexus check 02`` and ``nexus progress`` treat it like any other exercise.
"""

from nexus.build.project import PROJECT_DIRNAME, new_project, project_dir
from nexus.build.run import build_step, project_services_environment, steps

__all__ = [
    "PROJECT_DIRNAME", "build_step", "new_project", "project_dir", "project_services_environment",
    "steps",
]
