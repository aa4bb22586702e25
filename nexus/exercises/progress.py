"""Where check results are kept: ``.nexus/progress.json`` (in :func:`nexus.paths.state_dir`).

``NEXUS_PROGRESS`` points it at another file; the course's own tests use that so running the
solutions never marks a learner's exercises as done.

Results are keyed by exercise id and lesson number, so when the course renumbers its lessons
(``nexus renumber``) a learner's results must follow: every renumbering is logged in
:data:`RENUMBERINGS`, a progress file records how many of them it has seen (``"numbering"``), and
:func:`load` replays the ones it has not.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Set by ``nexus check`` for the kernel it runs: each check appends its result there (JSON lines).
REPORT_VAR = "NEXUS_CHECK_REPORT"
PROGRESS_VAR = "NEXUS_PROGRESS"
#: The lesson maps of every renumbering, oldest first (written by ``nexus renumber --apply``).
RENUMBERINGS = Path(__file__).with_name("renumberings.json")


def progress_file() -> Path:
    """The JSON file that holds the learner's results."""
    if os.environ.get(PROGRESS_VAR):
        return Path(os.environ[PROGRESS_VAR])
    from nexus.paths import state_dir

    return state_dir() / "progress.json"


def now() -> str:
    """The current time, to the second, in UTC (ISO 8601)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def renumberings(path: Path | None = None) -> list[dict[str, Any]]:
    """Every renumbering of the lessons, oldest first: ``{"lessons": {old: new}, ...}``."""
    try:
        return json.loads((path or RENUMBERINGS).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []


def renumber(data: dict[str, Any], log: list[dict[str, Any]]) -> int:
    """Move ``data``'s results to the numbers of the renumberings it has not seen; returns how
    many results moved. A file without ``"numbering"`` predates them all."""
    moved = 0
    for entry in log[data.get("numbering", 0):]:
        lessons: dict[str, str] = entry["lessons"]
        exercises = {}
        for key, value in data.get("exercises", {}).items():
            lesson, dot, rest = key.partition(".")
            new = lessons.get(lesson, lesson) + dot + rest
            moved += new != key
            exercises[new] = value
        data["exercises"] = exercises
        data["lessons"] = {lessons.get(key, key): value
                           for key, value in data.get("lessons", {}).items()}
    data["numbering"] = len(log)
    return moved


def migrate_file(path: Path, log: list[dict[str, Any]]) -> int:
    """Renumber the results in the progress file ``path`` in place; returns how many moved."""
    data = json.loads(path.read_text(encoding="utf-8"))
    moved = renumber(data, log)
    _write(path, data)
    return moved


def load() -> dict[str, Any]:
    """The stored progress: ``{"exercises": {id: {...}}, "lessons": {NN: {...}}}``, under the
    course's current lesson numbers."""
    path = progress_file()
    log = renumberings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        data = {"numbering": len(log)}  # nothing stored yet: already current
    renumber(data, log)
    data.setdefault("exercises", {})
    data.setdefault("lessons", {})
    return data


def _save(data: dict[str, Any]) -> None:
    _write(progress_file(), data)


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: a kernel and `nexus check` may save at once; neither sees half a file.
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp",
                                     encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    os.replace(handle.name, path)


def running_solutions() -> bool:
    """True in a kernel running a ``solutions/`` notebook (kernels start in the notebook's folder).

    Running the worked solutions (``make test``, ``make golden``, or reading them in Jupyter) must
    not mark the learner's exercises as passed.
    """
    from nexus.paths import REPO_ROOT

    return Path.cwd().resolve() == (REPO_ROOT / "solutions").resolve()


def record_exercise(result: dict[str, Any]) -> None:
    """Store one check result (and hand it to ``nexus check`` when it is the one running)."""
    entry = {"passed": result["passed"], "title": result["title"], "at": now()}
    if not result["passed"]:
        entry["hint"] = result.get("hint", "")
    if not running_solutions():
        try:
            data = load()
            data["exercises"][result["id"]] = entry
            _save(data)
        except OSError:
            pass  # a read-only checkout must not turn a check into a crash
    report = os.environ.get(REPORT_VAR)
    if report:
        with open(report, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(result, sort_keys=True) + "\n")


def record_lesson_run(lesson: str, passed: int, total: int) -> None:
    """Store that ``nexus check`` ran lesson ``lesson``'s exercises."""
    data = load()
    data["lessons"][lesson] = {"passed": passed, "total": total, "at": now()}
    _save(data)
