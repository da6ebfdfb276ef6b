"""The end-to-end scenario: preprocess (decode included), inference, postprocess, each stage timed.

One call is one round of `batch` raw items. Items rotate through the set so decode work is real
each round. Stage durations are recorded for every call; the caller keeps the last `rounds`.

On a GPU the copies are timed on their own (pinned memory, synchronized: no overlap). With a GPU
preprocessing path (`accel.inputs.gpu_preprocess`) the batch is already on the device when
preprocessing ends: the encoded bytes crossed inside the decoder, so there is no H2D stage, and
`d2d` times the hand-off into the runner's input (cast, layout, copy into a captured input).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from accel.backends.base import Runner
from accel.inputs.preprocess import top_k
from accel.inputs.workloads import Workload
from accel.measure.timing import now_ns

if TYPE_CHECKING:
    from accel.inputs.gpu_preprocess import DevicePreprocess

STAGES = ("preprocess", "inference", "postprocess")
GPU_STAGES = ("preprocess", "h2d", "inference", "d2h", "postprocess")
DEVICE_PREPROCESS_STAGES = ("preprocess", "d2d", "inference", "d2h", "postprocess")


class EndToEnd:
    """Callable that runs one full round and records per-stage durations in seconds.

    `items`: what each round decodes (default the workload's raw items); `on_device`: a GPU
    preprocessing path instead of the workload's own (PIL for photos)."""

    def __init__(
        self,
        runner: Runner,
        workload: Workload,
        batch: int,
        items: Sequence[object] | None = None,
        on_device: DevicePreprocess | None = None,
    ) -> None:
        self.runner = runner
        raw = list(workload.raw_items if items is None else items)
        if not raw:
            raise ValueError("EndToEnd needs at least one raw item")
        self.batch = batch
        self.cursor = 0
        runner.prepare(workload.batch_of(batch))  # compile / capture / bind before any timed round
        self.preprocess: Callable[[list[Any]], Any]
        self.hand_over: Callable[[Any], Any]
        if on_device is None:
            self.items, self.preprocess, self.hand_over = raw, workload.preprocess, runner.upload
            self.stages = GPU_STAGES if runner.stream is not None else STAGES
        elif runner.takes_device_batch:
            self.items, self.preprocess, self.hand_over = on_device.load(raw), on_device, runner.adopt
            self.stages = DEVICE_PREPROCESS_STAGES
        else:
            raise ValueError(f"{type(runner).__name__} takes host batches only: it cannot run after {on_device.path} preprocessing")
        self.samples: dict[str, list[float]] = {stage: [] for stage in self.stages}
        self.last_top5: np.ndarray | None = None

    def next_items(self) -> list[Any]:
        chosen = [self.items[(self.cursor + i) % len(self.items)] for i in range(self.batch)]
        self.cursor = (self.cursor + self.batch) % len(self.items)
        return chosen

    def __call__(self) -> None:
        chosen = self.next_items()
        marks = [now_ns()]
        batch = self.preprocess(chosen)
        marks.append(now_ns())
        if self.stages == STAGES:  # CPU runners: no copies to time
            logits = self.runner.download(self.runner.infer(self.hand_over(batch)))
        else:
            inputs = self.hand_over(batch)
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
