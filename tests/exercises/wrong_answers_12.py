"""Plausible wrong answers to the exercises of lesson 12, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

import math

import numpy as np

# --- 12.1 percentile ------------------------------------------------------------------------------


def pct_unsorted(values, pct):
    return values[math.ceil(pct * len(values) / 100) - 1]


def pct_interpolated(values, pct):
    return float(np.percentile(values, pct))  # numpy's default: linear interpolation


def pct_sorts_in_place(values, pct):
    values.sort()
    return values[math.ceil(pct * len(values) / 100) - 1]


def pct_index_is_rank(values, pct):
    ordered = sorted(values)
    return ordered[int(pct * len(ordered) / 100)]


def pct_float_trap(values, pct):
    ordered = sorted(values)
    return ordered[math.ceil(pct / 100 * len(ordered)) - 1]


def pct_rounded_rank(values, pct):
    ordered = sorted(values)
    return ordered[max(round(pct * len(ordered) / 100), 1) - 1]


def pct_mean(values, pct):
    return sum(values) / len(values)


def pct_without_repeats(values, pct):
    ordered = sorted(set(values))  # "one entry per latency"
    return ordered[max(math.ceil(pct * len(ordered) / 100), 1) - 1]


# --- 12.2 cores_needed ----------------------------------------------------------------------------


def cores_no_peak(requests_per_day, peak_factor, rps_per_core, headroom):
    return max(1, math.ceil(requests_per_day / 86_400 / (rps_per_core * (1 - headroom))))


def cores_times_headroom(requests_per_day, peak_factor, rps_per_core, headroom):
    busy = requests_per_day / 86_400 * peak_factor / rps_per_core
    return max(1, math.ceil(busy * (1 - headroom)))


def cores_divided_by_headroom(requests_per_day, peak_factor, rps_per_core, headroom):
    busy = requests_per_day / 86_400 * peak_factor / rps_per_core
    return max(1, math.ceil(busy / headroom))


def cores_per_hour(requests_per_day, peak_factor, rps_per_core, headroom):
    return max(1, math.ceil(requests_per_day / 3_600 * peak_factor
                            / (rps_per_core * (1 - headroom))))


def cores_rounded(requests_per_day, peak_factor, rps_per_core, headroom):
    return max(1, round(requests_per_day / 86_400 * peak_factor
                        / (rps_per_core * (1 - headroom))))


def cores_no_minimum(requests_per_day, peak_factor, rps_per_core, headroom):
    return math.ceil(requests_per_day / 86_400 * peak_factor / (rps_per_core * (1 - headroom)))


def cores_float(requests_per_day, peak_factor, rps_per_core, headroom):
    return requests_per_day / 86_400 * peak_factor / (rps_per_core * (1 - headroom))


# --- 12.3 workers_needed --------------------------------------------------------------------------


def workers_milliseconds(throughput_rps, latency_ms):
    return max(1, math.ceil(throughput_rps * latency_ms))


def workers_divided(throughput_rps, latency_ms):
    return max(1, math.ceil(throughput_rps / (latency_ms / 1000)))


def workers_rounded_down(throughput_rps, latency_ms):
    return max(1, int(throughput_rps * latency_ms / 1000))


def workers_no_minimum(throughput_rps, latency_ms):
    return math.ceil(throughput_rps * latency_ms / 1000)


#: exercise id → (wrong answer, a phrase of the hint meant for it)
def workers_plus_one(throughput_rps, latency_ms):
    return int(throughput_rps * latency_ms / 1000) + 1  # "+ 1 rounds up"


WRONG_ANSWERS = {
    "12.1": [(pct_unsorted, "sort the latencies first"),
             (pct_interpolated, "a latency that was actually measured"),
             (pct_sorts_in_place, "sorts the caller's list in place"),
             (pct_index_is_rank, "one rank too high"),
             (pct_float_trap, "floating point"),
             (pct_rounded_rank, "round the rank up"),
             (pct_mean, "the mean of all the latencies"),
             (pct_without_repeats, "repeated latencies count")],
    "12.2": [(cores_no_peak, "the peak factor is missing"),
             (cores_times_headroom, "headroom makes the estimate bigger"),
             (cores_divided_by_headroom, "the share you may use is"),
             (cores_per_hour, "86,400 seconds"),
             (cores_rounded, "round up (math.ceil)"),
             (cores_no_minimum, "at least 1 core"),
             (cores_float, "a whole number of cores")],
    "12.3": [(workers_milliseconds, "mind the units"),
             (workers_divided, "Little's law multiplies"),
             (workers_rounded_down, "round up"),
             (workers_no_minimum, "keep at least 1 worker"),
             (workers_plus_one, "adding 1 is not rounding up")],
}
