"""Where the test suite's time goes: ``python -m bench.suite [build/test-report.xml]``.

``make test`` writes a JUnit report (every test's time); this sums it by area — a test folder,
a lesson's notebook, the solutions — so the minutes can be put where they are spent. The times
are wall-clock seconds of each test (setup and teardown included), so fixtures shared by a
module are charged to its first test; the CPU seconds are the test process's and those of the
processes it started and reaped (``nexus.pytest_plugin`` records them).
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from nexus.paths import REPO_ROOT

REPORT = REPO_ROOT / "build" / "test-report.xml"


def area(case: ET.Element) -> str:
    """The area a test belongs to: ``tests/build_track``, ``sample_project/tests/api``,
    ``notebooks/05_caching.ipynb``…"""
    classname = case.get("classname", "")
    if classname.endswith(".ipynb"):  # nbval: "notebooks.05_caching.ipynb"
        return classname.replace(".", "/", 1)
    parts = classname.split(".")
    if parts[0] == "sample_project" and len(parts) > 2:
        return "/".join(parts[:3])
    return "/".join(parts[:2])


def cpu(case: ET.Element) -> float:
    """The CPU seconds recorded for a test (0 in a report written without them)."""
    for prop in case.iter("property"):
        if prop.get("name") == "cpu":
            return float(prop.get("value", 0))
    return 0.0


def summarize(report: Path) -> dict[str, tuple[int, float, float]]:
    """``{area: (tests, seconds, cpu seconds)}`` of a JUnit report."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for case in ET.parse(report).iter("testcase"):
        entry = totals[area(case)]
        entry[0] += 1
        entry[1] += float(case.get("time", 0))
        entry[2] += cpu(case)
    return {name: (int(count), seconds, used) for name, (count, seconds, used) in totals.items()}


def main(argv: list[str]) -> int:
    report = Path(argv[0]) if argv else REPORT
    if not report.exists():
        print(f"no report at {report}: run `make test` first (it writes one)", file=sys.stderr)
        return 1
    totals = summarize(report)
    whole = sum(seconds for _, seconds, _ in totals.values()) or 1.0
    folders: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for name, row in totals.items():
        top = "/".join(name.split("/")[:2]) if name.startswith("sample_project") \
            else name.split("/")[0]
        for index, value in enumerate(row):
            folders[top][index] += value
    for title, rows in (("folder", folders), ("area", totals)):
        print(f"{title:<48} {'tests':>6} {'seconds':>8} {'share':>6} {'cpu s':>8}")
        for name, (count, seconds, used) in sorted(rows.items(), key=lambda item: -item[1][1]):
            share = seconds / whole
            print(f"{name:<48} {int(count):>6} {seconds:>8.1f} {share:>6.1%} {used:>8.1f}")
        print()
    count = sum(row[0] for row in totals.values())
    used = sum(row[2] for row in totals.values())
    print(f"{'all':<48} {count:>6} {whole:>8.1f} {'':>6} {used:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
