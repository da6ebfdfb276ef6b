"""The scikit-learn digits set: 1,797 real labelled 8x8 images, with a fixed train/test split.

They give the suite real labels offline; `accel.zoo.digits` trains its two small nets on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

TEST_FRACTION = 0.3
SPLIT_SEED = 0
PIXEL_MAX = 16.0  # sklearn digits pixels are integers 0..16


@dataclass(frozen=True)
class DigitsSplit:
    """Raw integer pixels (N x 8 x 8, uint8) and labels for the fixed train/test split."""

    train_pixels: np.ndarray
    train_labels: np.ndarray
    test_pixels: np.ndarray
    test_labels: np.ndarray


@cache
def digits_split() -> DigitsSplit:
    """The fixed, stratified 70/30 split of sklearn's digits set."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    pixels = data.images.astype(np.uint8)
    train_x, test_x, train_y, test_y = train_test_split(
        pixels, data.target, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=data.target
    )
    return DigitsSplit(train_x, train_y.astype(np.int64), test_x, test_y.astype(np.int64))


def input_shape(model: str) -> tuple[int, ...]:
    """Per-sample input shape: flat 64 for the MLP, 1x8x8 for the CNN."""
    return (64,) if model == "digits_mlp" else (1, 8, 8)


def preprocess_digits(pixels: np.ndarray, model: str) -> np.ndarray:
    """Raw 0..16 integer pixels -> float32 in [0, 1], shaped for `model`."""
    scaled = np.asarray(pixels, dtype=np.float32) / PIXEL_MAX
    return np.ascontiguousarray(scaled.reshape(len(scaled), *input_shape(model)))
