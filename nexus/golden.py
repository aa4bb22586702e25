"""``nexus golden``: re-execute notebooks in place so the outputs they store are current.

nbval then proves in CI that a fresh run reproduces exactly these outputs. Only ``notebooks/`` and
``solutions/`` store outputs; ``exercises/`` are generated without them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from nexus.paths import REPO_ROOT

DEFAULT_FOLDERS = ("notebooks", "solutions")


def notebooks_in(paths: Iterable[str]) -> list[Path]:
    """The ``.ipynb`` files named by ``paths`` (files or folders), sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_absolute():
            path = (Path.cwd() / path) if path.exists() else REPO_ROOT / path
        if path.is_dir():
            found.extend(p for p in sorted(path.glob("*.ipynb")))
        elif path.suffix == ".ipynb" and path.exists():
            found.append(path)
        else:
            from nexus.errors import UsageError

            raise UsageError(f"no notebook at '{raw}'")
    return found


def execute_in_place(path: Path, *, timeout: int = 300, label: str = "") -> float:
    """Run every cell of ``path`` in a fresh kernel and save the outputs; returns seconds taken.

    On a terminal a progress bar counts the code cells as they finish (tqdm; none in a log).
    """
    import nbformat
    from nbclient import NotebookClient
    from tqdm import tqdm

    from nexus.kernels import LocalKernelManager

    notebook = nbformat.read(path, as_version=4)
    cells = sum(1 for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip())
    began = time.perf_counter()
    with tqdm(total=cells, desc=label or path.name, unit="cell", leave=False,
              disable=None) as bar:  # disable=None: no bar when stderr is not a terminal
        client = NotebookClient(
            notebook, timeout=timeout, startup_timeout=120, kernel_name="python3",
            record_timing=False, resources={"metadata": {"path": str(path.parent)}},
            kernel_manager_class=LocalKernelManager,
            on_cell_executed=lambda **_: bar.update(),
        )
        client.execute()
    nbformat.write(notebook, path)
    return time.perf_counter() - began


def run(paths: Iterable[str], *, timeout: int = 300) -> int:
    """Re-execute the given notebooks (default: notebooks/ and solutions/); 1 if one failed."""
    from nbclient.exceptions import CellExecutionError

    targets = notebooks_in(list(paths) or [f for f in DEFAULT_FOLDERS if (REPO_ROOT / f).exists()])
    failed = 0
    for number, path in enumerate(targets, start=1):
        name = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
        try:
            seconds = execute_in_place(path, timeout=timeout,
                                       label=f"[{number}/{len(targets)}] {name}")
        except CellExecutionError as exc:
            failed += 1
            print(f"✗ {name}: a cell failed; outputs not saved\n{str(exc)[-1500:]}", flush=True)
            continue
        print(f"✓ [{number}/{len(targets)}] {name} ({seconds:.1f} s)", flush=True)
    print("review what changed, cell by cell: `make nbdiff` (nbdime; REF=<commit> to compare "
          "with another commit than HEAD)")
    return 1 if failed else 0
