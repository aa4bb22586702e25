"""``nexus lab``: JupyterLab on the welcome notebook, with the services ready."""

from __future__ import annotations

import os
import subprocess
import sys

from nexus import database, services
from nexus.paths import REPO_ROOT

WELCOME = "notebooks/00_welcome.ipynb"


def run_lab(*, open_browser: bool = True, port: int | None = None) -> int:
    """Start services, build the template if needed, then run JupyterLab until Ctrl-C."""
    for state in services.up():
        print(f"  {state.name:<9} {state.version} ({state.where}, {state.address})")
    services.export_environment()
    if database.ensure_template():
        print("  built the course template database")
    argv = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={REPO_ROOT}",
        f"--LabApp.default_url=/lab/tree/{WELCOME}",
        "--ServerApp.ip=127.0.0.1",
    ]
    if port:
        argv.append(f"--ServerApp.port={port}")
    if not open_browser:
        argv.append("--no-browser")
    if os.geteuid() == 0:  # containers and CI machines run as root; Jupyter refuses without this
        argv.append("--allow-root")
    print(f"\nOpening JupyterLab on {WELCOME} (Ctrl-C to stop; `nexus down` stops the services)")
    try:
        return subprocess.call(argv, env=os.environ.copy())
    except KeyboardInterrupt:
        return 0
