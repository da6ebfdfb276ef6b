"""Fixed-point arithmetic shared, bit for bit, by the golden INT8 MLP and the Verilog.

Conventions (the RTL implements exactly these):
- Signed two's-complement integers of explicit width; `saturate` clamps to [-2^(w-1), 2^(w-1)-1].
- `rounding_shift_right(x, s)`: round half up, i.e. floor((x + 2^(s-1)) / 2^s) for s > 0 (ties go
  toward +infinity: 2.5 -> 3, -2.5 -> -2), and x itself for s = 0. An arithmetic shift after the
  add, so it is one adder and one shifter in hardware.
- `requantize(acc, M, s)`: int32 accumulator -> int8 as saturate8(rounding_shift_right(acc * M, s)),
  with an unsigned 16-bit multiplier M (1..65535) and a shift s in 0..31; acc * M needs 48 bits.
  This is the gemmlowp/TFLite scheme (real scale ~ M / 2^s) with a narrower multiplier.
Everything is vectorized over numpy int64 arrays, which hold every intermediate exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accel.errors import UsageError

INT8_MIN, INT8_MAX = -128, 127
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
MULTIPLIER_BITS = 16
MAX_SHIFT = 31


@dataclass(frozen=True)
class QFormat:
    """A signed Q-format: `width` bits of which `frac` are fractional (Qm.n with m = width - frac)."""

    width: int
    frac: int

    def __post_init__(self) -> None:
        if not 2 <= self.width <= 64 or not 0 <= self.frac < self.width:
            raise UsageError(f"QFormat needs 2 <= width <= 64 and 0 <= frac < width; got width={self.width}, frac={self.frac}")

    @property
    def min_int(self) -> int:
        return -(1 << (self.width - 1))

    @property
    def max_int(self) -> int:
        return (1 << (self.width - 1)) - 1

    @property
    def lsb(self) -> float:
        return 2.0**-self.frac

    def __str__(self) -> str:
        return f"Q{self.width - self.frac}.{self.frac}"

    def quantize(self, values: np.ndarray) -> np.ndarray:
        """Real values -> saturated integers in this format (round half up, as the shifter does)."""
        return saturate(np.floor(np.asarray(values, dtype=np.float64) / self.lsb + 0.5).astype(np.int64), self.width)

    def to_real(self, integers: np.ndarray) -> np.ndarray:
        return np.asarray(integers, dtype=np.float64) * self.lsb


def saturate(values, width: int) -> np.ndarray:
    """Clamp to the signed range of `width` bits."""
    low, high = -(1 << (width - 1)), (1 << (width - 1)) - 1
    return np.clip(np.asarray(values, dtype=np.int64), low, high)


def saturating_add(a, b, width: int) -> np.ndarray:
    return saturate(np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64), width)


def saturating_mul(a, b, width: int) -> np.ndarray:
    return saturate(np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64), width)


def rounding_shift_right(values, shift) -> np.ndarray:
    """Arithmetic right shift with round-half-up (see module docstring)."""
    values = np.asarray(values, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    if np.any((shift < 0) | (shift > 62)):
        raise ValueError("shift must be in 0..62")
    bias = np.where(shift > 0, np.left_shift(np.int64(1), np.maximum(shift - 1, 0)), 0)
    return np.right_shift(values + bias, shift)


def check_requant_params(multiplier: int, shift: int) -> None:
    if not 1 <= multiplier < (1 << MULTIPLIER_BITS):
        raise UsageError(f"requantize multiplier must be 1..{(1 << MULTIPLIER_BITS) - 1}; got {multiplier}")
    if not 0 <= shift <= MAX_SHIFT:
        raise UsageError(f"requantize shift must be 0..{MAX_SHIFT}; got {shift}")


def requantize(accumulator, multiplier: int, shift: int) -> np.ndarray:
    """int32 accumulator -> int8: saturate8(rounding_shift_right(acc * M, s))."""
    check_requant_params(multiplier, shift)
    acc = saturate(accumulator, 32)
    return saturate(rounding_shift_right(acc * np.int64(multiplier), shift), 8)


def multiplier_and_shift(real_scale: float) -> tuple[int, int]:
    """Best (M, s) with M / 2^s ~ real_scale, M a 16-bit unsigned integer and s in 0..31."""
    if not 0 < real_scale < (1 << MULTIPLIER_BITS):
        raise UsageError(f"requantization scale must be positive and < 65536; got {real_scale}")
    best = None
    for shift in range(MAX_SHIFT + 1):
        multiplier = int(np.floor(real_scale * (1 << shift) + 0.5))
        if 1 <= multiplier < (1 << MULTIPLIER_BITS):
            best = (multiplier, shift)  # larger shifts keep more precision; take the largest that fits
    if best is None:
        raise UsageError(f"no 16-bit multiplier and shift <= 31 represent scale {real_scale}")
    return best
