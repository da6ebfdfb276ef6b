"""Two small nets trained on the scikit-learn digits set (`accel.inputs.digits_data`).

They exist because torchvision models with offline (random) weights have no meaningful accuracy:
these have real labels, train deterministically in seconds, and `digits_mlp` is the network the
FPGA track implements in INT8.
"""

from __future__ import annotations

import torch

from accel.inputs.digits_data import digits_split, preprocess_digits
from accel.matrix import DIGITS_MODELS

MLP_HIDDEN = 32
TRAIN_SEED = 0
EPOCHS = 60
BATCH = 64
LEARNING_RATE = 3e-3


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
