"""MLPerf's Offline scenario: every sample at once, so the row serves full batches back to back at
the batch size that gives the most samples a second (a sweep of powers of two up to the largest
--batch). Run with `--scenarios offline`; the sweep lives in accel.measure.offline.
"""

from __future__ import annotations

import pytest

from accel.measure.offline import batch_sweep, best_batch, sweep_sizes
from accel.measure.row import FromRounds
from accel.measure.service import BatchService
from benchmarks.plugin import SELECTION

SCENARIO = "offline"
SWEEP_S = 0.5  # per batch size


@pytest.fixture
def offline_batch(combo, pytestconfig) -> int:
    """The row's batch when it is the largest selected (the sweep covers the smaller ones), else a skip."""
    largest = max(pytestconfig.stash[SELECTION].batches)
    if combo.batch != largest:
        pytest.skip(f"Offline rows run at the largest --batch ({largest}): their sweep covers the smaller sizes")
    return combo.batch


def test_offline(combo, offline_batch, runner, footprint, quality, store, measure):
    service = BatchService(runner, store.workload(combo.model, combo.input_size), offline_batch)
    throughput = batch_sweep(service, sweep_sizes(offline_batch, runner.per_batch), SWEEP_S)
    best = best_batch(throughput)
    offline = {"best_batch": best, "batch_sweep_ips": {str(size): ips for size, ips in throughput.items()}}
    outcome = FromRounds(best, runner.describe(), {**quality.record(), "offline": offline})
    measure(combo, "offline", lambda: service.execute(best), outcome, footprint)
