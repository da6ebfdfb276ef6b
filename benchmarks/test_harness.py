"""The harness's own floor: the same machinery (warmup, pedantic, record) timing a no-op.

Its p50 is the overhead every other row carries; compare it with the fastest rows.
"""

from __future__ import annotations

from accel.matrix import Combination


def noop() -> None:
    return None


def test_harness_overhead(measure):
    combo = Combination(model="noop", backend="harness", precision="-", device="cpu", batch=1)
    measure(combo, "inference", noop, {"engine": "no-op callable"}, weights="n/a")
