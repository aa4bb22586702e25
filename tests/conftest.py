"""What every test directory shares, and the private servers the sample project's tests ask for.

Its transactional tests end alone on their database (``testsupport.isolation``, the sample
project's own rule, applied to this folder too). And the course's suite answers the sample
project's hooks (``testsupport.standins``): a Chapa sandbox and a redis-server of a test's own,
which the sample project, tested alone, has no way to start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from nexus.redis_tools import PrivateRedis
from nexus.standins.chapa import config as sandbox_config
from tests.chapa.conftest import Sandbox
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


@pytest.hookimpl(optionalhook=True)
def pytest_sample_project_private_chapa(home: Path) -> PrivateSandbox:
    sandbox = PrivateSandbox(home)
    sandbox.start()
    return sandbox


@pytest.hookimpl(optionalhook=True)
def pytest_sample_project_private_redis(home: Path, persistent: bool) -> PrivateRedis:
    return PrivateRedis(home, persistent=persistent)
