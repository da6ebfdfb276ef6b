"""Latency of every matrix row: the runner alone (`inference`) and the whole pipeline (`end_to_end`)."""

from __future__ import annotations

from accel.pipeline import EndToEnd


def test_inference(combo, runner, store, measure):
    inputs = runner.upload(store.batch_of(combo.batch, combo.input_size))
    measure(combo, "inference", lambda: runner.infer(inputs), runner.describe())


def test_end_to_end(combo, runner, store, measure):
    pipeline = EndToEnd(runner, store.images, combo.batch, combo.input_size)
    measure(combo, "end_to_end", pipeline, runner.describe(), stages=pipeline.stage_samples)
    assert pipeline.last_top5 is not None and pipeline.last_top5.shape == (combo.batch, 5)
