"""Generate the learner's ``exercises/`` from ``solutions/`` (``nexus exercises``).

nbgrader's markers, without nbgrader: code between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
becomes ``# YOUR CODE HERE`` + ``raise NotImplementedError()`` at the same indentation (in markdown,
``YOUR ANSWER HERE``); ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS`` is dropped. Outputs,
execution counts and cell metadata other than tags go; cell ids stay, so a regenerated notebook
differs only where its solution changed. The output is byte-for-byte deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from nexus.errors import NexusError
from nexus.paths import REPO_ROOT

SOLUTIONS = REPO_ROOT / "solutions"
EXERCISES = REPO_ROOT / "exercises"

_MARKER = re.compile(
    r"^(?P<indent>[ \t]*)### (?P<edge>BEGIN|END) (?P<kind>SOLUTION|HIDDEN TESTS)\s*$"
)
#: The only notebook-level metadata kept: enough for Jupyter to pick the kernel.
_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


@dataclass(frozen=True)
class Generated:
    """One generated notebook: where it goes, its bytes, and whether the file on disk differs."""

    source: Path
    target: Path
    text: str

    @property
    def changed(self) -> bool:
        return not self.target.exists() or self.target.read_text(encoding="utf-8") != self.text


def strip_solutions(source: str, *, cell_type: str = "code", where: str = "") -> str:
    """Replace solution regions with a stub and drop hidden tests; raises on unbalanced markers."""
    out: list[str] = []
    open_kind: str | None = None
    for number, line in enumerate(source.split("\n"), start=1):
        match = _MARKER.match(line)
        if match is None:
            if open_kind is None:
                out.append(line)
            continue
        kind, edge, indent = match["kind"], match["edge"], match["indent"]
        if edge == "BEGIN":
            if open_kind is not None:
                raise NexusError("exercises", f"{where} line {number}: BEGIN {kind} inside an "
                                 f"open {open_kind} region", "close the first region")
            open_kind = kind
            if kind == "SOLUTION":
                if cell_type == "code":
                    out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
                else:
                    out.append(f"{indent}YOUR ANSWER HERE")
        else:
            if open_kind != kind:
                raise NexusError("exercises", f"{where} line {number}: END {kind} without "
                                 "its BEGIN", "balance the ### BEGIN / ### END markers")
            open_kind = None
    if open_kind is not None:
        raise NexusError("exercises", f"{where}: ### BEGIN {open_kind} is never closed",
                         f"add ### END {open_kind}")
    return "\n".join(out)


def exercise_notebook(solution: nbformat.NotebookNode, *, name: str = "") -> nbformat.NotebookNode:
    """The learner's copy of a solved notebook (a new notebook; the input is not changed)."""
    cells = []
    for index, cell in enumerate(solution.cells):
        cell_id = cell.get("id")
        if not cell_id:
            raise NexusError("exercises", f"{name} cell {index} has no id",
                             "save the notebook with Jupyter (nbformat ≥ 4.5 gives every cell an "
                             "id) so exercises keep stable cell ids")
        where = f"{name} cell {cell_id!r}"
        metadata = {"tags": list(cell.metadata["tags"])} if cell.metadata.get("tags") else {}
        source = strip_solutions(cell.source, cell_type=cell.cell_type, where=where)
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(source, id=cell_id, metadata=metadata)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(source, id=cell_id, metadata=metadata)
        else:
            new = nbformat.v4.new_raw_cell(source, id=cell_id, metadata=metadata)
        cells.append(new)
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=_METADATA)
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    return notebook


def generate(solutions: Path = SOLUTIONS, exercises: Path = EXERCISES) -> list[Generated]:
    """The exercise notebook for every ``solutions/NN_*.ipynb`` (nothing is written)."""
    generated = []
    for source in sorted(solutions.glob("[0-9][0-9]_*.ipynb")):
        solution = nbformat.read(source, as_version=4)
        notebook = exercise_notebook(solution, name=source.name)
        nbformat.validate(notebook)
        text = nbformat.writes(notebook) + "\n"
        generated.append(Generated(source, exercises / source.name, text))
    return generated


def stale(exercises: Path = EXERCISES, solutions: Path = SOLUTIONS) -> list[Path]:
    """Exercise notebooks whose solution no longer exists."""
    wanted = {p.name for p in solutions.glob("[0-9][0-9]_*.ipynb")}
    return sorted(p for p in exercises.glob("[0-9][0-9]_*.ipynb") if p.name not in wanted)


def has_learner_work(path: Path) -> bool:
    """True if ``path`` holds outputs or execution counts: someone ran it (generated ones don't)."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # unreadable: treat it as someone's work and never overwrite it
        return True
    return any(cell.get("outputs") or cell.get("execution_count")
               for cell in notebook.cells if cell.cell_type == "code")


def run(*, check_only: bool = False, force: bool = False) -> int:
    """``nexus exercises``: write (or with ``check_only`` compare) every exercise notebook."""
    results = generate()
    outdated = [g for g in results if g.changed]
    extra = stale()
    if check_only:
        for item in outdated:
            print(f"✗ {_rel(item.target)} differs from what {_rel(item.source)} generates")
        for path in extra:
            print(f"✗ {_rel(path)} has no solution notebook")
        if not outdated and not extra:
            print(f"✓ exercises/ is up to date ({len(results)} notebooks)")
        return 1 if outdated or extra else 0
    busy = [g.target for g in outdated if g.target.exists() and has_learner_work(g.target)]
    busy += [p for p in extra if has_learner_work(p)]
    if busy and not force:
        raise NexusError(
            "exercises", f"{', '.join(_rel(p) for p in busy)} holds your work (outputs)",
            "regenerating would overwrite it: copy it elsewhere, then run "
            "`nexus exercises --force`",
        )
    EXERCISES.mkdir(exist_ok=True)
    for item in results:
        if item.changed:
            item.target.write_text(item.text, encoding="utf-8")
            print(f"✓ wrote {_rel(item.target)}")
    for path in extra:
        path.unlink()
        print(f"✓ removed {_rel(path)} (no solution notebook)")
    print(f"exercises/: {len(results)} notebooks, {len(outdated) + len(extra)} changed")
    return 0


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
