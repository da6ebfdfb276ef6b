"""The end-to-end scenario: preprocess (decode included), inference, postprocess, each stage timed.

One call is one round of `batch` raw items. Items rotate through the set so decode work is real
each round. Stage durations are recorded for every call; the caller keeps the last `rounds`.
"""

from __future__ import annotations

import numpy as np

from accel.preprocess import top_k
from accel.runners.base import Runner
from accel.timing import now_ns
from accel.workloads import Workload

STAGES = ("preprocess", "inference", "postprocess")


class EndToEnd:
    """Callable that runs one full round and records per-stage durations in seconds."""

    def __init__(self, runner: Runner, workload: Workload, batch: int) -> None:
        self.runner = runner
        self.workload = workload
        self.items = list(workload.raw_items)
        if not self.items:
            raise ValueError("EndToEnd needs at least one raw item")
        self.batch = batch
        self.cursor = 0
        self.samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
        self.last_top5: np.ndarray | None = None

    def next_items(self) -> list[object]:
        chosen = [self.items[(self.cursor + i) % len(self.items)] for i in range(self.batch)]
        self.cursor = (self.cursor + self.batch) % len(self.items)
        return chosen

    def __call__(self) -> None:
        chosen = self.next_items()
        t0 = now_ns()
        batch = self.workload.preprocess(chosen)
        t1 = now_ns()
        logits = self.runner.download(self.runner.infer(self.runner.upload(batch)))
        t2 = now_ns()
        _, self.last_top5 = top_k(logits, 5)
        t3 = now_ns()
        for stage, duration in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2)):
            self.samples[stage].append(duration * 1e-9)

    def stage_samples(self, last: int) -> dict[str, list[float]]:
        """The last `last` samples of each stage (the measured rounds, warmup dropped)."""
        return {stage: values[-last:] for stage, values in self.samples.items()}
