"""Proof 1: ``exercises/`` is exactly what the generator makes from ``solutions/``."""

from __future__ import annotations

import re

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus.errors import NexusError
from nexus.exercises import generator, registry
from nexus.exercises.generator import EXERCISES, SOLUTIONS, strip_solutions

#: The same in every profile (reads and writes notebooks):
#: the external profile's run leaves it out.
pytestmark = pytest.mark.any_profile

CHECK_CALL = re.compile(r"""check\(\s*["'](\d{2}\.b?\d+)["']""")


def test_exercises_are_exactly_what_the_generator_makes():
    generated = generator.generate()
    assert generated, "no solutions notebooks found"
    for item in generated:
        assert item.target.read_text(encoding="utf-8") == item.text, (
            f"{item.target.name} is out of date: run `make exercises`"
        )
    assert generator.stale() == []
    assert sorted(p.name for p in EXERCISES.glob("*.ipynb")) == \
        sorted(p.name for p in SOLUTIONS.glob("*.ipynb"))


def test_generating_twice_gives_the_same_bytes():
    first = [g.text for g in generator.generate()]
    assert first == [g.text for g in generator.generate()]


def test_exercises_keep_cell_ids_and_store_no_outputs():
    for item in generator.generate():
        solution = nbformat.read(item.source, as_version=4)
        exercise = nbformat.reads(item.text, as_version=4)
        assert [c.id for c in exercise.cells] == [c.id for c in solution.cells]
        for cell in exercise.cells:
            assert "### BEGIN SOLUTION" not in cell.source
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


def test_solutions_store_outputs_for_nbval():
    """nbval never compares a cell without an execution count: strict mode needs them all."""
    for path in SOLUTIONS.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.execution_count is not None, f"{path.name} {cell.id}: run `make golden`"


def test_every_registered_exercise_has_exactly_one_check_cell():
    calls: list[str] = []
    for path in SOLUTIONS.glob("*.ipynb"):
        lesson = path.name[:2]
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                found = CHECK_CALL.findall(cell.source)
                assert all(i.startswith(lesson + ".") for i in found), (path.name, found)
                calls += found
    assert sorted(calls) == sorted(e.id for e in registry.exercises())


def test_each_exercise_notebook_starts_with_intro_then_one_bootstrap_and_ends_with_recap():
    for path in SOLUTIONS.glob("*.ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        assert cells[0].cell_type == "markdown" and cells[-1].cell_type == "markdown"
        assert "Recap" in cells[-1].source
        code = [c for c in cells if c.cell_type == "code"]
        assert code[0].source.startswith("import nexus")
        assert f'nexus.start("{path.name[:2]}-exercises")' in code[0].source
        assert sum("nexus.start(" in c.source for c in code) == 1


def test_solution_region_becomes_a_stub_at_its_indentation():
    source = ("def f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION\n    return x + 1\n"
              "    ### END SOLUTION\n\n\nclass A:\n    def g(self):\n        ### BEGIN SOLUTION\n"
              "        pass\n        ### END SOLUTION")
    assert strip_solutions(source) == (
        "def f(x):\n    \"\"\"Doc.\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
        "\n\nclass A:\n    def g(self):\n        # YOUR CODE HERE\n"
        "        raise NotImplementedError()")


def test_hidden_tests_are_dropped_and_markdown_answers_blanked():
    code = "x = 1\n### BEGIN HIDDEN TESTS\nassert x == 1\n### END HIDDEN TESTS\ny = 2"
    assert strip_solutions(code) == "x = 1\ny = 2"
    text = "Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"
    assert strip_solutions(text, cell_type="markdown") == "Why?\n\nYOUR ANSWER HERE"


@pytest.mark.parametrize("source", [
    "### BEGIN SOLUTION\nx = 1",
    "x = 1\n### END SOLUTION",
    "### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION",
])
def test_unbalanced_markers_are_an_error(source):
    with pytest.raises(NexusError):
        strip_solutions(source, where="nb cell 'x'")


@given(st.text())
def test_text_without_markers_is_unchanged(text):
    source = text.replace("###", "")
    assert strip_solutions(source) == source


def test_regenerating_refuses_to_overwrite_a_learners_work(tmp_path):
    worked = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", id="a")])
    worked.cells[0].execution_count = 1
    path = tmp_path / "00_welcome.ipynb"
    nbformat.write(worked, path)
    assert generator.has_learner_work(path)
    worked.cells[0].execution_count = None
    nbformat.write(worked, path)
    assert not generator.has_learner_work(path)


def test_nexus_exercises_check_reports_up_to_date(capsys):
    assert generator.run(check_only=True) == 0
    assert "up to date" in capsys.readouterr().out
