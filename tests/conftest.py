"""What every test directory shares, and the private servers the sample project's tests ask for.

Shared: the course's JupyterLab as ``make course`` starts it (``course_lab``), for the toolkit's
test of ``nexus lab`` and the browser's of a learner's first open.

Its transactional tests end alone on their database (``testsupport.isolation``, the sample
project's own rule, applied to this folder too). And the course's suite answers the sample
project's hooks (``testsupport.standins``): a Chapa sandbox and a redis-server of a test's own,
which the sample project, tested alone, has no way to start.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nexus.paths import REPO_ROOT
from nexus.proc import free_port, port_answers, wait_until
from nexus.redis_tools import PrivateRedis
from nexus.standins.chapa import config as sandbox_config
from tests.chapa.conftest import Sandbox
from testsupport import standins
from testsupport.isolation import nothing_outlives_the_test  # noqa: F401  (autouse, applied here)


@dataclass
class PrivateSandbox(Sandbox):
    """The course's Chapa sandbox as ``testsupport.standins`` describes a private one."""

    webhook_attempts: int = sandbox_config.WEBHOOK_ATTEMPTS

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.running:
            self.process.terminate()
            self.process.wait(timeout=10)

    def close(self) -> None:
        self.stop()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """The sample project's hooks, also when its conftest is not loaded (``pytest tests/``)."""
    standins.add_hookspecs(pluginmanager)


@pytest.hookimpl(optionalhook=True)
def pytest_sample_project_private_chapa(home: Path) -> PrivateSandbox:
    sandbox = PrivateSandbox(home)
    sandbox.start()
    return sandbox


@pytest.hookimpl(optionalhook=True)
def pytest_sample_project_private_redis(home: Path, persistent: bool) -> PrivateRedis:
    return PrivateRedis(home, persistent=persistent)


@dataclass
class CourseLab:
    """A running ``nexus lab``: its port, login token and log."""

    port: int
    token: str
    log: Path

    def url(self, path: str) -> str:
        """``path`` on the lab, with the token that logs a browser in."""
        return f"http://127.0.0.1:{self.port}{path}?token={self.token}"


@pytest.fixture(scope="module")
def course_lab(tmp_path_factory) -> Iterator[CourseLab]:
    """``nexus lab --no-browser`` (what ``make course`` ends with) on a free port, for a module.

    With a Jupyter user config folder of its own (``JUPYTER_CONFIG_DIR``): a lab in a fresh
    home, as on a learner's first run, unchanged by whatever the machine's user set or answered.
    """
    home = tmp_path_factory.mktemp("lab")
    port = free_port()
    log = home / "lab.log"
    with open(log, "w") as out:
        lab = subprocess.Popen(
            [sys.executable, "-m", "nexus.cli", "lab", "--no-browser", "--port", str(port)],
            cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env=os.environ | {"JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                              "JUPYTER_CONFIG_DIR": str(home / "config")},
        )
    try:
        token = None
        deadline = time.monotonic() + 60
        while token is None and time.monotonic() < deadline and lab.poll() is None:
            time.sleep(0.5)
            found = re.search(rf"127\.0\.0\.1:{port}/\S*\?token=([0-9a-f]+)", log.read_text())
            token = found and found.group(1)
        assert token, f"JupyterLab did not start:\n{log.read_text()[-2000:]}"
        # jupyter_server logs the URL in start_app() and binds the socket in a callback that runs
        # once the event loop starts (ServerApp.init_httpserver): wait until it answers.
        serving = wait_until(lambda: port_answers(port) or lab.poll() is not None, 30)
        assert serving and lab.poll() is None, \
            f"JupyterLab printed its URL, then stopped (exit {lab.poll()}):\n" \
            f"{log.read_text()[-3000:]}"
        yield CourseLab(port, token, log)
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
        # JupyterLab, nexus lab's child in the same process group, outlived a SIGTERM once (it
        # was starting a kernel): what is left of the group after 15 s is killed.
        if not wait_until(lambda: not _group_alive(lab.pid), 15):
            os.killpg(lab.pid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
