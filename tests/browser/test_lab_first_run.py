"""A learner's first open of the course's JupyterLab: the welcome notebook, and no question about
"official Jupyter news" over it (its "yes" would send the lab to the internet), no request to
another host (see ``nexus/lab.py`` for the config that turns those off)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.slow, pytest.mark.any_profile]  # JupyterLab's first open, any profile


def test_the_first_open_shows_the_notebook_and_asks_nothing(watched_page, course_lab):
    page, trouble = watched_page
    slow = 60_000  # ms: a first open builds the page and starts the notebook's kernel
    page.goto(course_lab.url("/lab/tree/notebooks/00_welcome.ipynb"))
    title = page.locator(".jp-Notebook .jp-MarkdownOutput h1").first
    expect(title).to_contain_text("Welcome", timeout=slow)
    # The kernel is idle: the lab has restored its layout and loaded its settings, and the
    # announcements plugin, which asks once both are done, would have asked by now.
    idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    expect(idle).to_be_attached(timeout=slow)
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("official Jupyter news")).to_have_count(0)
    assert not trouble, trouble.report()
