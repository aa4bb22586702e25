"""Fixtures for the toolkit's own tests: an isolated ``.nexus`` with its own embedded servers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus.database import TENANT_VAR
from nexus.paths import REPO_ROOT

SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND",
                "EMAIL_HOST", "EMAIL_PORT", "DJANGO_SETTINGS_MODULE",
                "NEXUS_MANAGED_VARS", "NEXUS_POSTGRES_PORT", "NEXUS_REDIS_PORT", "NEXUS_SMTP_PORT")


def run_nexus(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the ``nexus`` command as a learner would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "nexus.cli", *args], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=timeout, check=False,
    )


@pytest.fixture
def private_home() -> Iterator[Path]:
    """A fresh ``NEXUS_HOME`` outside pytest's ``tmp_path``, removed afterwards.

    As root the embedded PostgreSQL runs as another user, who must traverse every folder above
    its data. pytest takes group and other permissions back from ``/tmp/pytest-of-<user>`` each
    time a pytest session starts (``_pytest/tmpdir.py``), so on a machine running two suites at
    once (``.ci/run``) a live server under ``tmp_path`` lost its own files: initdb failed, or a
    backend crashed and the server dropped every connection.
    """
    base = REPO_ROOT / "build" / "test-homes"
    base.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="nexus-home-", dir=base))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def embedded_env(private_home: Path) -> dict[str, str]:
    """Environment of a learner with no external services and a private ``NEXUS_HOME``."""
    # Whatever the toolkit exported for the shared services (names it keeps in
    # NEXUS_MANAGED_VARS) goes too, so a new service's variables never leak into this test.
    exported = set(os.environ.get("NEXUS_MANAGED_VARS", "").split())
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS and k not in exported}
    env["NEXUS_HOME"] = str(private_home)
    env.pop(TENANT_VAR, None)  # its servers are its own: no name needs telling apart
    return env


@pytest.fixture
def isolated_services(embedded_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """Embedded services started in a private ``NEXUS_HOME``, stopped afterwards."""
    done = run_nexus("up", env=embedded_env)
    assert done.returncode == 0, done.stderr
    yield embedded_env
    run_nexus("down", env=embedded_env)
