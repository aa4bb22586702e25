"""Where things live: the repository, the sample project and the course's state folder."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["REPO_ROOT", "SAMPLE_PROJECT", "SETTINGS_MODULE", "state_dir"]

#: The repository root (the folder holding ``pyproject.toml`` and ``sample_project/``).
REPO_ROOT = Path(__file__).resolve().parent.parent
#: The bundled Django project; it is put on ``sys.path`` by :func:`nexus.start`.
SAMPLE_PROJECT = REPO_ROOT / "sample_project"
#: The sample project's settings for everything the course runs (notebooks, servers, workers).
SETTINGS_MODULE = "config.settings.local"


def state_dir() -> Path:
    """Return the folder that holds service data, ports and pid files (``.nexus/``, gitignored).

    ``NEXUS_HOME`` overrides it, which the toolkit's own tests use to run isolated services.
    """
    path = Path(os.environ.get("NEXUS_HOME") or REPO_ROOT / ".nexus").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
