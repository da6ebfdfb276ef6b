"""A runner as a server of batches: `execute(size)` serves `size` queries in one batch.

Serving a batch is what a real server does for it: upload (H2D on a GPU), inference, download of
the logits to the host. Input batches are made and prepared (compiled, captured) up front for
every size the policy can form, never inside a run. A runner fixed to one batch size (CUDA graphs,
TensorRT engines) serves smaller batches padded to its size, as a static-shape server must.
"""

from __future__ import annotations

import numpy as np

from accel.backends.base import Runner
from accel.inputs.workloads import Workload
from accel.measure.timing import time_calls


class BatchService:
    """Serves batches of 1..max_batch queries on one runner."""

    def __init__(self, runner: Runner, workload: Workload, max_batch: int) -> None:
        if runner.per_batch and max_batch != runner.combo.batch:
            raise ValueError(f"{runner.combo.test_id} serves batch {runner.combo.batch} only; asked for up to {max_batch}")
        self.runner = runner
        self.max_batch = max_batch
        self.inputs = {size: workload.batch_of(runner.combo.batch if runner.per_batch else size) for size in range(1, max_batch + 1)}
        for batch in self.inputs.values():
            runner.prepare(batch)

    def execute(self, size: int) -> None:
        batch = self.inputs[size]
        self.runner.prepare(batch)  # a no-op for a shape already prepared
        self.runner.download(self.runner.infer(self.runner.upload(batch)))

    def back_to_back_s(self, size: int, seconds: float, warmup: int = 5, most: int = 2000) -> np.ndarray:
        """Service times of `size`-query batches served one after another, for about `seconds`."""
        first = time_calls(lambda: self.execute(size), max(warmup, 1), warmup=0)
        rounds = int(min(most, max(10, seconds / max(min(first), 1e-9))))
        return np.asarray(time_calls(lambda: self.execute(size), rounds, warmup=0))
