"""Small display helpers for lessons: things a notebook shows but the project does not own."""

from __future__ import annotations

from pathlib import Path

from nexus.paths import REPO_ROOT

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
