"""The one interface every backend implements.

A runner is prepared once (session, engine, module on device) and then driven by the scenario
through steps that can be timed separately: `upload` (host batch -> backend input: H2D on a GPU),
`infer` (the inference itself; returns once results are ready), `download` (backend output ->
host numpy logits: D2H). `infer` is `enqueue` then `synchronize`, so device-side timers (CUDA
events) can bracket the enqueued work. The scenario never knows which backend it drives.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from accel.matrix import Combination


class Runner(ABC):
    """Prepare once, then `infer` many times."""

    backend: ClassVar[str]
    # True when a prepared runner serves one batch size only (captured CUDA graphs, fixed engines).
    per_batch: ClassVar[bool] = False

    def __init__(self, combo: Combination) -> None:
        self.combo = combo

    @property
    def stream(self) -> Any:
        """The torch CUDA stream the work is enqueued on (None on CPU)."""
        return None

    @abstractmethod
    def upload(self, batch: np.ndarray) -> Any:
        """Host float32 NCHW batch -> whatever `infer` consumes (kept outside the inference timing)."""

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

    @abstractmethod
    def describe(self) -> dict[str, object]:
        """Provider/engine notes for the benchmark record (threads, provider, options)."""

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Convenience: upload, infer and download one batch."""
        return self.download(self.infer(self.upload(batch)))
