"""``nexus lab`` (what ``make course`` ends with) serves JupyterLab on the welcome notebook."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from nexus.paths import REPO_ROOT
from nexus.proc import free_port, port_answers, wait_until


@pytest.mark.slow
def test_lab_serves_the_welcome_notebook(tmp_path):
    port = free_port()
    log = tmp_path / "lab.log"
    with open(log, "w") as out:
        lab = subprocess.Popen(
            [sys.executable, "-m", "nexus.cli", "lab", "--no-browser", "--port", str(port)],
            cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env=os.environ | {"JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")},
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
        page = requests.get(f"http://127.0.0.1:{port}/lab/tree/notebooks/00_welcome.ipynb",
                            params={"token": token}, timeout=10)
        assert page.status_code == 200
        contents = requests.get(f"http://127.0.0.1:{port}/api/contents/notebooks",
                                params={"token": token}, timeout=10).json()
        assert "00_welcome.ipynb" in {item["name"] for item in contents["content"]}
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
