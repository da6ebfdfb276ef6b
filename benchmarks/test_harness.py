"""The harness's own floor: the same row protocol (warm-up, pedantic, memory, record) timing a no-op.

Its p50 is the overhead every other row carries; compare it with the fastest rows. It creates no
runner, so its memory fields are the protocol's own noise floor (about zero).
"""

from __future__ import annotations

from accel.matrix import Combination
from accel.measure.row import FromRounds


def noop() -> None:
    return None


def test_harness_overhead(measure):
    combo = Combination(model="noop", backend="harness", precision="-", device="cpu", batch=1)
    measure(combo, "inference", noop, FromRounds(combo.batch, {"engine": "no-op callable"}), weights="n/a")
