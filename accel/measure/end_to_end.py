"""The end-to-end scenario: preprocess (decode included), inference, postprocess, each stage timed.

One call is one round of `batch` raw items. Items rotate through the set so decode work is real
each round. Stage durations are recorded for every call; the caller keeps the last `rounds`.
"""

from __future__ import annotations

import numpy as np

from accel.backends.base import Runner
from accel.inputs.preprocess import top_k
from accel.inputs.workloads import Workload
from accel.measure.timing import now_ns

STAGES = ("preprocess", "inference", "postprocess")
GPU_STAGES = ("preprocess", "h2d", "inference", "d2h", "postprocess")


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
        runner.prepare(workload.batch_of(batch))  # compile / capture / bind before any timed round
        # On a GPU the copies are timed on their own (pinned memory, synchronized: no overlap).
        self.stages = GPU_STAGES if runner.stream is not None else STAGES
        self.samples: dict[str, list[float]] = {stage: [] for stage in self.stages}
        self.last_top5: np.ndarray | None = None

    def next_items(self) -> list[object]:
        chosen = [self.items[(self.cursor + i) % len(self.items)] for i in range(self.batch)]
        self.cursor = (self.cursor + self.batch) % len(self.items)
        return chosen

    def __call__(self) -> None:
        chosen = self.next_items()
        marks = [now_ns()]
        batch = self.workload.preprocess(chosen)
        marks.append(now_ns())
        if self.runner.stream is None:
            logits = self.runner.download(self.runner.infer(self.runner.upload(batch)))
        else:
            inputs = self.runner.upload(batch)
            marks.append(now_ns())
            outputs = self.runner.infer(inputs)
            marks.append(now_ns())
            logits = self.runner.download(outputs)
        marks.append(now_ns())
        _, self.last_top5 = top_k(logits, 5)
        marks.append(now_ns())
        for stage, start, end in zip(self.stages, marks, marks[1:]):
            self.samples[stage].append((end - start) * 1e-9)

    def stage_samples(self, last: int) -> dict[str, list[float]]:
        """The last `last` samples of each stage (the measured rounds, warmup dropped)."""
        return {stage: values[-last:] for stage, values in self.samples.items()}
