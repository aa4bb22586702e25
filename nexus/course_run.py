"""``nexus run``: execute every lesson in order, the way a learner would, and write a report.

Each notebook runs with papermill into ``build/run/`` (the committed notebooks are never touched),
in a fresh kernel started in the notebook's folder. A failing notebook is reported with the cell
that failed; the run continues to the end and the exit code says whether everything passed.
The report is written as Markdown and HTML next to the executed copies.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nexus.golden import notebooks_in
from nexus.paths import REPO_ROOT

BUILD = REPO_ROOT / "build" / "run"


@dataclass(frozen=True)
class NotebookResult:
    """How one notebook ran."""

    notebook: str
    ok: bool
    seconds: float
    cells: int
    failure: str = ""  # "cell 7 (In [5]): ZeroDivisionError: division by zero"


def _code_cells(path: Path) -> int:
    import nbformat

    return sum(1 for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


def run_notebook(path: Path, out_dir: Path, *, timeout: int = 300,
                 progress_bar: bool = True) -> NotebookResult:
    """Execute one notebook into ``out_dir`` with papermill and describe the outcome."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from nexus.kernels import LocalKernelManager

    name = str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else path.name
    out_dir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    failure = ""
    try:
        papermill.execute_notebook(
            str(path), str(out_dir / path.name), kernel_name="python3", cwd=str(path.parent),
            progress_bar=progress_bar, request_save_on_cell_execute=False,
            execution_timeout=timeout, start_timeout=120,
            kernel_manager_class=LocalKernelManager,
        )
    except PapermillExecutionError as error:
        # papermill counts its own injected cells too; report the learner-visible position.
        failure = (f"cell {error.cell_index + 1} (In [{error.exec_count}]): "
                   f"{error.ename}: {error.evalue}".strip())
    return NotebookResult(name, not failure, time.perf_counter() - began, _code_cells(path),
                          failure)


def report_markdown(results: list[NotebookResult]) -> str:
    """The run as a Markdown table plus a one-line summary."""
    lines = ["# Course run", "", "| notebook | status | time (s) | code cells | failure |",
             "| --- | --- | ---: | ---: | --- |"]
    for r in results:
        failure = r.failure.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {r.notebook} | {'✓ passed' if r.ok else '✗ failed'} | "
                     f"{r.seconds:.1f} | {r.cells} | {failure} |")
    passed = sum(r.ok for r in results)
    total_time = sum(r.seconds for r in results)
    lines += ["", f"{passed} of {len(results)} notebooks passed in {total_time:.1f} s."]
    return "\n".join(lines) + "\n"


def report_html(results: list[NotebookResult]) -> str:
    """The same report as a standalone HTML page."""
    rows = "\n".join(
        f"<tr class='{'ok' if r.ok else 'failed'}'><td>{html.escape(r.notebook)}</td>"
        f"<td>{'✓ passed' if r.ok else '✗ failed'}</td><td>{r.seconds:.1f}</td>"
        f"<td>{r.cells}</td><td>{html.escape(r.failure)}</td></tr>"
        for r in results
    )
    passed = sum(r.ok for r in results)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Course run</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em}}tr.failed{{background:#fde2e2}}
tr.ok td:nth-child(2){{color:#1a7f37}}</style></head>
<body><h1>Course run</h1><p>{passed} of {len(results)} notebooks passed.</p>
<table><tr><th>notebook</th><th>status</th><th>time (s)</th><th>code cells</th>
<th>failure</th></tr>
{rows}
</table></body></html>
"""


def run_course(paths: Iterable[str] = (), *, out_dir: Path = BUILD, timeout: int = 300,
               progress_bar: bool = True) -> list[NotebookResult]:
    """Run the notebooks (default: every lesson in ``notebooks/``) and write the reports."""
    targets = notebooks_in(list(paths) or ["notebooks"])
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for index, path in enumerate(targets, 1):
        print(f"[{index}/{len(targets)}] {path.name}", flush=True)
        result = run_notebook(path, out_dir, timeout=timeout, progress_bar=progress_bar)
        mark = "✓" if result.ok else f"✗ {result.failure}"
        print(f"        {mark} ({result.seconds:.1f} s)", flush=True)
        results.append(result)
    (out_dir / "report.md").write_text(report_markdown(results))
    (out_dir / "report.html").write_text(report_html(results))
    return results
