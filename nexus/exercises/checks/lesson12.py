"""Lesson 12 — system design: the arithmetic behind a capacity plan.

Three small functions a capacity plan is made of: a percentile of measured latencies, cores from
a traffic estimate, workers from Little's law. Each check runs the learner's function on several
cases and, when an answer is wrong, recomputes it with the usual mistakes (an unsorted list, a
rank off by one, interpolation, forgetting the peak, multiplying by the headroom, rounding down,
milliseconds taken for seconds) to name the one that was made.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_12.py):

12.1 percentile — unsorted values; interpolation (numpy's default); the caller's list sorted in
     place; the rank used as an index; 7 / 100 * 100 in floating point; the rank rounded instead
     of rounded up; the mean; repeated latencies dropped (a set). Lists with repeats and every
     whole pct are drawn by hypothesis as well.
12.2 cores_needed — no peak factor; multiplied by the headroom; divided by the headroom; requests
     per hour; rounded down; no minimum of 1; a float.
12.3 workers_needed — milliseconds taken for seconds; rate divided by latency; rounded down; no
     minimum of 1; + 1 instead of rounding up.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from nexus.exercises.checks.support import for_all
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("12", "System design")


def _call(function: Callable, *args: object) -> tuple[object, Exception | None]:
    """``function(*args)`` and no error, or ``None`` and the error (NotImplementedError passes)."""
    try:
        return function(*args), None
    except NotImplementedError:
        raise
    except Exception as exc:  # the learner's error is the answer being checked
        return None, exc


# --- 12.1 -----------------------------------------------------------------------------------------
def _nearest_rank(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(round(pct * len(ordered) / 100, 9)), 1) - 1]


def _percentile_cases() -> list[tuple[list[float], float]]:
    latencies = [120.0, 48.0, 35.0, 300.0, 41.0, 39.0, 52.0, 44.0, 37.0, 950.0]
    hundred = [float(n) for n in range(1, 101)]
    random.Random(12).shuffle(hundred)
    repeated = [40.0, 40.0, 41.0, 40.0, 300.0, 40.0, 45.0, 40.0]  # the same latency, often
    return [(latencies, 50), (latencies, 90), (latencies, 99), (latencies, 14), (latencies, 10),
            (latencies, 100), (hundred, 99), (hundred, 7), ([42.0], 50), (repeated, 75),
            (repeated, 90)]


@exercise("12.1", "percentile: nearest rank", needs_django=False)
def check_percentile(percentile) -> None:
    look = 'lesson 12, "2. Latency, one client at a time — and why percentiles"'

    def judge(values: list[float], pct: float) -> None:
        given = list(values)
        got, error = _call(percentile, given, pct)
        want = _nearest_rank(values, pct)
        expected = f"percentile({_values(values)}, {pct}) == {want:g}"
        ordered = sorted(values)
        n = len(values)
        if error is not None:
            hint = "list indexes start at 0 and ranks at 1: the value of rank r is " \
                   "ordered[r - 1] (p100 is the last one, not one past it)." \
                if isinstance(error, IndexError) else \
                "read the error and the line it names."
            raise Fail(expected=expected, got=f"{type(error).__name__}: {error}"[:200],
                       hint=hint, look=look)
        if given != values:
            raise Fail(expected="the caller's list left as it was",
                       got="your function reordered the list it was given",
                       hint="list.sort() sorts the caller's list in place: the latencies lose "
                            "their order (request 1, 2, 3…). Use sorted(values), which returns "
                            "a new list.", look=look)
        if isinstance(got, (int, float)) and not isinstance(got, bool) and got == want:
            return
        rank = pct * n / 100
        deduplicated = sorted(set(values))
        if got == values[max(math.ceil(rank), 1) - 1] and got != want:
            hint = "a rank counts from the smallest value: sort the latencies first."
        elif isinstance(got, (int, float)) and got == sum(values) / n and got not in values:
            hint = "that is the mean of all the latencies, not a percentile: the slow requests " \
                   "a percentile exists to show are averaged away. Pick the value at the rank."
        elif got != want and got == deduplicated[max(math.ceil(round(pct * len(deduplicated)
                                                                       / 100, 9)), 1) - 1]:
            hint = "repeated latencies count: two requests that took 40 ms are two " \
                   "measurements, so don't drop repeats (a set does)."
        elif isinstance(got, (int, float)) and got not in values:
            hint = "nearest rank returns a latency that was actually measured; yours lies " \
                   "between two (an interpolation or an average). Pick the value at the rank."
        elif math.ceil(pct / 100 * n) != math.ceil(rank) and \
                got == ordered[math.ceil(pct / 100 * n) - 1]:
            hint = "floating point: 7 / 100 * 100 is 7.000000000000001, and its ceiling is 8. " \
                   "Multiply first (pct * n / 100), or round the rank before math.ceil."
        elif math.ceil(rank) < n and got == ordered[math.ceil(rank)]:
            hint = "one rank too high: list indexes start at 0 and ranks at 1, so the value " \
                   "of rank r is ordered[r - 1]."
        elif got == ordered[max(round(rank), 1) - 1] or got == ordered[max(int(rank), 1) - 1]:
            hint = "round the rank up (math.ceil): p14 of 10 values needs 1.4 values at or " \
                   "below it, so it is the 2nd, not the 1st."
        else:
            hint = "sort the values, compute the rank ⌈pct × n / 100⌉ and return the value " \
                   "at that rank (counting from 1)."
        raise Fail(expected=expected, got=repr(got), hint=hint, look=look)

    for values, pct in _percentile_cases():
        judge(values, pct)

    from hypothesis import strategies

    latencies = strategies.lists(strategies.sampled_from([12.0, 40.0, 41.0, 45.0, 300.0, 950.0]),
                                 min_size=1, max_size=40)
    for_all(strategies.tuples(latencies, strategies.integers(1, 100)),
            lambda case: judge(*case), examples=40)


def _values(values: list[float]) -> str:
    text = "[" + ", ".join(f"{v:g}" for v in values[:6]) + (", …]" if len(values) > 6 else "]")
    return text if len(values) <= 6 else f"{text} ({len(values)} values)"


# --- 12.2 and 12.3: answers compared over all cases ---------------------------------------------
def _answers(function: Callable, cases: list[tuple], look: str, show: Callable[[tuple], str],
             ) -> list[object]:
    """``function(*case)`` for every case; a Fail naming the case if it raises."""
    answers = []
    for case in cases:
        got, error = _call(function, *case)
        if error is not None:
            hint = "a rate of 0 is a valid input (a quiet night): don't divide by it." \
                if isinstance(error, ZeroDivisionError) else \
                "read the error and the line it names."
            raise Fail(expected=show(case), got=f"{type(error).__name__}: {error}"[:200],
                       hint=hint, look=look)
        answers.append(got)
    return answers


def _diagnose(answers: list[object], cases: list[tuple], mistakes: list[tuple[Callable, str]],
              ) -> str | None:
    """The hint of the first mistake that explains every answer (each gives a set of outputs)."""
    for outputs, hint in mistakes:
        if all(got in outputs(*case) for got, case in zip(answers, cases, strict=True)):
            return hint
    return None


def _up(raw: float) -> set[int]:
    """What a learner's rounding up of ``raw`` can give, with or without the minimum of 1."""
    up = math.ceil(round(raw, 9))
    return {up, max(1, up)}


def _down(raw: float) -> set[int]:
    return {f(raw) for f in (math.floor, round)} | {max(1, f(raw)) for f in (math.floor, round)}


def _cores(per_day: float, peak: float, per_core: float, headroom: float) -> float:
    """Cores of work at the peak, before rounding."""
    return per_day / 86_400 * peak / (per_core * (1 - headroom))


@exercise("12.2", "cores_needed: a capacity estimate", needs_django=False)
def check_cores_needed(cores_needed) -> None:
    look = 'lesson 12, "5. A capacity estimate from these numbers"'
    cases = [(1_000_000, 4, 50, 0.3), (10_000_000, 3, 120, 0.25), (86_400_000, 2, 100, 0.5),
             (5_000_000, 5, 350, 0.3), (100, 4, 50, 0.3), (0, 4, 50, 0.3)]
    wants = [max(1, math.ceil(round(_cores(*case), 9))) for case in cases]

    def show(case: tuple) -> str:
        per_day, peak, per_core, headroom = case
        return f"cores_needed({per_day:_}, {peak}, {per_core}, {headroom}) == " \
               f"{wants[cases.index(case)]}"

    answers = _answers(cores_needed, cases, look, show)
    if all(got == want and type(got) is int for got, want in zip(answers, wants, strict=True)):
        return
    wrong = next(i for i, (got, want) in enumerate(zip(answers, wants, strict=True))
                 if got != want or type(got) is not int)
    mistakes = [
        (lambda d, p, c, h: {math.ceil(_cores(d, p, c, h))},
         "even with no traffic the app needs somewhere to run: at least 1 core."),
        (lambda d, p, c, h: _down(_cores(d, p, c, h)),
         "round up (math.ceil): 2.1 cores of work needs 3 cores — rounding down plans for less "
         "than the peak."),
        (lambda d, p, c, h: _up(_cores(d, 1, c, h)),
         "the peak factor is missing: traffic is not flat, and the busiest hour carries "
         "`peak_factor` × the daily average — plan for the peak."),
        (lambda d, p, c, h: _up(_cores(d, p, c, 0) * (1 - h)),
         "headroom makes the estimate bigger, not smaller: each core may only be (1 − headroom) "
         "busy, so divide by (1 − headroom)."),
        (lambda d, p, c, h: _up(_cores(d, p, c, 0) / h),
         "headroom is the share kept spare (0.3 = 30 % idle); the share you may use is "
         "1 − headroom. Divide by that."),
        (lambda d, p, c, h: _up(_cores(d, p, c, h) * 24),
         "a day has 86,400 seconds (24 × 3,600): turn requests per day into requests per second "
         "before comparing with requests per second per core."),
    ]
    if type(answers[wrong]) is not int:
        hint = "return a whole number of cores (an int): nobody buys 2.7 cores."
    else:
        hint = _diagnose(answers, cases, mistakes) or (
            "requests per second at the peak = per day ÷ 86,400 × peak factor; cores = that ÷ "
            "(requests per second per core × (1 − headroom)), rounded up, at least 1.")
    raise Fail(expected=show(cases[wrong]), got=repr(answers[wrong]), hint=hint, look=look)


# --- 12.3 -----------------------------------------------------------------------------------------
@exercise("12.3", "workers_needed: Little's law", needs_django=False)
def check_workers_needed(workers_needed) -> None:
    look = 'lesson 12, "3. Throughput against concurrency, and Little\'s law"'
    cases = [(200, 50), (120, 25), (35, 1000), (1000, 12.5), (3, 80), (0, 40), (45, 210)]
    wants = [max(1, math.ceil(round(rate * ms / 1000, 9))) for rate, ms in cases]

    def show(case: tuple) -> str:
        return f"workers_needed({case[0]}, {case[1]}) == {wants[cases.index(case)]}"

    answers = _answers(workers_needed, cases, look, show)
    if all(got == want and type(got) is int for got, want in zip(answers, wants, strict=True)):
        return
    wrong = next(i for i, (got, want) in enumerate(zip(answers, wants, strict=True))
                 if got != want or type(got) is not int)
    mistakes = [
        (lambda rate, ms: {math.ceil(round(rate * ms / 1000, 9))},
         "keep at least 1 worker: a server with no worker can't answer the first request of "
         "the morning."),
        (lambda rate, ms: {int(rate * ms / 1000) + 1},
         "adding 1 is not rounding up: exactly 10 requests in flight need 10 workers, not 11 — "
         "round up only what has a fraction."),
        (lambda rate, ms: _down(rate * ms / 1000),
         "round up: 8.75 requests in flight on average need 9 workers, or requests queue even "
         "on an average second."),
        (lambda rate, ms: _up(rate * ms) | _down(rate * ms),
         "mind the units: the latency is in milliseconds and the rate per second — convert the "
         "latency to seconds (÷ 1000) before multiplying."),
        (lambda rate, ms: _up(rate / (ms / 1000)) | _up(rate / ms) | _down(rate / ms),
         "Little's law multiplies: in flight = arrival rate × time each one stays (L = λ·W). "
         "More latency needs more workers, not fewer."),
    ]
    if type(answers[wrong]) is not int:
        hint = "return a whole number of workers (an int)."
    else:
        hint = _diagnose(answers, cases, mistakes) or \
            "workers = ⌈ requests per second × latency in seconds ⌉, at least 1."
    raise Fail(expected=show(cases[wrong]), got=repr(answers[wrong]), hint=hint, look=look)
