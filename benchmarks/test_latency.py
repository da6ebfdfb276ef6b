"""Every matrix row, twice: the runner alone (`inference`) and the whole pipeline (`end_to_end`).

Lower-precision rows first pass their drift gate (and digits INT8 rows the accuracy gate);
drift and accuracy are stored in both rows' records.
"""

from __future__ import annotations

from accel.pipeline import EndToEnd


def test_inference(combo, runner, quality, store, measure):
    inputs = runner.upload(store.workload(combo.model, combo.input_size).batch_of(combo.batch))
    measure(combo, "inference", lambda: runner.infer(inputs), runner.describe(), extra=quality.record())


def test_end_to_end(combo, runner, quality, store, measure):
    pipeline = EndToEnd(runner, store.workload(combo.model, combo.input_size), combo.batch)
    measure(combo, "end_to_end", pipeline, runner.describe(), stages=pipeline.stage_samples, extra=quality.record())
    assert pipeline.last_top5 is not None and pipeline.last_top5.shape[0] == combo.batch
