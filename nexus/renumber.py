"""``nexus renumber``: give lessons new numbers across the whole repository, in one step.

A lesson's two-digit number (``NN``) lives in many places, and they must all move together. The
survey this tool is built on (grep of every tracked file and of every notebook cell's source,
id and stored outputs), with the kind name the plan counts each under:

========================  ===================================================================
kind                      where it lives, e.g.
========================  ===================================================================
path (renamed)            ``notebooks/NN_slug.ipynb``, ``exercises/NN_slug.ipynb``,
                          ``solutions/NN_slug.ipynb``; ``nexus/exercises/checks/lessonNN.py``;
                          ``nexus/build/contracts/lessonNN.py``;
                          ``tests/exercises/wrong_answers_NN.py``; ``tests/build_track/wrong_NN.py``
file                      the same names in text: links between notebooks
                          ``(07_payments.ipynb)``, ``../exercises/06_celery.ipynb``, the README's
                          links, ``bench/RESULTS.md`` rows, pytest node ids, test fixtures
module                    ``lessonNN`` (``checks.lesson05``, ``contracts/lesson01.py``), the
                          prefixes ``lesson04-…`` / ``lesson-04-…``, ``wrong_answers_NN``,
                          ``wrong_NN``
database                  ``nexus_nb_NN`` (one database and Celery queue per notebook, see
                          :func:`nexus.database.database_name`), in prose, diagrams and outputs
name                      cell ids ``ex-NN-1-code`` / ``build-NN-b1-check``, queue names
                          ``check-NN-1-…`` in checks, Chapa refs ``nexus-NN-…`` in a notebook
exercise-id               ``"06.1"`` / ``"01.b1"`` in checks, the registry, hints, wrong
                          answers, tests and notebooks; ``✓ 06.1`` / ``✗ 06.1`` in outputs;
                          ``Exercise 06.1 ·`` / ``Build 01.b1 ·`` headings; ``exercises 06.1 and
                          06.2`` / ``as in 06.1`` in prose; ``[05.2-…]`` pytest ids; and, in
                          source text only, a registered id standing alone (``06.1 confirm…``)
call                      ``nexus.start("06")`` / ``start("06-exercises")``, ``lesson("06", …)``
                          (the registry), ``database_name("05")``, ``registry.exercises("00")``,
                          ``run_lesson("00")``, CLI argv in tests (``"check", "00"``,
                          ``"worker", "06"``), ``{"lesson": "00"}``
cli                       ``nexus check 06``, ``nexus worker 06``, ``nexus beat 06``
title                     ``# 06 · Background tasks``, ``**Next:** [07 · Payment…](…)``
table                     the README's lesson table: ``| 05 | [Caching](notebooks/05_caching…) |``
prose                     ``lesson 06``, ``Lesson 06's``, ``lessons 05 and 12``, ``lessons 05–07``
                          (a range that now spans an inserted lesson is also put on the review
                          list), ``section 6 of lesson 05`` (only the lesson number changes),
                          ``[lesson 06: …]`` in ``tests/nbval-sanitize.cfg``, ``(lesson 08)``
                          comments in ``pyproject.toml``, sample-project docstrings
pytest-group              ``test_checks.py#05`` and ``test_x[05]`` (:mod:`nexus.pytest_plugin`
                          splits tests by lesson; its own tests spell these out)
========================  ===================================================================

Checked and holding no lesson number (nothing to do, but the review scan still reads them):
``Makefile``, ``.github/workflows/ci.yml``, ``.ci/run``, ``environment.yml``, ``bench/run.py``
(it globs ``notebooks/``; ``bench/suite.py`` and ``RESULTS.md`` only name files),
``nexus/build/run.py``'s Redis numbers (not keyed by lesson: the course uses Redis databases 1–3
for every lesson, build checks 4–15), notebook and cell metadata, ``sample_project/docs``. Lesson
order is the sorted file names everywhere (``registry``, ``golden``, ``course_run``, the
generator), so no list of lessons needs editing.

Every number is rewritten only in one of those contexts, never as a bare ``06`` (versions
``5.2.06``, times ``06:30``, ports, prices and ``0.06`` are left alone), and in two phases: each
recognised old number becomes a placeholder first and placeholders become new numbers at the end,
so chained shifts (05→06, 06→07) never collide. Whatever still looks like a lesson number after
that (a registered exercise id out of context, a bare number of a moved lesson on a line that
talks about lessons, ``lesson 5``, a ``NN_name.ipynb`` that is no lesson) is put on a *review*
list with ``file:line`` (``file:cell <id>:line`` in a notebook) — reported, never silently
skipped. Notebooks are edited as JSON with nbformat (sources, cell ids, stored outputs) and written
as :mod:`nexus.golden` and the exercise generator write them (``nbformat.writes`` + newline, byte
for byte what the repo holds).

Not rewritten: this module and its tests (their examples are about numbers, not lessons), the
renumbering log, lock files and vendored static files; PNG outputs (a re-record, ``make golden``,
refreshes every output anyway). Not done: the new lessons themselves (``--insert`` keeps their
numbers free and says which files to write), the README table's layout (rows keep their places),
anything outside the repository (the design notes' lesson map). Known blind spot of the review
scan: a bare number followed by a word is taken for a count ("12 URLs"), so "04 and 06 share"
would pass unreported where "checks of 04 and 06." is reported.

Learners' progress (``.nexus/progress.json``) is keyed by exercise id (``"06.1"``) and lesson
(``"06"``): after a renumbering those keys would name another lesson. ``--apply`` appends the
lesson map to :data:`nexus.exercises.progress.RENUMBERINGS` (committed with the renumbering), and
:func:`nexus.exercises.progress.load` replays every map a progress file has not seen yet, so a
learner who pulls the new course keeps their results under the new numbers; this checkout's own
progress file is migrated at once. Per-notebook databases (``nexus_nb_NN``) need nothing: a
notebook clones a fresh one each time it starts.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nexus.errors import NexusError, UsageError

__all__ = ["Plan", "Review", "Rule", "apply_plan", "build_plan", "compute_mapping",
           "format_plan", "run"]

#: Folders a notebook lesson lives in, one ``NN_slug.ipynb`` per lesson.
LESSON_FOLDERS = ("notebooks", "solutions", "exercises")
#: Where exercise ids are registered (``@exercise("06.1", …)``, ``build_step("01.b1", …)``).
CHECKS = "nexus/exercises/checks"
#: The log of renumberings a learner's progress is migrated through.
LOG = "nexus/exercises/renumberings.json"
#: Files never rewritten or scanned (glob patterns, matched against the path from the root).
SKIP = (
    "nexus/renumber.py", "tests/toolkit/test_renumber.py", LOG,
    "requirements.lock", "*/requirements.txt", "requirements/*.txt",
    "*/static/*", "*.png", "*.ico", "*.svg", "*.woff*", "*.map", "*.min.js", "*.min.css",
)
#: Folders never walked when the root is not a git checkout.
_NOT_SOURCE = {".git", ".venv", ".nexus", "build", "node_modules", "__pycache__",
               ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "my_project"}

# Placeholders are private-use characters: U+E100 + the new number. Phase one writes them, phase
# two turns them into digits; a placeholder never matches a rule, so nothing is rewritten twice.
_BASE = 0xE100
_PLACEHOLDER = re.compile("[\ue100-\ue163]")
_NN = r"(?<![\d\ue000-\uf8ff])\d{2}(?!\d)"


# --- what the repository holds ------------------------------------------------------------------
@dataclass(frozen=True)
class Course:
    """What the rules need to know about the course on disk: lesson slugs and exercise ids."""

    slugs: Mapping[str, frozenset[str]]
    ids: frozenset[str]

    @property
    def lessons(self) -> list[str]:
        return sorted(self.slugs)


def read_course(root: Path) -> Course:
    """Lessons from the ``NN_slug.ipynb`` files; exercise ids from the checks modules (read as
    text: nothing is imported, so no Django)."""
    slugs: dict[str, set[str]] = {}
    for folder in LESSON_FOLDERS:
        for path in (root / folder).glob("[0-9][0-9]_*.ipynb"):
            slugs.setdefault(path.name[:2], set()).add(path.stem[3:])
    ids: set[str] = set()
    registered = re.compile(r"""(?:@exercise|build_step)\(\s*["'](\d{2}\.b?\d+)["']""")
    for path in (root / CHECKS).glob("lesson[0-9][0-9].py"):
        ids.update(registered.findall(path.read_text(encoding="utf-8")))
    return Course({k: frozenset(v) for k, v in slugs.items()}, frozenset(ids))


def compute_mapping(lessons: Sequence[str], inserts: Iterable[str] = (),
                    moves: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{old: new}`` for every lesson whose number changes.

    ``inserts`` are the numbers new lessons will have in the final course: each existing lesson
    at or after one moves up past it (so ``05`` and ``07`` inserted turn 05, 06, 07… into 06, 08,
    09…). ``moves`` are explicit ``{old: new}`` pairs, applied on top. The result is checked: no
    two lessons end on one number and no lesson lands on an inserted one.
    """
    inserted = {_two_digits(n, "--insert") for n in inserts}
    pending = sorted(int(n) for n in inserted)
    mapping: dict[str, str] = {}
    shift = 0
    for old in sorted(lessons):
        new = int(old) + shift
        while pending and pending[0] <= new:  # a new lesson takes this place: move up past it
            pending.pop(0)
            shift, new = shift + 1, new + 1
        mapping[old] = f"{new:02d}"
    for old, new in (moves or {}).items():
        old, new = _two_digits(old, "--move"), _two_digits(new, "--move")
        if old not in lessons:
            raise UsageError(f"--move {old}={new}: there is no lesson {old} "
                             f"(lessons: {', '.join(lessons)})")
        mapping[old] = new
    final = list(mapping.values())
    clashes = sorted({n for n in final if final.count(n) > 1})
    if clashes:
        raise UsageError(f"two lessons would be numbered {', '.join(clashes)}: "
                         f"{_describe(mapping)}")
    landed = sorted(inserted & set(final))
    if landed:
        raise UsageError(f"a lesson would be moved onto the inserted number(s) "
                         f"{', '.join(landed)}: {_describe(mapping)}")
    if any(int(n) > 99 for n in final):
        raise UsageError("lesson numbers have two digits: the last lesson would pass 99")
    return {old: new for old, new in mapping.items() if old != new}


def _two_digits(raw: str, option: str) -> str:
    if not re.fullmatch(r"\d{1,2}", raw.strip()):
        raise UsageError(f"{option}: '{raw}' is not a lesson number (use two digits, e.g. 05)")
    return f"{int(raw):02d}"


def _describe(mapping: Mapping[str, str]) -> str:
    return ", ".join(f"{o}→{n}" for o, n in sorted(mapping.items()) if o != n) or "no change"


# --- the rules ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """One context a lesson number is recognised in.

    ``pattern`` finds the context; the number to rewrite is its group ``n``, or, when the rule
    has an ``inner`` pattern, every ``n`` that ``inner`` finds inside group ``nums`` (lists such
    as "lessons 05 and 12"). ``where`` is ``all``, ``source`` (not stored outputs) or
    ``markdown`` (Markdown files and cells); ``accept`` can veto a match.
    """

    kind: str
    pattern: re.Pattern[str]
    where: str = "all"
    inner: re.Pattern[str] | None = None
    accept: Callable[[re.Match[str], Course], bool] | None = None


def _known_id(match: re.Match[str], course: Course) -> bool:
    return f"{match['n']}.{match['x']}" in course.ids


def _known_slug(match: re.Match[str], course: Course) -> bool:
    return match["slug"] in course.slugs.get(match["n"], ())


_ID_LIST = re.compile(r"(?<![\w.])(?P<n>\d{2})\.b?\d+")
_SEP = r"(?:\s*,\s*|\s+(?:and|or|to|&)\s+|,\s+and\s+|\s*[–—-]\s*)"
#: Between a word and its number: spaces and line breaks, or the break of a Python string
#: continued on the next line (``"… (lesson "`` / ``"05) …"``).
_GAP = r"(?:\s*[\"']\s*\n\s*[rf]?[\"']\s*|\s+)"
_UNITS = r"(?:ms|s|%|×|x|GiB|MiB|KiB|GB|MB|ETB|nights?|days?|seconds?|minutes?|hours?)\b"

RULES: tuple[Rule, ...] = (
    Rule("table", re.compile(
        r"\|\s*(?P<n>\d{2})\s*\|(?=\s*\[[^\]\n]*\]\([^)\n]*?(?<![\w])(?P=n)_[a-z]\w*\.ipynb\))"),
        where="markdown"),
    Rule("file", re.compile(r"(?<![\w\ue000-\uf8ff])(?P<n>\d{2})_(?P<slug>[a-z][a-z0-9_]*)"),
         accept=_known_slug),
    Rule("module", re.compile(r"(?<![\w])(?:lesson[-_]?|wrong_answers_|wrong_)(?P<n>\d{2})(?!\d)")),
    Rule("database", re.compile(r"nexus_nb_(?P<n>\d{2})(?!\d)")),
    Rule("name", re.compile(r"(?<![\w-])(?:ex|build|check|nexus)-(?P<n>\d{2})(?=[-.\"'\s]|$)",
                            re.MULTILINE)),
    Rule("name", re.compile(r"\bCheck (?P<n>\d{2})(?= )")),
    Rule("exercise-id", re.compile(r"(?<![\w.])(?P<n>\d{2})\.b\d+(?!\d)")),
    Rule("exercise-id", re.compile(r"(?P<q>[\"'])(?P<n>\d{2})\.(?P<x>\d+)(?=(?P=q))"),
         accept=_known_id),
    Rule("exercise-id", re.compile(
        r"(?:[✓✗]\s*|\[|\bnext: |\bknown: )(?P<n>\d{2})\.(?P<x>\d+)(?!\d)"), accept=_known_id),
    Rule("exercise-id", re.compile(
        rf"\b(?:[Ee]xercises?|[Bb]uild|[Ss]teps?|as in){_GAP}"
        rf"(?P<nums>\d{{2}}\.b?\d+(?:{_SEP}\d{{2}}\.b?\d+)*)(?![\d])"), inner=_ID_LIST),
    Rule("call", re.compile(
        r"\b(?:start|database_name|clone|run_lesson|exercises|lesson|lesson_notebook|"
        r"normalise_lesson|check_command|record_lesson_run|run_foreground)\(\s*"
        r"(?:[\"'](?:worker|beat)[\"']\s*,\s*)?[\"'](?P<n>\d{2})(?=[\"'-])")),
    Rule("call", re.compile(r"[\"'](?:check|worker|beat)[\"']\s*,\s*[\"'](?P<n>\d{2})[\"']")),
    Rule("call", re.compile(r"[\"']lesson[\"']\s*:\s*[\"'](?P<n>\d{2})[\"']")),
    Rule("call", re.compile(r"``[\"'](?P<n>\d{2})[\"']``")),
    Rule("cli", re.compile(
        rf"\bnexus{_GAP}(?:check|worker|beat|\{{program\}})\s+(?P<n>\d{{2}})(?!\d)")),
    Rule("title", re.compile(r"(?<![\w.:\ue000-\uf8ff])(?P<n>\d{2})(?= · )")),
    Rule("prose", re.compile(
        rf"\b[Ll]essons?{_GAP}(?P<nums>{_NN}(?:{_SEP}{_NN})*)(?![\d]|\.\d)"),
        inner=re.compile(rf"(?P<n>{_NN})")),
    Rule("pytest-group", re.compile(r"\.py#(?P<n>\d{2})(?!\d)|::test_\w+\[(?P<m>\d{2})\]")),
    Rule("pytest-group", re.compile(r"(?<=[\"'])\[(?P<n>\d{2})\](?=[\"'])")),
    # Last: a registered id standing alone in source text ("06.1 confirm_booking — …"), not a
    # measurement ("12.3 ms"); stored outputs are left to the review list.
    Rule("exercise-id", re.compile(
        r"(?<![\w.$=/:#\ue000-\uf8ff-])(?P<n>\d{2})\.(?P<x>\d+)"
        rf"(?![\w]|\.\d|\s*{_UNITS})"), where="source", accept=_known_id),
)


# --- rewriting text -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Review:
    """Something that may name a lesson but was left as it is: where, and why it is listed."""

    where: str
    why: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}: {self.text.strip()[:110]}"


@dataclass
class Rewriter:
    """Applies :data:`RULES` for one mapping: ``old → placeholder`` now, ``→ new`` at the end."""

    course: Course
    mapping: Mapping[str, str]
    inserted: frozenset[str] = frozenset()

    def phase_one(self, text: str, *, where: str = "source", markdown: bool = False,
                  counts: Counter[str] | None = None) -> str:
        """``text`` with every recognised old number replaced by its placeholder."""
        if _PLACEHOLDER.search(text):
            raise NexusError("renumber", "a file already holds U+E100–U+E163 characters",
                             "remove them; the tool uses them as placeholders")
        for rule in RULES:
            if rule.where == "source" and where != "source":
                continue
            if rule.where == "markdown" and not markdown:
                continue
            text = rule.pattern.sub(lambda m, r=rule: self._rewrite(m, r, counts), text)
        return text

    def _rewrite(self, match: re.Match[str], rule: Rule, counts: Counter[str] | None) -> str:
        if rule.accept and not rule.accept(match, self.course):
            return match[0]
        start = match.start()
        spans: list[tuple[int, int]] = []
        if rule.inner is not None:
            offset = match.start("nums")
            for inner in rule.inner.finditer(match["nums"]):
                spans.append((offset + inner.start("n"), offset + inner.end("n")))
        else:
            for name in ("n", "m"):
                if name in match.re.groupindex and match[name] is not None:
                    spans.append(match.span(name))
        text = match[0]
        for begin, end in sorted(spans, reverse=True):
            old = text[begin - start:end - start]
            if old in self.mapping:
                text = (text[:begin - start] + chr(_BASE + int(self.mapping[old]))
                        + text[end - start:])
                if counts is not None:
                    counts[rule.kind] += 1
        return text

    @staticmethod
    def phase_two(text: str) -> str:
        """Placeholders become the new numbers."""
        return _PLACEHOLDER.sub(lambda m: f"{ord(m[0]) - _BASE:02d}", text)

    def review(self, text: str, where: Callable[[int], str], *,
               output: bool = False) -> list[Review]:
        """Lines of a phase-one ``text`` that still look like they name a moved lesson."""
        found: list[Review] = []
        moved = self.mapping
        for number, line in enumerate(text.split("\n"), start=1):
            plain = _PLACEHOLDER.sub("", line)
            reasons: list[str] = []
            for match in _REVIEW_ID.finditer(line):
                if f"{match['n']}.{match['x']}" in self.course.ids and match["n"] in moved:
                    reasons.append(f"exercise id {match[0]} in a form not recognised"
                                   + (" (stored output)" if output else ""))
            for match in _REVIEW_NOTEBOOK.finditer(line):
                if match["n"] in moved:
                    reasons.append(f"{match[0]} is not a lesson's notebook")
            for match in _REVIEW_ONE_DIGIT.finditer(line):
                if f"0{match['n']}" in moved:
                    reasons.append(f"one-digit lesson number '{match[0]}'")
            for match in self._ranges(line):
                reasons.append(match)
            if _CUE.search(plain):
                bare = sorted({m["n"] for m in _REVIEW_BARE.finditer(line) if m["n"] in moved})
                if bare:
                    reasons.append(f"bare number {'/'.join(bare)} on a line about lessons")
            found.extend(Review(where(number), reason, self.phase_two(line)) for reason in reasons)
        return found

    def _ranges(self, line: str) -> list[str]:
        notes = []
        for match in _RANGE.finditer(line):
            low, high = (_value(match[g]) for g in ("a", "b"))
            if low is None or high is None:
                continue
            inside = sorted(i for i in self.inserted if low < int(i) < high)
            if inside:
                notes.append(f"range now spans inserted lesson {', '.join(inside)}")
        return notes


def _value(token: str) -> int | None:
    if len(token) == 1 and ord(token) >= _BASE:
        return ord(token) - _BASE
    return int(token) if token.isdigit() else None


_REVIEW_ID = re.compile(rf"(?<![\w.])(?P<n>\d{{2}})\.(?P<x>\d+)(?![\w]|\.\d|\s*{_UNITS})")
_REVIEW_NOTEBOOK = re.compile(r"(?<![\w])(?P<n>\d{2})_\w+\.ipynb")
_REVIEW_ONE_DIGIT = re.compile(r"\b[Ll]essons?\s+(?P<n>\d)(?![\d.])")
#: A two-digit number standing alone: not part of a name, path, version, time, range, format spec
#: or measurement, and not a count ("12 URLs"; "05 and 07" still counts as standing alone).
_REVIEW_BARE = re.compile(
    rf"(?<![\w.:/#=$+*§<>\\-])(?P<n>\d{{2}})(?![\w:%/=-]|\.\d|–\d|\s*{_UNITS}|\s*\*)"
    r"(?!\s+(?!(?:and|or|to|is|in|on|of|at|from|with)\b)[A-Za-z])")
_CUE = re.compile(r"\b(?:[Ll]essons?|[Ee]xercises?|[Nn]otebooks?|[Cc]hapters?|[Ss]ections?|"
                  r"[Cc]hecks?)\b(?!-|\s+(?:in|out)\b)"  # a stay's "check in at 10" is no cue
                  r"|§|\.ipynb|\bnexus (?:check|worker|beat)\b")
_RANGE = re.compile(
    r"\b[Ll]essons?\s+(?P<a>\d{2}|[\ue100-\ue163])\s*(?:[–—-]|\bto\b)\s*"
    r"(?P<b>\d{2}|[\ue100-\ue163])")


# --- the plan -----------------------------------------------------------------------------------
@dataclass
class Edit:
    """A file whose text changes: its new text and how many numbers of each kind changed."""

    path: str
    text: str
    counts: Counter[str]
    notebook: bool = False


@dataclass
class Plan:
    """Everything ``--apply`` would do, and what it would leave for a person to check."""

    root: Path
    mapping: dict[str, str]
    inserted: dict[str, str]
    renames: list[tuple[str, str]] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    review: list[Review] = field(default_factory=list)
    git: bool = False

    def renamed(self, path: str) -> str:
        """Where ``path`` ends up."""
        return dict(self.renames).get(path, path)


def build_plan(root: Path, mapping: Mapping[str, str], inserted: Mapping[str, str] | None = None,
               course: Course | None = None) -> Plan:
    """Read every source file under ``root`` and work out the renames, edits and review list
    (nothing is written)."""
    course = course or read_course(root)
    inserted = dict(inserted or {})
    files, git = source_files(root)
    plan = Plan(root, dict(mapping), inserted, git=git)
    rewriter = Rewriter(course, mapping, frozenset(inserted))
    for path in files:
        if _skipped(path):
            continue
        new_path = _renamed_path(path, rewriter)
        if new_path != path:
            plan.renames.append((path, new_path))
        else:
            plan.review.extend(Review(path, reason, path) for reason in
                               _path_reasons(path, rewriter))
        raw = (root / path).read_bytes()
        if b"\0" in raw:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if path.endswith(".ipynb"):
            edit = _plan_notebook(path, new_path, text, rewriter, plan.review)
        else:
            counts: Counter[str] = Counter()
            markdown = path.endswith(".md")
            staged = rewriter.phase_one(text, markdown=markdown, counts=counts)
            plan.review.extend(rewriter.review(staged, lambda n, p=new_path: f"{p}:{n}"))
            edit = Edit(path, rewriter.phase_two(staged), counts) if counts else None
        if edit is not None:
            plan.edits.append(edit)
    return plan


def _plan_notebook(path: str, label: str, text: str, rewriter: Rewriter,
                   review: list[Review]) -> Edit | None:
    """The notebook at ``path`` edited as nbformat JSON: sources, cell ids and stored outputs
    (``label`` names it in the review list: where it will be)."""
    import nbformat

    notebook = nbformat.reads(text, as_version=4)
    counts: Counter[str] = Counter()

    def rewrite(value: str, at: str, *, where: str = "source", markdown: bool = False,
                reviewed: bool = True) -> str:
        staged = rewriter.phase_one(value, where=where, markdown=markdown, counts=counts)
        if reviewed:
            review.extend(rewriter.review(staged, lambda n: f"{label}:{at}:{n}",
                                          output=where == "output"))
        return rewriter.phase_two(staged)

    for cell in notebook.cells:
        if "id" in cell:
            cell["id"] = rewrite(cell["id"], f"cell {cell['id']} id")
        cell_id = cell.get("id", "?")
        cell.source = rewrite(cell.source, f"cell {cell_id}",
                              markdown=cell.cell_type == "markdown")
        # The outputs of a cell nbval doesn't compare are measurements of the machine that
        # recorded them (timings, counts): rewritten like the rest, never worth a review.
        measured = "NBVAL_IGNORE_OUTPUT" in cell.source
        for output in cell.get("outputs", []):
            at = f"cell {cell_id} output"

            def out(value: str, at: str = at, measured: bool = measured) -> str:
                return rewrite(value, at, where="output", reviewed=not measured)

            if isinstance(output.get("text"), str):
                output["text"] = out(output["text"])
            for mime, value in output.get("data", {}).items():
                if isinstance(value, str) and (mime.startswith("text/") or mime.endswith("+xml")):
                    output["data"][mime] = out(value)
            if isinstance(output.get("evalue"), str):
                output["evalue"] = out(output["evalue"])
            if isinstance(output.get("traceback"), list):
                output["traceback"] = [out(line) for line in output["traceback"]]
    if not counts:
        return None
    new_text = nbformat.writes(notebook)
    return Edit(path, new_text if new_text.endswith("\n") else new_text + "\n", counts,
                notebook=True)


def _renamed_path(path: str, rewriter: Rewriter) -> str:
    folder, _, name = path.rpartition("/")
    staged = name
    for rule in RULES:
        if rule.kind in ("file", "module"):
            staged = rule.pattern.sub(lambda m, r=rule: rewriter._rewrite(m, r, None), staged)
    new = rewriter.phase_two(staged)
    return f"{folder}/{new}" if folder else new


def _path_reasons(path: str, rewriter: Rewriter) -> list[str]:
    numbers = re.findall(r"(?<![\d])(\d{2})(?!\d)", path)
    moved = [n for n in numbers if n in rewriter.mapping]
    return [f"file name holds {'/'.join(moved)} in no recognised form"] if moved else []


def _skipped(path: str) -> bool:
    from fnmatch import fnmatch

    return any(fnmatch(path, pattern) for pattern in SKIP)


def source_files(root: Path) -> tuple[list[str], bool]:
    """The files to read (``git ls-files`` in a checkout, else a walk) and whether it is git."""
    if (root / ".git").exists():
        done = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True,
                              text=True, check=True)
        return sorted(p for p in done.stdout.split("\0") if p and (root / p).is_file()), True
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not _NOT_SOURCE.intersection(relative.parts[:-1]):
            found.append(relative.as_posix())
    return found, False


# --- doing it -----------------------------------------------------------------------------------
def dirty(root: Path) -> list[str]:
    """Tracked files with changes not committed (``git status``, untracked files ignored)."""
    done = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                          capture_output=True, text=True, check=True)
    return [line[3:] for line in done.stdout.splitlines() if line.strip()]


def apply_plan(plan: Plan) -> list[str]:
    """Write the edits, rename the files (``git mv`` in a checkout, via temporary names so that
    chained renames never meet), log the renumbering and migrate this checkout's progress file.
    Returns what was done to learner state, one line each."""
    from nexus.exercises import progress

    root = plan.root
    sources = {old for old, _ in plan.renames}
    taken = [new for _, new in plan.renames if new not in sources and (root / new).exists()]
    if taken:
        raise NexusError("renumber", f"{', '.join(taken)} already exist(s)",
                         "move those files away first: a renamed lesson would overwrite them")
    for edit in plan.edits:
        (root / edit.path).write_bytes(edit.text.encode("utf-8"))
    if plan.git and plan.edits:
        subprocess.run(["git", "-C", str(root), "add", "--", *(e.path for e in plan.edits)],
                       check=True)
    staged = [(old, f"{old}.renumber-{index}") for index, (old, _) in enumerate(plan.renames)]
    for old, temporary in staged:
        _move(root, old, temporary, git=plan.git)
    for (_, temporary), (_, new) in zip(staged, plan.renames, strict=True):
        _move(root, temporary, new, git=plan.git)
    log = root / LOG
    entries = json.loads(log.read_text(encoding="utf-8")) if log.exists() else []
    entries.append({"lessons": dict(sorted(plan.mapping.items())),
                    "inserted": sorted(plan.inserted)})
    log.write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")
    if plan.git:
        subprocess.run(["git", "-C", str(root), "add", "--", LOG], check=True)
    notes = [f"{LOG}: renumbering {len(entries)} logged (learners' progress follows it)"]
    local = root / ".nexus" / "progress.json"
    if local.exists():
        moved = progress.migrate_file(local, entries)
        notes.append(f".nexus/progress.json: {moved} result(s) moved to their new numbers")
    return notes


def _move(root: Path, old: str, new: str, *, git: bool) -> None:
    (root / new).parent.mkdir(parents=True, exist_ok=True)
    if git:
        done = subprocess.run(["git", "-C", str(root), "mv", "--", old, new],
                              capture_output=True, text=True, check=False)
        if done.returncode:
            raise NexusError("renumber", f"`git mv {old} {new}` failed: {done.stderr.strip()}",
                             "the tree is half renumbered: `git reset --hard HEAD` undoes it "
                             "(it was clean before, unless --allow-dirty was given)")
    else:
        (root / old).rename(root / new)


# --- what the learner of this tool sees ----------------------------------------------------------
def format_plan(plan: Plan) -> str:
    """The plan as text: mapping, renames, per-file counts by kind, the review list."""
    lines = [f"lessons: {_describe(plan.mapping)}"]
    if plan.inserted:
        lines.append("inserted (numbers kept free): "
                     + ", ".join(f"{n} {s}".rstrip() for n, s in sorted(plan.inserted.items())))
    verb = "git mv" if plan.git else "rename"
    lines.append(f"\nrenames ({len(plan.renames)}, {verb}):")
    lines += [f"  {old} → {new}" for old, new in plan.renames]
    total: Counter[str] = Counter()
    for edit in plan.edits:
        total.update(edit.counts)
    lines.append(f"\nedits ({len(plan.edits)} files, {sum(total.values())} numbers):")
    width = max((len(plan.renamed(e.path)) for e in plan.edits), default=0)
    for edit in sorted(plan.edits, key=lambda e: e.path):
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(edit.counts.items()))
        lines.append(f"  {plan.renamed(edit.path):<{width}}  {kinds}")
    lines.append("  by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(total.items())))
    lines.append(f"\nreview ({len(plan.review)}): left unchanged, may name a lesson — check each")
    lines += [f"  {item}" for item in plan.review]
    return "\n".join(lines)


def next_steps(plan: Plan) -> str:
    """What to do after ``--apply``."""
    steps = []
    for number, slug in sorted(plan.inserted.items()):
        name = f"{number}_{slug or '<topic>'}"
        steps.append(f"write lesson {number}: notebooks/{name}.ipynb, solutions/{name}.ipynb "
                     f"(then `make exercises`), nexus/exercises/checks/lesson{number}.py, "
                     f"tests/exercises/wrong_answers_{number}.py, a README table row")
    if plan.review:
        steps.append(f"check the {len(plan.review)} review line(s) above by hand")
    steps += ["make golden   # re-record notebooks/ and solutions/ (outputs show the numbers)",
              "make test     # toolkit, exercises (stubs fail, wrong answers), nbval"]
    if plan.git:
        steps.append("git diff --cached -B -M --stat (-B pairs the reused lessonNN.py names), "
                     "then commit: every change is staged")
    return "next:\n" + "\n".join(f"  {n}. {s}" for n, s in enumerate(steps, start=1))


def parse_pairs(values: Iterable[str], option: str, *, value_required: bool) -> dict[str, str]:
    """``["05=middleware", "07"]`` → ``{"05": "middleware", "07": ""}`` (checked)."""
    pairs: dict[str, str] = {}
    for raw in values:
        key, sep, value = raw.partition("=")
        if value_required and not (sep and value):
            raise UsageError(f"{option} {raw}: write OLD=NEW, e.g. {option} 05=06")
        key = _two_digits(key, option)
        if key in pairs:
            raise UsageError(f"{option} {key} is given twice")
        if value_required:
            value = _two_digits(value, option)
        elif value and not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise UsageError(f"{option} {raw}: the topic is a file-name slug, e.g. middleware")
        pairs[key] = value
    return pairs


def run(*, root: Path, inserts: Sequence[str] = (), moves: Sequence[str] = (),
        apply: bool = False, allow_dirty: bool = False, out: Callable[[str], None] = print) -> int:
    """``nexus renumber``: print the plan; with ``apply`` carry it out. Exit code 0."""
    inserted = parse_pairs(inserts, "--insert", value_required=False)
    moved = parse_pairs(moves, "--move", value_required=True)
    if not inserted and not moved:
        raise UsageError("nothing to do: give --insert NN[=topic] or --move OLD=NEW")
    course = read_course(root)
    if not course.lessons:
        raise UsageError(f"no lessons (notebooks/NN_*.ipynb) under {root}")
    mapping = compute_mapping(course.lessons, inserted, moved)
    if not mapping:
        out("no lesson changes number: nothing to do")
        return 0
    if apply and (root / ".git").exists() and not allow_dirty:
        changed = dirty(root)
        if changed:
            raise NexusError("renumber", f"the work tree has uncommitted changes "
                             f"({', '.join(changed[:5])}{'…' if len(changed) > 5 else ''})",
                             "commit or stash them, so the renumbering is one reviewable "
                             "change (or pass --allow-dirty)")
    plan = build_plan(root, mapping, inserted, course)
    out(format_plan(plan))
    if not apply:
        out("\ndry run: nothing was changed (--apply does it)")
        return 0
    for note in apply_plan(plan):
        out(note)
    out(f"\napplied: {len(plan.renames)} renames, {len(plan.edits)} files edited\n")
    out(next_steps(plan))
    return 0
