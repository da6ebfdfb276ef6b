"""Registry plugin of the trtexec backend: NVIDIA's CLI builds and times the engine itself
(`accel.backends.tensorrt.trtexec`), so it has no Runner."""

from __future__ import annotations

import shutil

from accel.backends.options import RunnerOptions
from accel.matrix import Combination


def missing(combo: Combination, options: RunnerOptions) -> str | None:
    if shutil.which("trtexec") is None:
        return "trtexec is not on PATH (it ships with the TensorRT tarball / NGC containers)"
    return None
