"""Measure the course on this machine and write ``bench/RESULTS.md``.

Every figure stands next to its target. Timings are medians or ratios measured in this one run,
on loopback only, with bounded request counts. Run with ``make bench`` (about two minutes).
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import requests

import nexus
from nexus.load import percentile, run_load
from nexus.paths import REPO_ROOT

RESULTS = Path(__file__).with_name("RESULTS.md")
LISTINGS = 1_000


@dataclass(frozen=True)
class Figure:
    """One measured number and the target it is held to."""

    section: str
    name: str
    value: str
    target: str
    ok: bool


def timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


# --- ORM and API ------------------------------------------------------------------------------
def listings_queries() -> list[Figure]:
    """Queries per GET /api/listings/ at three page sizes, and an N+1 before/after."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from listings.models import Listing
    from listings.selectors import listing_list

    figures = []
    client = Client()
    counts = {}
    for size in (10, 50, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/listings/?page_size={size}", HTTP_HOST="127.0.0.1")
        assert response.status_code == 200, response.content[:300]
        counts[size] = len(queries)
    constant = len(set(counts.values())) == 1
    figures.append(Figure(
        "API", "queries per `GET /api/listings/` at page size 10 / 50 / 100",
        " / ".join(str(counts[s]) for s in (10, 50, 100)), "constant, ≤ 4",
        constant and max(counts.values()) <= 4))

    with CaptureQueriesContext(connection) as naive:
        for listing in Listing.objects.order_by("id")[:100]:
            _ = (listing.host.username, listing.reviews.count())
    with CaptureQueriesContext(connection) as optimized:
        for listing in listing_list()[:100]:
            _ = (listing.host.username, listing.review_count)
    figures.append(Figure(
        "API", "queries for 100 listings with host and review count: naive → selector",
        f"{len(naive)} → {len(optimized)}", "constant after optimisation (1)",
        len(optimized) == 1))
    return figures


def listings_latency(server) -> list[Figure]:
    """Median / p95 latency of GET /api/listings/ under gunicorn, 1,000 listings."""
    session = requests.Session()
    url = server.url("/api/listings/?page_size=20")
    for _ in range(10):
        session.get(url, timeout=10).raise_for_status()
    samples = [timed(lambda: session.get(url, timeout=10).raise_for_status())
               for _ in range(200)]
    median, p95 = statistics.median(samples) * 1000, percentile(samples, 95) * 1000
    return [Figure("API", f"`GET /api/listings/` latency, {LISTINGS:,} listings, gunicorn "
                   "2 workers (median / p95)", f"{median:.1f} ms / {p95:.1f} ms",
                   "median < 50 ms", median < 50)]


# The framework floor: DRF's API root (GET /api/: a reverse() per route and a small JSON body)
# on the same server pays what every request pays (gunicorn, middleware, DRF's authentication,
# permissions and throttling) and nothing the listings page adds. A ratio to it measures what
# the page costs on top of any request.
FLOOR = "/api/"
PAGE = "/api/listings/?page_size=20"


def listings_vs_floor(server) -> list[Figure]:
    """GET /api/listings/ uncached and cached against the floor, GET /api/, on one server.

    Latency: the uncached page (the generation bumped before each request, what every reader
    sees after a write) and the floor alternate, so both see the same machine; medians.
    Throughput: the cached page and the floor, 4 concurrent clients for 2 s each, alternating
    for 3 rounds; the median of the 3 ratios.
    """
    from listings.cache import bump_generation

    session = requests.Session()

    def get(path: str) -> float:
        return timed(lambda: session.get(server.url(path), timeout=10).raise_for_status())

    def cold() -> float:
        bump_generation()  # what a write does: every cached page and value is stale at once
        return get(PAGE)

    for _ in range(10):  # connections, workers and code paths warmed, not the cache
        cold()
        get(FLOOR)
    uncached, floor = [], []
    for _ in range(200):
        uncached.append(cold())
        floor.append(get(FLOOR))
    uncached_p50, floor_p50 = statistics.median(uncached), statistics.median(floor)
    session.get(server.url(PAGE), timeout=10).raise_for_status()  # cached from here on
    cached_p50 = statistics.median(get(PAGE) for _ in range(200))
    latency = uncached_p50 / floor_p50

    ratios, rates = [], []
    for _ in range(3):
        page = run_load(server.url(), PAGE, duration=2.0, concurrency=4)
        root = run_load(server.url(), FLOOR, duration=2.0, concurrency=4)
        assert page.ok == page.count and root.ok == root.count, (page.statuses, root.statuses)
        ratios.append(page.throughput / root.throughput)
        rates.append((page.throughput, root.throughput))
    throughput = statistics.median(ratios)
    page_rate, root_rate = rates[ratios.index(throughput)]
    return [
        Figure("API", "the floor: `GET /api/` (DRF's API root, a near no-op view), same "
               "gunicorn, median", f"{floor_p50 * 1000:.2f} ms", "the reference", True),
        Figure("API", f"`GET /api/listings/` uncached (generation bumped before each request), "
               f"{LISTINGS:,} listings, ÷ the floor, medians",
               f"{uncached_p50 * 1000:.1f} ms ÷ {floor_p50 * 1000:.2f} ms: **{latency:.1f}×** "
               f"(cached: {cached_p50 * 1000:.2f} ms)", "≤ 3×", latency <= 3),
        Figure("API", "cached `GET /api/listings/` throughput ÷ the floor's, 4 concurrent "
               "clients, median of 3 rounds", f"{page_rate:,.0f} vs {root_rate:,.0f} req/s: "
               f"**{throughput:.2f}**", "≥ 0.9", throughput >= 0.9),
    ]


def _tokens(server, usernames: list[str]) -> list[str]:
    from demo.seed import DEMO_PASSWORD

    tokens = []
    for username in usernames:
        response = requests.post(server.url("/api/auth/jwt/"), timeout=10,
                                 json={"username": username, "password": DEMO_PASSWORD})
        response.raise_for_status()
        tokens.append(response.json()["access"])
    return tokens


def _post_all_at_once(server, jobs: list[tuple[str, dict]]) -> list[tuple[int, float]]:
    """POST every (token, body) to /api/bookings/ from its own thread, released together."""
    barrier = threading.Barrier(len(jobs))
    results: list[tuple[int, float]] = [(0, 0.0)] * len(jobs)

    def book(index: int, token: str, body: dict) -> None:
        barrier.wait()
        began = time.perf_counter()
        response = requests.post(server.url("/api/bookings/"), json=body, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"})
        results[index] = (response.status_code, time.perf_counter() - began)

    threads = [threading.Thread(target=book, args=(i, token, body))
               for i, (token, body) in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def booking_load(server) -> list[Figure]:
    """Concurrent booking creation: a race for one stay, then load on different stays."""
    from django.db import connection

    from listings.models import Listing

    guests = [f"guest{i:04d}" for i in range(1, 21)]
    tokens = _tokens(server, guests)
    check_in = date.today() + timedelta(days=3 * 365)
    stay = {"check_in": check_in.isoformat(),
            "check_out": (check_in + timedelta(days=3)).isoformat(), "guests": 1}
    target = Listing.objects.filter(is_active=True).order_by("id").first()
    race = _post_all_at_once(server, [(t, stay | {"listing": target.pk}) for t in tokens])
    statuses = sorted(status for status, _ in race)
    created = statuses.count(201)
    conflicts = statuses.count(409)

    listings = list(Listing.objects.filter(is_active=True, max_guests__gte=1)
                    .order_by("id").values_list("pk", flat=True)[1:41])
    spread = [(tokens[i % len(tokens)], stay | {"listing": pk}) for i, pk in enumerate(listings)]
    began = time.perf_counter()
    load = _post_all_at_once(server, spread)
    elapsed = time.perf_counter() - began
    latencies = [seconds for _, seconds in load]
    ok = sum(1 for status, _ in load if status == 201)
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FROM bookings_booking a JOIN bookings_booking b
              ON a.listing_id = b.listing_id AND a.id < b.id
             AND a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
             AND daterange(a.check_in, a.check_out) && daterange(b.check_in, b.check_out)""")
        overlaps = cursor.fetchone()[0]
    return [
        Figure("Bookings", "20 guests book the same nights at once: created / refused (409)",
               f"{created} / {conflicts}", "exactly 1 / 19", created == 1 and conflicts == 19),
        Figure("Bookings", f"{len(spread)} concurrent bookings of different listings: "
               "created, p50 / p95 latency",
               f"{ok} created, {statistics.median(latencies) * 1000:.0f} ms / "
               f"{percentile(latencies, 95) * 1000:.0f} ms ({len(spread) / elapsed:.0f} req/s)",
               "all created, p95 < 2 s", ok == len(spread) and percentile(latencies, 95) < 2),
        Figure("Bookings", "overlapping active bookings in the database afterwards",
               str(overlaps), "0", overlaps == 0),
    ]


# --- Celery ---------------------------------------------------------------------------------
EMAILS = 200


def celery_throughput() -> list[Figure]:
    """Booking confirmations sent per second by one worker (one process) into the SMTP sink."""
    from bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
    from bookings.tasks import send_booking_confirmation
    from nexus.worker import broker_url, purge_queue

    ids = list(Booking.objects.filter(status__in=ACTIVE_STATUSES, guest__email__gt="")
               .order_by("id").values_list("id", flat=True)[:EMAILS])
    assert len(ids) == EMAILS, f"the seed has {len(ids)} active bookings, {EMAILS} needed"
    Booking.objects.filter(id__in=ids).update(status=BookingStatus.PENDING,
                                              confirmation_sent_at=None)
    purge_queue()  # confirmations the booking load queued: not part of this measure
    worker = nexus.worker()  # concurrency 1: one pool process

    def sent() -> int:  # set in the transaction that sends the email
        return Booking.objects.filter(id__in=ids, confirmation_sent_at__isnull=False).count()

    began = time.perf_counter()
    for booking_id in ids:
        send_booking_confirmation.delay(booking_id)
    worker.until(lambda: sent() == EMAILS, timeout=120)
    seconds = time.perf_counter() - began
    worker.stop()
    broker = broker_url().split("://")[0].replace("amqp", "RabbitMQ").replace("redis", "Redis")
    rate = EMAILS / seconds
    return [Figure("Celery", f"booking confirmations, one worker (concurrency 1), {broker} "
                   f"broker, SMTP sink: {EMAILS} queued → sent",
                   f"{EMAILS} sent in {seconds:.1f} s: **{rate:.0f} emails/s**",
                   "all sent, ≥ 20 emails/s", rate >= 20)]


# --- the toolkit and the notebooks -----------------------------------------------------------
def start_time() -> list[Figure]:
    """``nexus.start`` warm, measured inside a fresh interpreter (as a kernel would)."""
    script = ("import time; t = time.perf_counter(); import nexus; "
              "nexus.start('bench-start', quiet=True); print(time.perf_counter() - t)")
    samples = []
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, check=True,
                              capture_output=True, text=True)
        samples.append(float(done.stdout.split()[-1]))
    median = statistics.median(samples)
    return [Figure("Toolkit", "`nexus.start()` warm (import + services check + fresh "
                   "database clone + `django.setup()`), median of 3", f"{median:.2f} s",
                   "≤ 3 s", median <= 3)]


def build_checks() -> list[Figure]:
    """Each build step checked against the model answer (a second run: the migrated template
    exists, as for a learner who checks again), and a fresh skeleton's checks."""
    import tempfile

    from nexus.build import new_project, steps
    from nexus.exercises.harness import run_check
    from nexus.paths import SAMPLE_PROJECT

    figures = []
    run_check(steps()[-1].id, SAMPLE_PROJECT)  # builds the sample's migrated template once
    for step in steps():
        began = time.perf_counter()
        result = run_check(step.id, SAMPLE_PROJECT)
        seconds = time.perf_counter() - began
        figures.append(Figure("Build track", f"check {step.id} against the sample project",
                              f"{seconds:.1f} s" + ("" if result else " (failed)"), "≤ 20 s",
                              bool(result) and seconds <= 20))
    with tempfile.TemporaryDirectory() as folder:
        skeleton, _ = new_project(Path(folder) / "my_project")
        began = time.perf_counter()
        failed = sum(not run_check(step.id, skeleton) for step in steps())
        seconds = time.perf_counter() - began
    figures.append(Figure("Build track", f"a fresh skeleton: {len(steps())} checks, all failing",
                          f"{failed} failed in {seconds:.1f} s", "all fail",
                          failed == len(steps())))
    return figures


def course_memory() -> int:
    """Bytes of memory held now by everything a lesson runs: this process and its descendants
    (the kernel, and the servers and workers it starts) and the course's services with theirs
    (PostgreSQL's backends…). Each process counts its proportional share of pages it shares
    with others (PSS, on Linux), so PostgreSQL's shared buffers count once; RSS elsewhere."""
    import psutil

    from nexus.paths import state_dir

    home = str(state_dir())
    roots = [psutil.Process()]
    for process in psutil.process_iter(["cmdline"]):
        if any(home in part for part in process.info["cmdline"] or ()):
            roots.append(process)
    found: dict[int, psutil.Process] = {}
    for root in roots:
        try:
            for process in (root, *root.children(recursive=True)):
                found[process.pid] = process
        except psutil.NoSuchProcess:
            continue
    total = 0
    for process in found.values():
        try:
            info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += getattr(info, "pss", info.rss)
    return total


def notebook_times() -> list[Figure]:
    """Each lesson executed once with papermill, as `nexus run` does, and the most memory
    everything it ran held at once (sampled once a second: a sample reads every process's
    memory map, about 0.1 s of CPU, so sampling faster slows the lesson it measures)."""
    from nexus import course_run

    out = REPO_ROOT / "build" / "bench"
    figures = []
    peak = {"bytes": 0, "lesson": ""}
    for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        done = threading.Event()

        def sample(lesson: str = path.name, done: threading.Event = done) -> None:
            while not done.is_set():
                held = course_memory()
                if held > peak["bytes"]:
                    peak.update(bytes=held, lesson=lesson)
                done.wait(1.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            result = course_run.run_notebook(path, out, progress_bar=False)
        finally:
            done.set()
            sampler.join()
        figures.append(Figure("Notebooks", f"`{path.name}` run time", f"{result.seconds:.1f} s"
                              + ("" if result.ok else f" (failed: {result.failure})"),
                              "≤ 20 s", result.ok and result.seconds <= 20))
    gib = peak["bytes"] / 2**30
    figures.append(Figure("Notebooks", "most memory held at once while a lesson runs (services, "
                          "kernel, its servers and workers; PSS)",
                          f"{gib:.2f} GiB ({peak['bytes'] / 2**20:.0f} MiB, `{peak['lesson']}`)",
                          "≤ 1 GiB", gib <= 1))
    return figures


def write(figures: list[Figure], seconds: float) -> None:
    lines = [
        "# Benchmarks", "",
        f"Written by `make bench` (`python -m bench.run`) in {seconds:.0f} s on "
        f"{platform.machine()}, Python {platform.python_version()}, "
        f"{__import__('os').cpu_count()} cores. Loopback only; every number is from one run.",
        "",
    ]
    section = None
    for figure in figures:
        if figure.section != section:
            section = figure.section
            lines += ["", f"## {section}", "", "| measure | result | target | met |",
                      "| --- | --- | --- | --- |"]
        lines.append(f"| {figure.name} | {figure.value} | {figure.target} | "
                     f"{'✓' if figure.ok else '✗'} |")
    RESULTS.write_text("\n".join(lines) + "\n")


def main() -> int:
    """Run every benchmark, write RESULTS.md; exit 1 if a target was missed."""
    began = time.perf_counter()
    nexus.start("bench", quiet=True)
    from demo.seed import seed_demo_data

    seeding = time.perf_counter()
    seed_demo_data(listings=LISTINGS, seed=42, replace=True)
    seeded = time.perf_counter() - seeding
    # The server shares this process's cache prefix (a fresh one per run, set by nexus.start),
    # so bump_generation() here makes its cached pages stale.
    server = nexus.serve(env={"THROTTLE_ANON_RATE": "1000000/min",
                              "THROTTLE_USER_RATE": "1000000/min",
                              "THROTTLE_LOGIN_RATE": "1000000/min"})
    figures: list[Figure] = [Figure("Data", f"`seed_demo_data({LISTINGS:,} listings)`, replacing "
                                    "the notebook's data", f"{seeded:.1f} s", "≤ 10 s",
                                    seeded <= 10)]
    steps: list[Callable[[], list[Figure]]] = [
        start_time, listings_queries, lambda: listings_latency(server),
        lambda: listings_vs_floor(server), lambda: booking_load(server), celery_throughput,
        build_checks, notebook_times,
    ]
    for step in steps:
        figures += step()
    server.stop()
    write(figures, time.perf_counter() - began)
    print(RESULTS.read_text())
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
