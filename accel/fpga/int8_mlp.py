"""The golden INT8 MLP: integer-only forward pass of digits_mlp, and the quantization step that makes
it from the trained float model. The Verilog (fpga_rtl/rtl/int8_mlp.v) is checked for equality
against `Int8Mlp.forward`, and loads the weights that `export_memh` writes.

Quantization: input pixels 0..16 -> int8 0..127 (scale 1/127 of the [0, 1] input); symmetric
per-layer int8 weights (scale max|W|/127); int32 biases at the accumulator's scale; the hidden layer
requantized to int8 by (M1, S1) with its scale from the largest hidden activation on the train split,
then ReLU; the output layer's int32 accumulators are the logits (argmax: first maximum wins).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from accel.fpga.fixedpoint import INT32_MAX, multiplier_and_shift, requantize, saturate

INPUT_LEVELS = 127
PIXEL_MAX = 16


def quantize_pixels(pixels: np.ndarray) -> np.ndarray:
    """Raw 0..16 digit pixels -> int8 0..127 (round half up, integer arithmetic)."""
    flat = np.asarray(pixels, dtype=np.int64).reshape(len(pixels), -1)
    return (flat * INPUT_LEVELS + PIXEL_MAX // 2) // PIXEL_MAX


@dataclass(frozen=True)
class Int8Mlp:
    w1: np.ndarray  # int8 (hidden, inputs)
    b1: np.ndarray  # int32 (hidden,)
    m1: int
    s1: int
    w2: np.ndarray  # int8 (outputs, hidden)
    b2: np.ndarray  # int32 (outputs,)

    def hidden(self, x: np.ndarray) -> np.ndarray:
        acc = np.asarray(x, dtype=np.int64) @ self.w1.T.astype(np.int64) + self.b1
        return np.maximum(requantize(acc, self.m1, self.s1), 0)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """int8 inputs (N, 64) -> (int32 logits (N, 10), classes (N,))."""
        logits = self.hidden(x) @ self.w2.T.astype(np.int64) + self.b2
        return logits, np.argmax(logits, axis=1)

    @property
    def cycles(self) -> int:
        """Clock cycles of one inference in the RTL (see int8_mlp.v)."""
        hidden, inputs = self.w1.shape
        outputs = self.w2.shape[0]
        return hidden * (inputs + 2) + outputs * (hidden + 2) + 1


def _symmetric_int8(weights: np.ndarray) -> tuple[np.ndarray, float]:
    scale = float(np.abs(weights).max()) / 127.0
    return saturate(np.floor(weights / scale + 0.5), 8), scale


def from_float(net: torch.nn.Sequential, calibration_pixels: np.ndarray) -> Int8Mlp:
    """Quantize the trained float MLP (Linear, ReLU, Linear) with hidden-layer ranges from real data."""
    first, second = net[0], net[2]
    w1f = first.weight.detach().numpy().astype(np.float64)
    b1f = first.bias.detach().numpy().astype(np.float64)
    w2f = second.weight.detach().numpy().astype(np.float64)
    b2f = second.bias.detach().numpy().astype(np.float64)
    input_scale = 1.0 / INPUT_LEVELS
    w1, w1_scale = _symmetric_int8(w1f)
    w2, w2_scale = _symmetric_int8(w2f)
    x = quantize_pixels(calibration_pixels)
    hidden_float = np.maximum((x * input_scale) @ w1f.T + b1f, 0)
    hidden_scale = float(hidden_float.max()) / 127.0
    acc1_scale = input_scale * w1_scale
    m1, s1 = multiplier_and_shift(acc1_scale / hidden_scale)
    b1 = np.floor(b1f / acc1_scale + 0.5).astype(np.int64)
    b2 = np.floor(b2f / (hidden_scale * w2_scale) + 0.5).astype(np.int64)
    mlp = Int8Mlp(w1.astype(np.int64), b1, m1, s1, w2.astype(np.int64), b2)
    bound = 127 * 127 * max(w1.shape[1], w2.shape[1]) + int(max(np.abs(b1).max(), np.abs(b2).max()))
    if bound > INT32_MAX:
        raise ValueError(f"accumulators could exceed int32 (bound {bound})")
    return mlp


def _hex(values: np.ndarray, bits: int) -> list[str]:
    mask = (1 << bits) - 1
    return [f"{int(v) & mask:0{bits // 4}x}" for v in np.asarray(values).ravel()]


def export_memh(mlp: Int8Mlp, folder: Path) -> dict[str, object]:
    """Write w1/b1/w2/b2 .mem files for $readmemh (row-major, two's complement) and params.json."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"W1_FILE": ("w1.mem", mlp.w1, 8), "B1_FILE": ("b1.mem", mlp.b1, 32),
             "W2_FILE": ("w2.mem", mlp.w2, 8), "B2_FILE": ("b2.mem", mlp.b2, 32)}  # fmt: skip
    params: dict[str, object] = {"M1": mlp.m1, "S1": mlp.s1}
    for parameter, (name, values, bits) in files.items():
        (folder / name).write_text("\n".join(_hex(values, bits)) + "\n")
        params[parameter] = str((folder / name).resolve())
    (folder / "params.json").write_text(json.dumps({**params, "cycles": mlp.cycles}, indent=2))
    return params


def load_memh(folder: Path) -> Int8Mlp:
    """Read the exported files back (what the RTL sees), as signed integers."""
    params = json.loads((folder / "params.json").read_text())

    def read(name: str, bits: int, shape: tuple[int, ...]) -> np.ndarray:
        raw = np.array([int(line, 16) for line in (folder / name).read_text().split()], dtype=np.int64)
        signed = np.where(raw >= 1 << (bits - 1), raw - (1 << bits), raw)
        return signed.reshape(shape)

    b1 = read("b1.mem", 32, (-1,))
    b2 = read("b2.mem", 32, (-1,))
    return Int8Mlp(read("w1.mem", 8, (len(b1), -1)), b1, params["M1"], params["S1"], read("w2.mem", 8, (len(b2), -1)), b2)
