"""How far a GPU preprocessing path lands from the PIL reference, and the gates that fail its row.

Arrays in, verdicts out. Pixels: the preprocessed batches of both paths from the same JPEG bytes,
compared in 8-bit levels (the normalization undone), against a per-path tolerance: decoders
(libjpeg-turbo vs nvJPEG: IDCT and chroma upsampling) and antialiased resizes (PIL's uint8 filter
vs a float one rounded to uint8) differ by design, so equality is never expected. Logits: the
row's own runner on both batches, so the precision's rounding cancels and what is left is the
preprocessing. Their drift is gated against a yardstick measured the same way: the PIL path on the
same photos re-encoded at JPEG quality 75, a change no one would call a different preprocessing.
A fixed bound would not do: random-weight models amplify input noise (+-1 level of noise moves
efficientnet_b0's cosine_min to 0.968 and resnet18's top-5 overlap to 0.944, outside their fp16
thresholds), while broken paths (BGR, a 1-pixel crop shift, no antialiasing, the wrong resize)
land below the yardstick's mean cosine on all three ImageNet models and the GPU's resize
arithmetic well above it (docs/results/preprocess/cpu_probe.json).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accel.errors import AccelError
from accel.inputs.preprocess import IMAGENET_STD
from accel.quality.drift import Drift, DriftThreshold, gate

YARDSTICK_QUALITY = 75  # JPEG quality of the re-encode whose drift bounds a path's


class PreprocessGateError(AccelError, AssertionError):
    """A preprocessing path's pixels or logits are outside their bound."""


@dataclass(frozen=True)
class PixelTolerance:
    """Inclusive upper bounds in 8-bit levels (0-255) and where they come from."""

    max_abs: float
    mean_abs: float
    source: str


@dataclass(frozen=True)
class PixelDifference:
    """|candidate - reference| over every value of the preprocessed batches, in 8-bit levels."""

    max_abs: float
    mean_abs: float
    n: int  # images compared


# Measured on the H200 (docs/results/h200, every torchvision-cuda row alike): nvJPEG + GPU resize
# against PIL on the 18 photos at JPEG q95 differ by max 17 / mean 0.2435 levels (DALI's rows, fed
# torchvision's geometry: max 17 / mean 0.2435 at batch 1, 0.2461 at batch 32). On the CPU the same
# torchvision code (libjpeg-turbo) lands within max 1 / mean 0.0007 levels, so that is nvJPEG's
# decode. Benign changes reach max 50 / mean 1.15 (a JPEG q75 re-encode), broken paths max 141-255 /
# mean 4.8-26 (docs/results/preprocess/cpu_probe.json): the tolerance, twice what was measured, lies
# below both.
PIXEL_TOLERANCES = {
    "torchvision-cuda": PixelTolerance(
        max_abs=34.0, mean_abs=0.5,
        source="twice the H200's measured max 17 / mean 0.2435 levels (docs/results/h200); "
               "below a JPEG q75 re-encode (50 / 1.15) and every broken path (>= 141 / >= 4.8)",
    ),
    "dali": PixelTolerance(
        max_abs=34.0, mean_abs=0.5,
        source="twice the H200's measured max 17 / mean 0.2461 levels (docs/results/h200, e2e-dali-torch: DALI's mixed "
               "decoder with torchvision's resize size and crop origin); DALI's own geometry measured max 90 / mean 1.11 there",
    ),
}  # fmt: skip


def pixel_difference(reference: np.ndarray, candidate: np.ndarray) -> PixelDifference:
    """Both N x 3 x H x W ImageNet-normalized batches; the difference is scaled back by std x 255."""
    if reference.shape != candidate.shape:
        raise ValueError(f"shape mismatch: reference {reference.shape} vs candidate {candidate.shape}")
    scale = (IMAGENET_STD * 255.0).reshape(1, 3, 1, 1)
    levels = np.abs(candidate.astype(np.float64) - reference.astype(np.float64)) * scale
    return PixelDifference(max_abs=float(levels.max()), mean_abs=float(levels.mean()), n=len(reference))


@dataclass(frozen=True)
class PreprocessCheck:
    """One path against the PIL reference on the same JPEG bytes, and the yardstick's drift."""

    path: str
    pixels: PixelDifference
    tolerance: PixelTolerance
    drift: Drift
    yardstick: Drift

    @property
    def drift_threshold(self) -> DriftThreshold:
        return DriftThreshold(
            cosine_mean=self.yardstick.cosine_mean,
            source=f"the PIL path on the same photos re-encoded at JPEG quality {YARDSTICK_QUALITY}, same runner",
        )

    def record(self) -> dict[str, object]:
        bound = self.drift_threshold
        return {
            "reference": "pil",
            "images": self.pixels.n,
            "pixel_max_abs": self.pixels.max_abs,
            "pixel_mean_abs": self.pixels.mean_abs,
            "pixel_tolerance": {"max_abs": self.tolerance.max_abs, "mean_abs": self.tolerance.mean_abs, "source": self.tolerance.source},
            "drift": self.drift.as_dict(),
            "drift_bound": {"cosine_mean": bound.cosine_mean, "source": bound.source},
        }


def gate_preprocessing(check: PreprocessCheck, row: str, worst_input: str) -> None:
    """Fail the row when its pixels leave the path's tolerance or its logits drift further than the yardstick's."""
    pixels, tolerance = check.pixels, check.tolerance
    if pixels.max_abs > tolerance.max_abs or pixels.mean_abs > tolerance.mean_abs:
        raise PreprocessGateError(
            f"{row}: {check.path} preprocessing differs from PIL by max {pixels.max_abs:.3g} / mean {pixels.mean_abs:.3g} "
            f"levels (tolerance max {tolerance.max_abs} / mean {tolerance.mean_abs}: {tolerance.source})"
        )
    gate(check.drift, check.drift_threshold, row, worst_input, require_change=False, against=f"the PIL preprocessing ({check.path} inputs)")
