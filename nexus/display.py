"""Plain-text display: aligned tables (the ``nexus`` command's and ``nexus.status()``'s) and a
project tree for lessons — things a notebook or a terminal shows but the project does not own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from nexus.paths import REPO_ROOT
from nexus.services.base import ServiceStatus

__all__ = ["format_table", "status_table", "tree"]

#: Folders a project tree never needs to show.
SKIP = {"__pycache__", "migrations", ".ipynb_checkpoints", "staticfiles"}


def tree(path: str | Path = "sample_project", *, depth: int = 2) -> None:
    """Print the files and folders under ``path`` (relative to the repository), ``depth`` deep.

    Folders come first, then files, each sorted by name, so the output is the same everywhere.
    """
    root = Path(path)
    root = root if root.is_absolute() else REPO_ROOT / root
    print(f"{root.name}/")

    def walk(folder: Path, prefix: str, level: int) -> None:
        entries = [p for p in folder.iterdir() if p.name not in SKIP and p.suffix != ".pyc"]
        entries.sort(key=lambda p: (p.is_file(), p.name))
        for index, entry in enumerate(entries):
            last = index == len(entries) - 1
            branch = "└── " if last else "├── "
            print(f"{prefix}{branch}{entry.name}{'/' if entry.is_dir() else ''}")
            if entry.is_dir() and level < depth:
                walk(entry, prefix + ("    " if last else "│   "), level + 1)

    walk(root, "", 1)


def format_table(rows: Iterable[Sequence[object]], header: Sequence[str]) -> str:
    """A plain-text table with aligned columns and a dashed line under the header."""
    table = [list(header), *[list(map(str, row)) for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
             for row in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def status_table(states: Iterable[ServiceStatus]) -> str:
    """The ``nexus status`` table: service, profile, address, version, where its program came
    from (an embedded server: a wheel, the conda env, PATH), up/down."""
    rows = [(s.name, s.profile, s.address, s.version, s.source or "-",
             "up" if s.up else f"down ({s.detail})") for s in states]
    return format_table(rows, ("service", "profile", "address", "version", "from", "state"))
