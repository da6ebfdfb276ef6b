"""Drive a prepared runner over its workload's evaluation set and hand the logits to the quality
stage, which judges arrays only and never sees a runner."""

from __future__ import annotations

import numpy as np

from accel.backends.base import Runner
from accel.inputs.workloads import Workload
from accel.quality.gates import Quality, assess

EVAL_BATCH = 16


def run_in_batches(runner: Runner, inputs: np.ndarray, batch: int = EVAL_BATCH) -> np.ndarray:
    """Logits for every input, in chunks; a runner fixed to one batch size gets exactly that size
    (the last chunk padded by repeating inputs, the padding's outputs dropped)."""
    size = runner.combo.batch if runner.per_batch else batch
    outputs = []
    for start in range(0, len(inputs), size):
        chunk = inputs[start : start + size]
        padded = np.resize(chunk, (size, *chunk.shape[1:])) if runner.per_batch else chunk
        outputs.append(runner.run(padded)[: len(chunk)])
    return np.concatenate(outputs)


def evaluate(runner: Runner, workload: Workload, reference: np.ndarray, precision: str) -> Quality:
    """The runner's drift against the FP32 reference and its accuracy, on the evaluation set
    (drift for FP32 too when the runner's row is tuned: its knobs may change numerics)."""
    logits = run_in_batches(runner, workload.eval_inputs)
    names = [workload.eval_name(index) for index in range(len(logits))]
    return assess(logits, workload.eval_labels, reference, precision, names, tuned=bool(runner.combo.config))
