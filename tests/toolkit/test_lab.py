"""``nexus lab`` (what ``make course`` ends with) serves JupyterLab on the welcome notebook, with
the course's Jupyter config: nothing in it reaches the internet (see ``nexus/lab.py``)."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys

import pytest
import requests

from nexus.lab import JUPYTER_CONFIG

pytestmark = pytest.mark.slow


def test_lab_serves_the_welcome_notebook(course_lab):
    page = requests.get(course_lab.url("/lab/tree/notebooks/00_welcome.ipynb"), timeout=10)
    assert page.status_code == 200
    contents = requests.get(course_lab.url("/api/contents/notebooks"), timeout=10).json()
    assert "00_welcome.ipynb" in {item["name"] for item in contents["content"]}


def page_config(course_lab) -> dict:
    """The configuration JupyterLab's server gives its page (``jupyter-config-data``)."""
    page = requests.get(course_lab.url("/lab/tree/notebooks/00_welcome.ipynb"), timeout=10).text
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                      page, re.DOTALL)
    assert found, "no jupyter-config-data in the lab's page"
    return json.loads(found.group(1))


def test_the_lab_asks_about_no_news_and_fetches_none(course_lab):
    config = page_config(course_lab)
    # The plugin that asks "Would you like to get notified about official Jupyter news?" on a
    # first open, then fetches news and checks for updates: off.
    assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]
    # The server has no news feed to fetch (LabApp.news_url = None)...
    assert config["news"] == {"disabled": True}
    # ...and its Extension Manager asks PyPI for nothing.
    assert config["extensionManager"]["name"] == "read-only"


def test_the_course_config_turns_off_the_update_check():
    # Not in the page config: JupyterLab's own report of the config it read from the folder.
    shown = subprocess.run([sys.executable, "-m", "jupyterlab", "--show-config"],
                           env=os.environ | {"JUPYTER_CONFIG_PATH": str(JUPYTER_CONFIG)},
                           capture_output=True, text=True, timeout=120, check=True).stdout
    lines = shown.splitlines()
    lab = set(itertools.takewhile(lambda line: line.startswith("  ."),
                                  lines[lines.index("LabApp") + 1:]))
    assert "  .check_for_updates_class = 'jupyterlab.NeverCheckForUpdate'" in lab
    assert "  .news_url = None" in lab
