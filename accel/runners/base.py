"""The one interface every backend implements.

A runner is prepared once (session, engine, module on device) and then driven by the scenario
through three steps that can be timed separately: `upload` (host batch -> backend input, e.g.
H2D), `infer` (the inference itself; returns once results are ready, synchronizing a GPU),
`download` (backend output -> host numpy logits). The scenario never knows which backend it drives.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from accel.matrix import Combination


class Runner(ABC):
    """Prepare once, then `infer` many times."""

    backend: ClassVar[str]

    def __init__(self, combo: Combination) -> None:
        self.combo = combo

    @abstractmethod
    def upload(self, batch: np.ndarray) -> Any:
        """Host float32 NCHW batch -> whatever `infer` consumes (kept outside the inference timing)."""

    @abstractmethod
    def infer(self, inputs: Any) -> Any:
        """Run one inference; return only when its outputs are complete."""

    @abstractmethod
    def download(self, outputs: Any) -> np.ndarray:
        """Backend outputs -> host float32 logits."""

    @abstractmethod
    def describe(self) -> dict[str, object]:
        """Provider/engine notes for the benchmark record (threads, provider, options)."""

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Convenience: upload, infer and download one batch."""
        return self.download(self.infer(self.upload(batch)))
