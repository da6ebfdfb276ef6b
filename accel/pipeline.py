"""The end-to-end scenario: decode + preprocess, inference, postprocess, each stage timed.

One call is one round of `batch` images. Images rotate through the set so decode work is real
each round. Stage durations are recorded for every call; the caller keeps the last `rounds`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from accel.images import EncodedImage, decode
from accel.preprocess import preprocess_batch, top_k
from accel.runners.base import Runner
from accel.timing import now_ns

STAGES = ("preprocess", "inference", "postprocess")


class EndToEnd:
    """Callable that runs one full round and records per-stage durations in seconds."""

    def __init__(self, runner: Runner, images: Sequence[EncodedImage], batch: int, input_size: int) -> None:
        if not images:
            raise ValueError("EndToEnd needs at least one image")
        self.runner = runner
        self.images = list(images)
        self.batch = batch
        self.input_size = input_size
        self.cursor = 0
        self.samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
        self.last_top5: np.ndarray | None = None

    def next_images(self) -> list[EncodedImage]:
        chosen = [self.images[(self.cursor + i) % len(self.images)] for i in range(self.batch)]
        self.cursor = (self.cursor + self.batch) % len(self.images)
        return chosen

    def __call__(self) -> None:
        chosen = self.next_images()
        t0 = now_ns()
        batch = preprocess_batch([decode(image) for image in chosen], self.input_size)
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
