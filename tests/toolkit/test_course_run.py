"""``nexus run``: every notebook in order; a failure is named with its cell and the run goes on."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nexus import course_run


def write(path, *sources):
    notebook = new_notebook(cells=[new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, path)


@pytest.mark.slow
def test_a_failing_notebook_is_named_with_its_cell_and_the_run_continues(tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    write(lessons / "01_ok.ipynb", "x = 1", "print(x)")
    write(lessons / "02_broken.ipynb", "y = 2", "y / 0", "print('never')")
    write(lessons / "03_after.ipynb", "print('still run')")
    out = tmp_path / "build"

    results = course_run.run_course([str(lessons)], out_dir=out, progress_bar=False)

    assert [(r.notebook.split("/")[-1], r.ok) for r in results] == [
        ("01_ok.ipynb", True), ("02_broken.ipynb", False), ("03_after.ipynb", True)]
    broken = results[1]
    assert broken.failure.startswith("cell 2 (In [2]): ZeroDivisionError")
    assert broken.cells == 3
    report = (out / "report.md").read_text()
    assert "| ✗ failed |" in report and "ZeroDivisionError" in report
    assert "2 of 3 notebooks passed" in report
    assert "<tr class='failed'>" in (out / "report.html").read_text()
    assert (out / "03_after.ipynb").exists()
    # the originals are untouched: no outputs were written into them
    assert not nbformat.read(lessons / "01_ok.ipynb", as_version=4).cells[1].outputs
