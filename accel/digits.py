"""The scikit-learn digits set (1,797 real labelled 8x8 images) and two small models trained on it.

They exist because torchvision models with offline (random) weights have no meaningful accuracy:
these have real labels, train deterministically in seconds, and `digits_mlp` is the network the
FPGA track implements in INT8.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

from accel.matrix import DIGITS_MODELS

MLP_HIDDEN = 32
TEST_FRACTION = 0.3
SPLIT_SEED = 0
TRAIN_SEED = 0
EPOCHS = 60
BATCH = 64
LEARNING_RATE = 3e-3
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


def build(model: str) -> torch.nn.Module:
    """Untrained architecture for `model`."""
    if model == "digits_mlp":
        return torch.nn.Sequential(torch.nn.Linear(64, MLP_HIDDEN), torch.nn.ReLU(), torch.nn.Linear(MLP_HIDDEN, 10))
    if model == "digits_cnn":
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.BatchNorm2d(32), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(32 * 4 * 4, 10),
        )  # fmt: skip
    raise ValueError(f"`model` must be one of {', '.join(DIGITS_MODELS)}; got {model!r}")


def train(model: str, seed: int = TRAIN_SEED) -> torch.nn.Module:
    """Deterministic training on the train split (single-threaded, seeded, fixed order per epoch)."""
    split = digits_split()
    inputs = torch.from_numpy(preprocess_digits(split.train_pixels, model))
    labels = torch.from_numpy(split.train_labels)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # identical weights on any machine
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = build(model)
            optimizer = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
            generator = torch.Generator().manual_seed(seed)
            net.train()
            for _ in range(EPOCHS):
                order = torch.randperm(len(inputs), generator=generator)
                for start in range(0, len(inputs), BATCH):
                    index = order[start : start + BATCH]
                    optimizer.zero_grad()
                    loss = torch.nn.functional.cross_entropy(net(inputs[index]), labels[index])
                    loss.backward()
                    optimizer.step()
    finally:
        torch.set_num_threads(threads)
    return net.eval()
