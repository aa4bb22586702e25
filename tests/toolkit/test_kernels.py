"""The kernels the toolkit's commands start (``nexus.kernels``): their own output stays in a log."""

from __future__ import annotations

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from nexus.kernels import LocalKernelManager


def run_in_a_toolkit_kernel(source: str):
    """Run one cell in a fresh ``LocalKernelManager`` kernel; returns its log's path."""
    notebook = new_notebook(cells=[new_code_cell(source)])
    client = NotebookClient(notebook, kernel_name="python3", timeout=60, startup_timeout=120,
                            kernel_manager_class=LocalKernelManager)
    with client.setup_kernel():
        log = client.km.kernel_log
        client.execute_cell(notebook.cells[0], 0)
    return log


@pytest.mark.slow
def test_what_the_kernel_process_writes_itself_goes_to_its_log_not_to_the_terminal(
        capfd, tmp_path, monkeypatch):
    # What ipykernel logs to its own stderr, e.g. a race of its shutdown, never reaches the
    # terminal of `nexus check`; under pytest the kernel's fds 1 and 2 are its raw streams.
    monkeypatch.setenv("NEXUS_HOME", str(tmp_path))
    log = run_in_a_toolkit_kernel(
        "import os\nos.write(1, b'kernel fd 1\\n')\nos.write(2, b'kernel fd 2\\n')")
    out, err = capfd.readouterr()
    assert "kernel fd" not in out + err
    assert log.parent == tmp_path / "kernel"
    assert log.read_text().splitlines() == ["kernel fd 1", "kernel fd 2"]


@pytest.mark.slow
def test_a_kernel_with_nothing_to_say_leaves_no_log(tmp_path, monkeypatch):
    monkeypatch.setenv("NEXUS_HOME", str(tmp_path))
    log = run_in_a_toolkit_kernel("1 + 1")
    assert log is not None and not log.exists()
