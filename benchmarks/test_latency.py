"""Every matrix row, twice: the runner alone (`inference`) and the whole pipeline (`end_to_end`).

GPU inference rows record CUDA-event device time (`device_latency_ms`) beside the synchronized
wall clock; GPU end-to-end rows time H2D and D2H copies as stages of their own.

Lower-precision rows first pass their drift gate (and digits INT8 rows the accuracy gate);
drift and accuracy are stored in both rows' records.
"""

from __future__ import annotations

import pytest

from accel.measure.end_to_end import EndToEnd
from accel.measure.row import FromRounds


@pytest.fixture
def end_to_end_batch(combo, pytestconfig) -> int:
    """The row's batch, or a skip above --end-to-end-max-batch (before its runner is made)."""
    limit = pytestconfig.getoption("--end-to-end-max-batch")
    if combo.batch > limit:
        pytest.skip(f"end_to_end rows run up to --end-to-end-max-batch={limit}: CPU preprocessing of larger batches dominates")
    return combo.batch


def test_inference(combo, runner, footprint, quality, store, measure, device_timer):
    batch = store.workload(combo.model, combo.input_size).batch_of(combo.batch)
    runner.prepare(batch)
    inputs = runner.upload(batch)
    target = device_timer.wrap(lambda: runner.enqueue(inputs), runner.synchronize)
    outcome = FromRounds(combo.batch, runner.describe(), quality.record(), device_samples=device_timer.samples_s)
    measure(combo, "inference", target, outcome, footprint)


def test_end_to_end(combo, end_to_end_batch, runner, footprint, quality, store, measure):
    pipeline = EndToEnd(runner, store.workload(combo.model, combo.input_size), end_to_end_batch)
    outcome = FromRounds(end_to_end_batch, runner.describe(), quality.record(), stages=pipeline.stage_samples)
    measure(combo, "end_to_end", pipeline, outcome, footprint)
    assert pipeline.last_top5 is not None and pipeline.last_top5.shape[0] == combo.batch
