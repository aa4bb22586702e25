"""File-hygiene hooks for pre-commit, run by the course environment's Python (``repo: local``).

The usual hooks live in github.com/pre-commit/pre-commit-hooks, which pre-commit clones on first
use; these do the same checks with the standard library and PyYAML, so the hooks also run on a
machine that cannot reach GitHub. Each takes the file names pre-commit passes and exits 1 after
printing what is wrong (the end-of-file hook fixes the files, like the original).

    python .ci/hooks.py end-of-file FILE...
    python .ci/hooks.py check-yaml FILE...
    python .ci/hooks.py large-files [--max-kb N] FILE...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def end_of_file(paths: list[Path]) -> list[str]:
    """Make every non-empty file end with exactly one newline (fixing it); name the files fixed."""
    fixed = []
    for path in paths:
        data = path.read_bytes()
        if not data:
            continue
        wanted = data.rstrip(b"\r\n") + b"\n" if data.strip() else b""
        if data != wanted:
            path.write_bytes(wanted)
            fixed.append(f"{path}: fixed the end of the file")
    return fixed


def check_yaml(paths: list[Path]) -> list[str]:
    """Every YAML file parses (all documents in it)."""
    import yaml

    problems = []
    for path in paths:
        try:
            list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as exc:
            problems.append(f"{path}: {exc}")
    return problems


def large_files(paths: list[Path], max_kb: int) -> list[str]:
    """No file above ``max_kb`` kilobytes: big data belongs outside git."""
    return [f"{path}: {path.stat().st_size // 1024} KB (limit {max_kb} KB)"
            for path in paths if path.stat().st_size > max_kb * 1024]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hook", choices=["end-of-file", "check-yaml", "large-files"])
    parser.add_argument("--max-kb", type=int, default=500)
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_intermixed_args(argv)
    if args.hook == "end-of-file":
        problems = end_of_file(args.files)
    elif args.hook == "check-yaml":
        problems = check_yaml(args.files)
    else:
        problems = large_files(args.files, args.max_kb)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
