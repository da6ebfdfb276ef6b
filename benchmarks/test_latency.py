"""Every matrix row, twice: the runner alone (`inference`) and the whole pipeline (`end_to_end`).

GPU inference rows record CUDA-event device time (`device_latency_ms`) beside the synchronized
wall clock; GPU end-to-end rows time H2D and D2H copies as stages of their own. End-to-end photo
rows run once per --preprocess path (ids gain the path where it is not `pil`).

Lower-precision rows first pass their drift gate (and digits INT8 rows the accuracy gate);
drift and accuracy are stored in both rows' records.
"""

from __future__ import annotations

import pytest

from accel.inputs.gpu_preprocess import serves_jpeg
from accel.matrix import PREPROCESS_DEVICE
from accel.measure.end_to_end import EndToEnd
from accel.measure.preprocess_check import RowPreprocessing, row_preprocessing
from accel.measure.row import FromRounds
from benchmarks.plugin import SELECTION


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


@pytest.fixture
def preprocessing(combo, runner, quality, store, pytestconfig) -> RowPreprocessing:
    """The row's preprocessing path (--preprocess); a GPU path is checked against PIL on the row's
    runner, pixels and logit drift gated, before anything is timed."""
    if combo.preprocess in PREPROCESS_DEVICE and not runner.takes_device_batch:
        pytest.skip(f"{combo.backend} runners take host batches only: they cannot take the device tensor {combo.preprocess} leaves")
    jpeg = serves_jpeg(pytestconfig.stash[SELECTION].preprocess)
    return row_preprocessing(combo, runner, store.workload(combo.model, combo.input_size), jpeg)


def test_end_to_end(combo, end_to_end_batch, runner, footprint, quality, preprocessing, store, measure):
    workload = store.workload(combo.model, combo.input_size)
    pipeline = EndToEnd(runner, workload, end_to_end_batch, preprocessing.items, preprocessing.on_device)
    notes = runner.describe() | dict(preprocessing.notes)
    outcome = FromRounds(end_to_end_batch, notes, quality.record() | preprocessing.record(), stages=pipeline.stage_samples)
    measure(combo, "end_to_end", pipeline, outcome, footprint)
    assert pipeline.last_top5 is not None and pipeline.last_top5.shape[0] == combo.batch
