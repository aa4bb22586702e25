"""The learner's own Django project: where it lives and how a fresh one is made.

It is one folder of the repository, ``my_project/`` (gitignored, so the learner may ``git init``
it and push it as their own), laid out like the sample project: ``manage.py`` next to a
``config`` package. The learner creates it in lesson 01 with Django's own command::

    mkdir my_project && django-admin startproject config my_project

``nexus project new`` does the same for anyone who wants to start over (the old folder is moved
aside, never deleted). ``NEXUS_PROJECT`` points the checks at another folder.

Running the worked solutions (``solutions/``, what ``make test`` executes) checks the sample
project instead: it is the model answer of every build step.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from nexus.errors import NexusError
from nexus.exercises.progress import running_solutions
from nexus.paths import REPO_ROOT, SAMPLE_PROJECT

#: The folder of the learner's project, in the repository (see .gitignore).
PROJECT_DIRNAME = "my_project"
#: Points the build checks at another project folder.
PROJECT_VAR = "NEXUS_PROJECT"
#: The project package ``startproject`` creates; the build steps' names assume it.
PACKAGE = "config"


def project_dir(project: str | os.PathLike[str] | None = None) -> Path:
    """The project folder a build check looks at.

    ``project`` if given, else ``$NEXUS_PROJECT``, else the sample project when the worked
    solutions run, else ``my_project/`` at the repository root.
    """
    if project is not None:
        return Path(project).expanduser().resolve()
    if os.environ.get(PROJECT_VAR):
        return Path(os.environ[PROJECT_VAR]).expanduser().resolve()
    if running_solutions():
        return SAMPLE_PROJECT
    return REPO_ROOT / PROJECT_DIRNAME


def new_project(folder: Path | None = None) -> tuple[Path, Path | None]:
    """Create a fresh skeleton with ``django-admin startproject config <folder>``.

    An existing folder is first renamed ``<folder>.<UTC time>`` (nothing is lost). Returns the
    new folder and where the old one went (``None`` if there was none).
    """
    folder = (folder or REPO_ROOT / PROJECT_DIRNAME).resolve()
    if folder == SAMPLE_PROJECT.resolve():
        raise NexusError("project", "that is the sample project, the model answer",
                         f"pick another folder, e.g. {PROJECT_DIRNAME}/")
    moved = None
    if folder.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        moved = folder.with_name(f"{folder.name}.{stamp}")
        folder.rename(moved)
    folder.mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "django", "startproject", PACKAGE, str(folder)],
        capture_output=True, text=True, check=False,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    if done.returncode != 0:
        raise NexusError("project", f"`django-admin startproject {PACKAGE} {folder}` failed: "
                         f"{(done.stderr or done.stdout).strip()}")
    return folder, moved
