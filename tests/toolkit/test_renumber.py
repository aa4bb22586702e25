"""``nexus renumber``: lessons renumbered in one step, on a small course and on a copy of this one.

Nothing here runs a notebook or imports Django: the tool reads and writes text and JSON.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from nexus import renumber
from nexus.cli import main
from nexus.errors import NexusError, UsageError
from nexus.exercises import generator, progress
from nexus.paths import REPO_ROOT

#: Pure file work: the same in every service profile.
pytestmark = pytest.mark.any_profile

LESSONS = {"04": "auth", "05": "caching", "06": "celery"}
#: Text that looks like lesson numbers and must come through unchanged.
LOOK_ALIKES = ("Django 5.2.06 on 2026-05-06 at 06:30, http://127.0.0.1:8005/, ratio 0.06, "
               "HSTS 05, `{'month': '06'}`, 12.5 ms")


# --- a small course in tmp_path ------------------------------------------------------------------
def _notebook(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"}}
    return notebook


def _code(source: str, cell_id: str, output: str = "") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, id=cell_id, execution_count=1)
    if output:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    return cell


def _lesson_notebook(number: str, slug: str) -> nbformat.NotebookNode:
    following = {"04": "05", "05": "06"}.get(number)
    cells = [
        nbformat.v4.new_markdown_cell(f"# {number} · {slug.title()}\n\nSee lesson 04 and "
                                      "lessons 05 and 06; section 6 of lesson 05.\n"
                                      + LOOK_ALIKES, id=f"{slug}-01"),
        _code(f'import nexus\nnexus.start("{number}")', f"{slug}-02",
              f"Nexus · lesson {number} is ready\n  database  nexus_nb_{number}, a copy\n"),
        nbformat.v4.new_markdown_cell(
            f"Exercises: [`exercises/{number}_{slug}.ipynb`](../exercises/{number}_{slug}.ipynb)"
            f"; `nexus check {number}` in a terminal.\n"
            + (f"\n**Next:** [{following} · {LESSONS[following].title()}]"
               f"({following}_{LESSONS[following]}.ipynb)." if following else ""),
            id=f"{slug}-03"),
    ]
    return _notebook(cells)


def _solution_notebook(number: str, slug: str) -> nbformat.NotebookNode:
    return _notebook([
        nbformat.v4.new_markdown_cell(f"# {number} · Exercises", id="intro"),
        _code(f'import nexus\nnexus.start("{number}-exercises")', "bootstrap"),
        nbformat.v4.new_markdown_cell(f"## Exercise {number}.1 · a task (easy)\n\n"
                                      f"*Where to look:* lesson {number}.",
                                      id=f"ex-{number}-1-task"),
        _code("def answer():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
              f"ex-{number}-1-code"),
        _code(f'check("{number}.1", answer)', f"ex-{number}-1-check",
              f"✓ {number}.1 a task\n"),
        nbformat.v4.new_markdown_cell("## Recap", id="recap"),
    ])


CHECKS_MODULE = '''"""Lesson {n} — {slug}.

{n}.1 answer — the mistakes it argues against.
"""

from nexus.exercises.registry import exercise, lesson

LESSON = lesson("{n}", "{title}")


# --- {n}.1 ---
@exercise("{n}.1", "a task")
def check_answer(answer) -> None:
    look = 'lesson {n}, "1. The part"'
    queue = f"check-{n}-1-{{look}}"
'''

WRONG_ANSWERS = '''"""Plausible wrong answers to the exercises of lesson {n}."""

WRONG_ANSWERS = {{"{n}.1": [("return 2", "the hint")]}}
'''


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A course of three lessons (04, 05, 06), committed to git."""
    root = tmp_path / "course"
    for number, slug in LESSONS.items():
        for folder in ("notebooks", "solutions", "exercises"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        nbformat.write(_lesson_notebook(number, slug),
                       root / "notebooks" / f"{number}_{slug}.ipynb")
        solution = _solution_notebook(number, slug)
        nbformat.write(solution, root / "solutions" / f"{number}_{slug}.ipynb")
        nbformat.write(generator.exercise_notebook(solution),
                       root / "exercises" / f"{number}_{slug}.ipynb")
        checks = root / "nexus" / "exercises" / "checks" / f"lesson{number}.py"
        checks.parent.mkdir(parents=True, exist_ok=True)
        checks.write_text(CHECKS_MODULE.format(n=number, slug=slug, title=slug.title()))
        wrong = root / "tests" / "exercises" / f"wrong_answers_{number}.py"
        wrong.parent.mkdir(parents=True, exist_ok=True)
        wrong.write_text(WRONG_ANSWERS.format(n=number))
    (root / "README.md").write_text(
        "# Course\n\n| NN | lesson | NN | lesson |\n| --- | --- | --- | --- |\n"
        "| 04 | [Auth](notebooks/04_auth.ipynb) | 06 | [Celery](notebooks/06_celery.ipynb) |\n"
        "| 05 | [Caching](notebooks/05_caching.ipynb) | | |\n\n"
        f"{LOOK_ALIKES}\n")
    (root / "docs.md").write_text(
        "The signature checks of 04 and 06.\n"                  # a bare number: review
        "Lesson 5 is about caching.\n"                           # one digit: review
        "Measured: 05.1 s.\n"                                    # a measurement: untouched
        "Lessons 04–06 build the API.\n")                        # a range, now 04–07: review
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "the course")
    return root


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t",
                           *args], capture_output=True, text=True, check=True).stdout


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def _run(root: Path, *args: str, capsys) -> str:
    assert main(["renumber", "--root", str(root), *args]) == 0
    return capsys.readouterr().out


def _cells(path: Path) -> list[nbformat.NotebookNode]:
    return nbformat.read(path, as_version=4).cells


# --- the mapping -------------------------------------------------------------------------------
@pytest.mark.parametrize(("inserts", "moves", "expected"), [
    (["05"], {}, {"05": "06", "06": "07"}),
    (["04"], {}, {"04": "05", "05": "06", "06": "07"}),
    (["05", "07"], {}, {"05": "06", "06": "08"}),   # 05 new, 06 = old 05, 07 new, 08 = old 06
    (["05", "06"], {}, {"05": "07", "06": "08"}),
    (["07"], {}, {}),                                # after the last lesson: nothing moves
    ([], {"05": "06", "06": "05"}, {"05": "06", "06": "05"}),
    ([], {"6": "9"}, {"06": "09"}),
])
def test_the_mapping_from_inserts_and_moves(inserts, moves, expected):
    assert renumber.compute_mapping(["04", "05", "06"], inserts, moves) == expected


@pytest.mark.parametrize(("inserts", "moves", "message"), [
    ([], {"05": "06"}, "two lessons would be numbered 06"),
    (["05"], {"06": "05"}, "onto the inserted number"),
    ([], {"07": "08"}, "there is no lesson 07"),
    (["5a"], {}, "not a lesson number"),
])
def test_a_mapping_that_cannot_be_is_refused(inserts, moves, message):
    with pytest.raises(UsageError, match=message):
        renumber.compute_mapping(["04", "05", "06"], inserts, moves)


# --- rewriting text ----------------------------------------------------------------------------
def _rewrite(text: str, mapping: dict[str, str], *, where: str = "source") -> str:
    course = renumber.Course({n: frozenset({s}) for n, s in LESSONS.items()},
                             frozenset({"04.1", "05.1", "06.1", "05.b1"}))
    rewriter = renumber.Rewriter(course, mapping)
    return rewriter.phase_two(rewriter.phase_one(text, where=where))


def test_look_alikes_are_left_alone():
    assert _rewrite(LOOK_ALIKES, {"05": "06", "06": "07"}) == LOOK_ALIKES


@pytest.mark.parametrize(("before", "after"), [
    ("lesson 05", "lesson 06"),
    ("Lesson 05's checks", "Lesson 06's checks"),
    ("lessons 04, 05 and 06", "lessons 04, 06 and 07"),
    ("section 6 of lesson 05", "section 6 of lesson 06"),
    ('("Redis (lesson "\n "05) is shared")', '("Redis (lesson "\n "06) is shared")'),
    ("[06 · Celery](06_celery.ipynb)", "[07 · Celery](07_celery.ipynb)"),
    ("../exercises/05_caching.ipynb", "../exercises/06_caching.ipynb"),
    ("05_unknown.ipynb", "05_unknown.ipynb"),                    # no such lesson: review
    ('check("05.1", f) and check("05.b1")', 'check("06.1", f) and check("06.b1")'),
    ("✓ 05.1 a task", "✓ 06.1 a task"),
    ("Exercise 05.1 and 06.1", "Exercise 06.1 and 07.1"),
    ("05.1 answer — the mistake", "06.1 answer — the mistake"),
    ("05.7 is no exercise", "05.7 is no exercise"),
    ('nexus.start("05-exercises") nexus_nb_05_gw1', 'nexus.start("06-exercises") nexus_nb_06_gw1'),
    ("`nexus worker 06` and `nexus check 05`", "`nexus worker 07` and `nexus check 06`"),
    ('run_nexus("worker", "06") lesson("05", "Caching")',
     'run_nexus("worker", "07") lesson("06", "Caching")'),
    ("checks.lesson05 wrong_answers_05 wrong_06 lesson05-abc",
     "checks.lesson06 wrong_answers_06 wrong_07 lesson06-abc"),
    ('id="ex-05-1-code" f"check-05-1-{x}" f"check-05.1-{x}"',
     'id="ex-06-1-code" f"check-06-1-{x}" f"check-06.1-{x}"'),
    ("test_checks.py#05 t.py::test_x[05] [05.1-wrong]",
     "test_checks.py#06 t.py::test_x[06] [06.1-wrong]"),
])
def test_recognised_forms_are_rewritten(before, after):
    assert _rewrite(before, {"05": "06", "06": "07"}) == after


def test_chained_shifts_never_collide():
    text = "lesson 04, lesson 05, lesson 06: 04_auth 05_caching 06_celery"
    assert _rewrite(text, {"04": "05", "05": "06", "06": "07"}) == \
        "lesson 05, lesson 06, lesson 07: 05_auth 06_caching 07_celery"
    assert _rewrite(text, {"05": "06", "06": "05"}) == \
        "lesson 04, lesson 06, lesson 05: 04_auth 06_caching 05_celery"


def test_a_bare_exercise_id_in_a_stored_output_is_left_for_review():
    assert _rewrite("  3.9  05.1  in flight", {"05": "06"}, where="output") == \
        "  3.9  05.1  in flight"


# --- the plan and --apply on the small course ---------------------------------------------------
def test_a_dry_run_changes_nothing_and_shows_the_plan(course, capsys):
    before = _snapshot(course)
    out = _run(course, "--insert", "05=middleware", capsys=capsys)
    assert _snapshot(course) == before
    assert "lessons: 05→06, 06→07" in out
    assert "notebooks/05_caching.ipynb → notebooks/06_caching.ipynb" in out
    assert "nexus/exercises/checks/lesson06.py → nexus/exercises/checks/lesson07.py" in out
    assert "tests/exercises/wrong_answers_05.py → tests/exercises/wrong_answers_06.py" in out
    assert re.search(r"README.md +file 2, table 2", out)
    assert "dry run: nothing was changed" in out
    assert _git(course, "status", "--porcelain") == ""


def test_an_insertion_shifts_every_later_lesson(course, capsys):
    out = _run(course, "--insert", "05=middleware", "--apply", capsys=capsys)
    names = sorted(p.name for p in (course / "notebooks").iterdir())
    assert names == ["04_auth.ipynb", "06_caching.ipynb", "07_celery.ipynb"]
    assert sorted(p.name for p in (course / "nexus/exercises/checks").iterdir()) == \
        ["lesson04.py", "lesson06.py", "lesson07.py"]
    # git sees renames (history follows), and every change is staged
    status = _git(course, "status", "--porcelain")
    assert "R  notebooks/05_caching.ipynb -> notebooks/06_caching.ipynb" in status
    assert all(line[1] == " " for line in status.splitlines()), status
    # links, titles, outputs and ids of the moved lessons
    auth = _cells(course / "notebooks/04_auth.ipynb")
    assert "**Next:** [06 · Caching](06_caching.ipynb)." in auth[2].source
    assert "lessons 06 and 07; section 6 of lesson 06." in auth[0].source
    caching = _cells(course / "notebooks/06_caching.ipynb")
    assert caching[0].source.startswith("# 06 · Caching")
    assert caching[1].source.endswith('nexus.start("06")')
    assert caching[1].outputs[0].text == ("Nexus · lesson 06 is ready\n"
                                          "  database  nexus_nb_06, a copy\n")
    assert "(../exercises/06_caching.ipynb); `nexus check 06`" in caching[2].source
    assert "[07 · Celery](07_celery.ipynb)" in caching[2].source
    solution = _cells(course / "solutions/07_celery.ipynb")
    assert [c.id for c in solution][2:5] == ["ex-07-1-task", "ex-07-1-code", "ex-07-1-check"]
    assert solution[4].source == 'check("07.1", answer)'
    assert solution[4].outputs[0].text == "✓ 07.1 a task\n"
    checks = (course / "nexus/exercises/checks/lesson06.py").read_text()
    assert 'lesson("06", "Caching")' in checks and '@exercise("06.1"' in checks
    assert "\n06.1 answer" in checks and "# --- 06.1 ---" in checks
    assert 'f"check-06-1-{look}"' in checks and "'lesson 06, \"1. The part\"'" in checks
    assert '{"06.1": [' in (course / "tests/exercises/wrong_answers_06.py").read_text()
    readme = (course / "README.md").read_text()
    assert "| 04 | [Auth](notebooks/04_auth.ipynb) | 07 | [Celery](notebooks/07_celery.ipynb) |" \
        in readme
    assert "| 06 | [Caching](notebooks/06_caching.ipynb) |" in readme
    assert readme.endswith(LOOK_ALIKES + "\n") and LOOK_ALIKES in caching[0].source
    # notebooks are written as the toolkit writes them; exercises still match their solutions
    for path in course.glob("*/*.ipynb"):
        text = path.read_text()
        assert text == nbformat.writes(nbformat.reads(text, as_version=4)) + "\n"
    for solution_path in (course / "solutions").glob("*.ipynb"):
        generated = generator.exercise_notebook(nbformat.read(solution_path, as_version=4))
        exercise = nbformat.read(course / "exercises" / solution_path.name, as_version=4)
        assert [(c.id, c.source) for c in exercise.cells] == \
            [(c.id, c.source) for c in generated.cells]
    # the renumbering is logged for learners' progress; what to do next is printed
    assert json.loads((course / renumber.LOG).read_text()) == [
        {"lessons": {"05": "06", "06": "07"}, "inserted": ["05"]}]
    assert "make golden" in out and "make test" in out
    assert "notebooks/05_middleware.ipynb" in out


def test_the_review_list_names_file_and_line(course, capsys):
    out = _run(course, "--insert", "05", capsys=capsys)
    review = out.split("\nreview (", 1)[1]
    assert "docs.md:1: bare number 06 on a line about lessons" in review
    assert "docs.md:2: one-digit lesson number 'Lesson 5'" in review
    assert "docs.md:3" not in review  # 05.1 s is a measurement
    assert "docs.md:4: range now spans inserted lesson 05: Lessons 04–07 build the API." in review
    assert "README.md" not in review and "notebooks/" not in review


def test_swapping_two_lessons(course, capsys):
    _run(course, "--move", "05=06", "--move", "06=05", "--apply", capsys=capsys)
    assert sorted(p.name for p in (course / "solutions").iterdir()) == \
        ["04_auth.ipynb", "05_celery.ipynb", "06_caching.ipynb"]
    assert _cells(course / "solutions/05_celery.ipynb")[4].source == 'check("05.1", answer)'
    assert _cells(course / "notebooks/06_caching.ipynb")[0].source.startswith("# 06 · Caching")
    assert 'lesson("05", "Celery")' in (course / "nexus/exercises/checks/lesson05.py").read_text()


def test_nothing_to_do_is_a_usage_error(course, capsys):
    assert main(["renumber", "--root", str(course)]) == 2
    assert "nothing to do" in capsys.readouterr().err
    assert main(["renumber", "--root", str(course), "--move", "05"]) == 2
    assert _run(course, "--insert", "07", capsys=capsys) == \
        "no lesson changes number: nothing to do\n"


def test_a_dirty_tree_is_refused_unless_allowed(course, capsys):
    (course / "docs.md").write_text("changed\n")
    before = _snapshot(course)
    with pytest.raises(NexusError, match="uncommitted changes"):
        renumber.run(root=course, inserts=["05"], apply=True, out=lambda _: None)
    assert _snapshot(course) == before
    _run(course, "--insert", "05", "--apply", "--allow-dirty", capsys=capsys)
    assert (course / "notebooks/06_caching.ipynb").exists()


def test_apply_migrates_this_checkouts_progress(course, capsys):
    state = course / ".nexus" / "progress.json"
    state.parent.mkdir()
    state.write_text(json.dumps({"exercises": {"04.1": {"passed": True}, "05.1": {"passed": True},
                                               "06.1": {"passed": False}},
                                 "lessons": {"05": {"passed": 1, "total": 1}}}))
    out = _run(course, "--insert", "05", "--apply", capsys=capsys)
    data = json.loads(state.read_text())
    assert data["exercises"] == {"04.1": {"passed": True}, "06.1": {"passed": True},
                                 "07.1": {"passed": False}}
    assert data["lessons"] == {"06": {"passed": 1, "total": 1}} and data["numbering"] == 1
    assert "2 result(s) moved" in out


def test_a_learners_progress_follows_every_renumbering_once(tmp_path, monkeypatch):
    log = tmp_path / "renumberings.json"
    log.write_text(json.dumps([{"lessons": {"05": "06", "06": "07"}},
                               {"lessons": {"07": "08"}}]))
    monkeypatch.setattr(progress, "RENUMBERINGS", log)
    monkeypatch.setenv(progress.PROGRESS_VAR, str(tmp_path / "progress.json"))
    # written before any renumbering (no "numbering"): both maps apply
    (tmp_path / "progress.json").write_text(json.dumps({"exercises": {"05.1": {}, "06.b1": {}}}))
    assert set(progress.load()["exercises"]) == {"06.1", "08.b1"}
    # written after the first one: only the second applies
    (tmp_path / "progress.json").write_text(json.dumps({"exercises": {"07.1": {}},
                                                        "numbering": 1}))
    assert set(progress.load()["exercises"]) == {"08.1"}
    # a new learner starts current
    (tmp_path / "progress.json").unlink()
    assert progress.load()["numbering"] == 2


# --- the real course -----------------------------------------------------------------------------
#: Review lines on this repository for ``--insert 05``: (file, or its folder, and a piece of the
#: line) → why it is left to a person. Keyed by text, not line number, so edits elsewhere in a
#: file don't break it.
EXPLAINED = {
    ("nexus/cli.py", "the notebook whose database and queue to use, e.g."):
        "`nexus worker`'s help: 'e.g. 06' is the Celery lesson — to be moved by hand",
    ("nexus/exercises/checks/support.py", "the signature checks of 04 and"):
        "'checks of 04 and 07' are auth and payments — the payments number to be moved by hand",
    ("tests/toolkit/test_pytest_plugin.py", "::Cell 12"):
        "nbval's 'Cell 12' in a node id, not a lesson",
}


@pytest.fixture(scope="module")
def renumbered(tmp_path_factory) -> tuple[Path, renumber.Plan]:
    """A copy of this repository's tracked text files with a lesson inserted at 05 (applied);
    the plan keeps what the course was (its mapping, and the moved lessons' slugs)."""
    root = tmp_path_factory.mktemp("repo")
    listed = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "-z"], capture_output=True,
                            text=True, check=True).stdout.split("\0")
    for name in listed:
        if name and not renumber._skipped(name) and (REPO_ROOT / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO_ROOT / name, root / name)
    course = renumber.read_course(root)
    mapping = renumber.compute_mapping(course.lessons, ["05"])
    plan = renumber.build_plan(root, mapping, {"05": "middleware"}, course)
    renumber.apply_plan(plan)
    return root, plan


def _registered(root: Path) -> dict[str, set[str]]:
    """``{NN: exercise ids}`` read from the checks modules, the way the registry finds them."""
    found: dict[str, set[str]] = {}
    for path in sorted((root / renumber.CHECKS).glob("lesson[0-9][0-9].py")):
        text = path.read_text()
        (number,) = re.findall(r'^LESSON = lesson\("(\d{2})"', text, re.MULTILINE)
        assert number == path.stem[-2:], path
        found[number] = set(re.findall(r'(?:@exercise|build_step)\(\s*"(\d{2}\.b?\d+)"', text))
    return found


def test_the_real_course_moves_up_from_05(renumbered):
    root, plan = renumbered
    before = sorted(p.name for p in (REPO_ROOT / "notebooks").glob("*.ipynb"))
    expected = sorted(plan.mapping.get(name[:2], name[:2]) + name[2:] for name in before)
    lessons = sorted(p.name for p in (root / "notebooks").glob("*.ipynb"))
    assert lessons == expected and not [n for n in lessons if n.startswith("05_")]
    assert plan.mapping["05"] == "06" and len(plan.mapping) == len(before) - 5
    for folder in ("solutions", "exercises"):
        assert sorted(p.name for p in (root / folder).glob("*.ipynb")) == lessons
    last, new_last = max(plan.mapping), plan.mapping[max(plan.mapping)]
    assert (f"nexus/exercises/checks/lesson{last}.py",
            f"nexus/exercises/checks/lesson{new_last}.py") in plan.renames


def test_every_notebook_link_points_at_a_file(renumbered):
    root, _ = renumbered
    link = re.compile(r"\]\(([^)\s]+?\.ipynb)(?:#[^)]*)?\)")
    checked = 0
    for path in [root / "README.md", *root.glob("*/*.ipynb")]:
        for target in link.findall(path.read_text()):
            assert (path.parent / target).resolve().is_file(), f"{path.name} → {target}"
            checked += 1
    assert checked > 30


def test_every_exercise_id_of_the_solutions_is_registered_under_its_lesson(renumbered):
    root, _ = renumbered
    registered = _registered(root)
    every = set().union(*registered.values())
    for number, ids in registered.items():
        assert all(i.startswith(f"{number}.") for i in ids), (number, ids)
    used: set[str] = set()
    for path in (root / "solutions").glob("*.ipynb"):
        number = path.name[:2]
        for cell in _cells(path):
            for found in re.findall(r'check\("(\d{2}\.b?\d+)"', cell.source):
                assert found in every and found.startswith(f"{number}."), (path.name, found)
                used.add(found)
            if cell.get("id", "").startswith(("ex-", "build-")):
                assert cell.id.split("-")[1] == number, (path.name, cell.id)
    assert used == every
    for path in (root / "tests/exercises").glob("wrong_answers_*.py"):
        keys = re.findall(r'^    "(\d{2}\.\d+)":', path.read_text(), re.MULTILINE)
        assert keys and all(k in registered[path.stem[-2:]] for k in keys), path.name


def test_each_lesson_names_its_own_number(renumbered):
    root, _ = renumbered
    for path in (root / "notebooks").glob("*.ipynb"):
        cells, number = _cells(path), path.name[:2]
        assert cells[0].source.startswith(f"# {number} · "), path.name
        bootstrap = next(c for c in cells if c.cell_type == "code")
        assert f'nexus.start("{number}")' in bootstrap.source, path.name
        assert any(f"Nexus · lesson {number} is ready" in o.get("text", "")
                   for o in bootstrap.outputs), path.name
    for path in (root / "solutions").glob("*.ipynb"):
        assert f'nexus.start("{path.name[:2]}-exercises")' in _cells(path)[1].source, path.name
    readme = (root / "README.md").read_text()
    for number, name in re.findall(r"\| (\d{2}) \| \[[^\]]+\]\(notebooks/(\d{2}_\w+)\.ipynb\)",
                                   readme):
        assert name.startswith(number + "_"), (number, name)


def test_nothing_still_names_the_freed_number_in_a_recognised_form(renumbered):
    """Lesson 05 does not exist yet: every recognised reference to it must have moved."""
    root, _ = renumbered
    course = renumber.read_course(root)
    was_05 = renumber.read_course(REPO_ROOT).slugs["05"]  # its names, should any be left
    course = renumber.Course({**course.slugs, "05": was_05}, course.ids)
    leftover = renumber.build_plan(root, {"05": "99"}, course=course)
    assert leftover.renames == []
    assert {e.path: dict(e.counts) for e in leftover.edits} == {}


def test_exercises_still_match_their_solutions_and_python_still_parses(renumbered):
    root, _ = renumbered
    for item in generator.generate(root / "solutions", root / "exercises"):
        assert item.target.read_text() == item.text, item.target.name
    for path in root.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))


def test_the_review_list_on_the_real_course_is_all_explained(renumbered):
    _, plan = renumbered
    unexplained = [str(item) for item in plan.review
                   if not any(item.where.startswith(where) and piece in item.text
                              for where, piece in EXPLAINED)]
    assert unexplained == []
    assert len(plan.review) == len(EXPLAINED), "an explained line is gone: drop it from EXPLAINED"
