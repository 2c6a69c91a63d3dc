"""The Python benches' timing method, shared by python_bench.py,
gateways_bench.py and shapes_bench.py, as lua_common.interleaved_rounds
is the Lua benches'.

For each case a batch size of about the target time is found (calibrated,
one warm-up batch, calibrated again); then in each of `rounds` rounds
every case runs one batch, in an order shuffled afresh each round, and
the wall and process CPU time of the batch, per call, are kept in round
order, so that a ratio can be taken round by round (report.py).

Shuffled, not rotated: a batch also pays for the collector's work on what
the batch before it left (CPython's cyclic collector runs when
allocations pass a threshold, not when the allocating code ends), and a
rotating order keeps every case behind the same neighbour round after
round, so a case's median could carry its neighbour's garbage in every
round.  With a new neighbour each round that cost falls on different
cases and the median steps over it.  The shuffle is seeded with the Lua
benches' generator and seed, so a run's order can be repeated.  Where one
call makes tens of thousands of containers (shapes_bench.py), the
collector's work on the neighbour's garbage is larger than the call
itself, and `collect` runs a full collection, untimed, before each batch.
"""

from __future__ import annotations

import gc
import itertools
import statistics
import time

SEED = 20261207


def batch_ns(fn, n: int) -> int:
    """Wall nanoseconds for n calls of fn."""
    rep = itertools.repeat
    t0 = time.perf_counter_ns()
    for _ in rep(None, n):
        fn()
    return time.perf_counter_ns() - t0


def batch_both_ns(fn, n: int) -> tuple:
    """(wall, process CPU) nanoseconds for one batch. The wall clock is the
    one reported; CPU time over wall time tells how much of the batch this
    process actually ran (other processes share the cores)."""
    rep = itertools.repeat
    pc, cpu = time.perf_counter_ns, time.process_time_ns
    c0 = cpu()
    t0 = pc()
    for _ in rep(None, n):
        fn()
    t1 = pc()
    c1 = cpu()
    return t1 - t0, c1 - c0


def calibrate(fn, batch_ns_target: float) -> int:
    """Calls per batch so one batch takes about batch_ns_target: tried at
    1, 4, 16, ... calls until a batch takes an eighth of the target (or
    2^20 calls), then scaled."""
    n = 1
    while True:
        t = batch_ns(fn, n)
        if t >= batch_ns_target / 8 or n >= 1 << 20:
            return max(1, int(n * batch_ns_target / max(t, 1)))
        n *= 4


def quantile(values, q: float) -> float:
    """The q-quantile of values, interpolated between neighbours."""
    values = sorted(values)
    pos = (len(values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def paired_ratio(a, b):
    """Median over rounds of a[i] / b[i], two cases' per-call times in the
    same rounds: whatever else the shared machine was doing in a round
    slowed both alike."""
    rs = sorted(x / y for x, y in zip(a, b) if y > 0)
    if not rs:
        return None
    mid = len(rs) // 2
    return rs[mid] if len(rs) % 2 else (rs[mid - 1] + rs[mid]) / 2


def shuffled(k: int, state: int) -> tuple:
    """A permutation of range(k) and the generator's next state: Fisher and
    Yates with Park and Miller's generator, as lua_common.lua shuffles."""
    order = list(range(k))
    for i in range(k - 1, 0, -1):
        state = state * 16807 % 2147483647
        j = state % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order, state


class Timing:
    """One case's batch size and its per-call times, ns, in round order."""

    __slots__ = ("calls", "wall_ns", "cpu_ns")

    def __init__(self, calls: int):
        self.calls = calls
        self.wall_ns = []
        self.cpu_ns = []

    def summary(self) -> dict:
        """Median, quartiles and minimum in µs (wall, and the CPU median
        and share), with every round's times for ratios paired by round."""
        wall, cpu = self.wall_ns, self.cpu_ns
        return {
            "median_us": statistics.median(wall) / 1000,
            "cpu_median_us": statistics.median(cpu) / 1000,
            "cpu_share": statistics.median(
                c / w for c, w in zip(cpu, wall) if w > 0),
            "p25_us": quantile(wall, 0.25) / 1000,
            "p75_us": quantile(wall, 0.75) / 1000,
            "min_us": min(wall) / 1000,
            "rounds": len(wall),
            "calls_per_batch": self.calls,
            "rounds_us": [round(x / 1000, 4) for x in wall],
            "rounds_cpu_us": [round(x / 1000, 4) for x in cpu],
        }


def interleaved_rounds(fns, rounds: int, batch_ms: float,
                       collect: bool = False) -> list:
    """Time each of the callables `fns` in `rounds` interleaved rounds of
    one batch of about `batch_ms` each; a Timing per callable, in order."""
    target = batch_ms * 1e6
    timings = []
    for fn in fns:
        batch_ns(fn, calibrate(fn, target))
        timings.append(Timing(calibrate(fn, target)))
    state = SEED
    for _ in range(rounds):
        order, state = shuffled(len(timings), state)
        for i in order:
            fn, t = fns[i], timings[i]
            if collect:
                gc.collect()
            wall, cpu = batch_both_ns(fn, t.calls)
            t.wall_ns.append(wall / t.calls)
            t.cpu_ns.append(cpu / t.calls)
    return timings
