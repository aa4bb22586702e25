"""``nexus lab``: JupyterLab on the welcome notebook, with the services ready.

JupyterLab reads the course's own Jupyter config, ``nexus/jupyter/`` (put first on
``JUPYTER_CONFIG_PATH``), which turns off what would reach the internet from a learner's lab:

- ``labconfig/page_config.json`` disables the frontend plugin
  ``@jupyterlab/apputils-extension:announcements``, which on a first open asks over the notebook
  whether to fetch "official Jupyter news" and, once answered, asks the server for a newer
  JupyterLab (and, after a yes, for the news);
- ``jupyter_lab_config.json`` makes the server side fetch neither: ``LabApp.news_url`` None (no
  news feed) and ``LabApp.check_for_updates_class`` ``jupyterlab.NeverCheckForUpdate`` (no PyPI).
  (Both are the levels JupyterLab's user guide names, under "Announcements".) It also makes the
  Extension Manager ``readonly``: it lists what is installed and asks PyPI for nothing, where the
  default ``pypi`` manager looks up each installed extension's latest version there.

A lab started by hand (``jupyter lab``) reads the config too with
``JUPYTER_CONFIG_PATH=nexus/jupyter``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nexus import database, services
from nexus.paths import REPO_ROOT

WELCOME = "notebooks/00_welcome.ipynb"
#: The course's Jupyter config folder (see the module's docstring).
JUPYTER_CONFIG = Path(__file__).resolve().parent / "jupyter"


def _lab_environment() -> dict[str, str]:
    """This process's environment with the course's Jupyter config first on
    ``JUPYTER_CONFIG_PATH`` (ahead of any folders the learner put there)."""
    env = os.environ.copy()
    theirs = env.get("JUPYTER_CONFIG_PATH")
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [str(JUPYTER_CONFIG), theirs]))
    return env


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
        return subprocess.call(argv, env=_lab_environment())
    except KeyboardInterrupt:
        return 0
