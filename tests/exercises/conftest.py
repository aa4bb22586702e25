"""Keep the exercise tests' results out of the learner's ``.nexus/progress.json``."""

from __future__ import annotations

import pytest

from nexus.exercises.progress import PROGRESS_VAR


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    """A private progress file for each test (kernels and subprocesses inherit the variable)."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv(PROGRESS_VAR, str(path))
    return path
