"""The one interface every backend implements.

A runner is created once (session, engine, module on device), `prepare`d for a batch shape
(compile, CUDA-graph capture, I/O binding: never inside a timed region), driven by the scenario
through steps that can be timed separately, and `close`d when its rows are done: `upload` (host batch -> backend input: H2D on a GPU;
`adopt` instead for a batch a GPU preprocessing path left on the device),
`infer` (the inference itself; returns once results are ready), `download` (backend output ->
host numpy logits: D2H). `infer` is `enqueue` then `synchronize`, so device-side timers (CUDA
events) can bracket the enqueued work. The scenario never knows which backend it drives.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from accel.matrix import Combination


class Runner(ABC):
    """Create, `prepare(batch)`, then `infer` many times; `close` releases what it holds."""

    def __init__(self, combo: Combination) -> None:
        self.combo = combo

    @property
    def per_batch(self) -> bool:
        """True when the runner serves one batch size only (captured CUDA graphs, fixed engines)."""
        return self.combo.spec.per_batch

    def prepare(self, batch: np.ndarray) -> None:
        """Get ready for batches of this shape (compile, capture, bind); idempotent per shape."""

    def close(self) -> None:
        """Release sessions, engines, graphs and device memory; the runner is unusable after."""

    @property
    def stream(self) -> Any:
        """The torch CUDA stream the work is enqueued on (None on CPU)."""
        return None

    @abstractmethod
    def upload(self, batch: np.ndarray) -> Any:
        """Host float32 NCHW batch -> whatever `infer` consumes (kept outside the inference timing)."""

    @property
    def takes_device_batch(self) -> bool:
        """True when `adopt` takes a batch already on this runner's device (GPU preprocessing)."""
        return False

    def adopt(self, batch: Any) -> Any:
        """A preprocessed float32 NCHW batch already on this runner's device (a torch tensor) -> what
        `infer` consumes, with no trip through the host; kept outside the inference timing, like `upload`."""
        raise NotImplementedError(f"{type(self).__name__} takes host batches only (takes_device_batch is False)")

    @abstractmethod
    def enqueue(self, inputs: Any) -> Any:
        """Start one inference; on CPU this runs it to completion."""

    def synchronize(self) -> None:
        """Wait until enqueued work is complete (no-op on CPU)."""

    def infer(self, inputs: Any) -> Any:
        """Run one inference; return only when its outputs are complete."""
        outputs = self.enqueue(inputs)
        self.synchronize()
        return outputs

    @abstractmethod
    def download(self, outputs: Any) -> np.ndarray:
        """Backend outputs -> host float32 logits."""

    def effective_knobs(self) -> dict[str, object]:
        """The tuning knobs this runner really runs with, known before `prepare`. A backend whose
        knob has an 'auto' value resolves it here, so a tuning run can skip a variant that is the
        default under another name instead of building (or compiling) it twice."""
        return dict(self.combo.knobs)

    @abstractmethod
    def describe(self) -> dict[str, object]:
        """Provider/engine notes for the benchmark record (threads, provider, options)."""

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Convenience outside timed regions: prepare, upload, infer and download one batch."""
        self.prepare(batch)
        return self.download(self.infer(self.upload(batch)))
