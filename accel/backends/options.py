"""Backend options from the command line, frozen so a run never mutates them."""

from __future__ import annotations

from dataclasses import dataclass

from accel.backends.tensorrt.engine import BuilderOptions
from accel.matrix import Combination

CHANNELS_LAST = ("auto", "on", "off")


@dataclass(frozen=True)
class RunnerOptions:
    threads: int | None = None
    channels_last: str = "auto"  # auto: on for CUDA fp16/bf16 conv models
    compile_autotune: bool = False
    trt_mode: str = "strongly-typed"
    trt_builder: BuilderOptions = BuilderOptions()
    fpga_port: str | None = None  # a real board: the fpga row needs no simulator

    def use_channels_last(self, combo: Combination, sample_dims: int) -> bool:
        if self.channels_last == "auto":
            return combo.device == "cuda" and combo.precision in ("fp16", "bf16") and sample_dims == 3
        return self.channels_last == "on" and sample_dims == 3
