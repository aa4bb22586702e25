"""Plausible wrong projects: the model answer with one mistake each, and the hint it must get.

One module per lesson (``wrong_NN.py``, a list ``WRONG``); :data:`ALL` gathers them.

Each :class:`Wrong` copies the sample project, applies its ``edits`` (``old`` → ``new`` in a
file; ``old`` must occur exactly once, so a change to the sample project that moves the text
breaks the test loudly instead of silently testing nothing) and expects build step ``step`` to
fail with ``hint`` in its hint. Written as the mistakes learners make, not from the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Wrong:
    step: str
    mistake: str
    #: file (relative to the project) → [(old, new), ...]
    edits: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: a fragment the check's hint must contain
    hint: str = ""
    #: files to delete from the copy
    delete: tuple[str, ...] = ()
    #: files to add to the copy: path → text (a migration the learner wrote, say)
    create: dict[str, str] = field(default_factory=dict)




def all_wrong() -> list[Wrong]:
    """Every lesson's wrong projects (``tests/build_track/wrong_NN.py``), in lesson order."""
    import importlib
    from pathlib import Path

    found: list[Wrong] = []
    for path in sorted(Path(__file__).parent.glob("wrong_[0-9][0-9].py")):
        found += importlib.import_module(f"{__package__}.{path.stem}").WRONG
    return found


ALL = all_wrong()
