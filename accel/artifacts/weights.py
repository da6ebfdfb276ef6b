"""Torch weights under the session's policy (trained digits, random + BN-recalibrated, pretrained),
cached on disk and keyed only on what changes them: upgrading onnxruntime or onnx retrains nothing.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path

import torch

from accel.artifacts.cache import ArtifactCache
from accel.artifacts.calibration import array_sha256
from accel.artifacts.deps import versions
from accel.artifacts.workset import Workset
from accel.inputs import color
from accel.inputs.augment import augmented_views
from accel.inputs.digits_data import digits_split
from accel.inputs.images import decode
from accel.matrix import DEFAULT_INPUT_SIZE, DIGITS_MODELS
from accel.zoo import digits, models

BN_RECALIBRATION_VIEWS = 64
BN_RECALIBRATION_SEED = 1234


def save_state_dict(model: torch.nn.Module, path: Path) -> None:
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    path.write_bytes(buffer.getvalue())


def load_state_dict(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def trained_fields(model: str) -> dict[str, object]:
    """Key of a trained digits net: its training recipe, its data and torch."""
    split = digits_split()
    return {
        "model": model, "policy": "trained", "seed": digits.TRAIN_SEED, "epochs": digits.EPOCHS,
        "hidden": digits.MLP_HIDDEN, "batch": digits.BATCH, "learning_rate": digits.LEARNING_RATE,
        "train_sha256": array_sha256(split.train_pixels) + array_sha256(split.train_labels), **versions("torch"),
    }  # fmt: skip


def recalibrated_fields(model: str, seed: int, images_sha256: str) -> dict[str, object]:
    """Key of seeded random torchvision weights with BatchNorm statistics from the photos, as decoded
    (the photos' hash alone would keep stale statistics after a decoding change)."""
    return {
        "model": model, "policy": "random-bn-recalibrated", "seed": seed, "bn_views": BN_RECALIBRATION_VIEWS,
        "bn_seed": BN_RECALIBRATION_SEED, "bn_input_size": DEFAULT_INPUT_SIZE, "images_sha256": images_sha256,
        "decoder_version": color.DECODER_VERSION, **versions("torch", "torchvision"),
    }  # fmt: skip


class TorchWeights:
    """One fp32 CPU module per model, loaded or built once per session."""

    def __init__(self, cache: ArtifactCache, workset: Workset, policy: str = "random", seed: int = models.DEFAULT_SEED) -> None:
        self.cache = cache
        self.workset = workset
        self.policy = models.validate_policy(policy)
        self.seed = seed
        self._modules: dict[str, torch.nn.Module] = {}

    def label(self, model: str) -> str:
        """Short description of the weights, for the `weights` field of each record."""
        if model in DIGITS_MODELS:
            return f"trained(seed={digits.TRAIN_SEED},sklearn-digits)"
        if self.policy == "pretrained":
            return f"pretrained:{models.pretrained_weights_enum(model).name}"
        return f"random(seed={self.seed},bn-recalibrated)"

    def kind(self, model: str) -> str:
        """Key into the drift thresholds: random, pretrained or trained."""
        return "trained" if model in DIGITS_MODELS else self.policy

    def torch_model(self, model: str) -> torch.nn.Module:
        """A private copy (callers may move or cast it)."""
        if model not in self._modules:
            self._modules[model] = self._load(model)
        return copy.deepcopy(self._modules[model])

    def _load(self, model: str) -> torch.nn.Module:
        if model in DIGITS_MODELS:
            net = digits.build(model)
            entry = self.cache.get_or_build(
                "weights", trained_fields(model), lambda path: save_state_dict(digits.train(model), path), ".pt", load_state_dict
            )
            net.load_state_dict(load_state_dict(entry.path))
            return net.eval()
        if self.policy == "pretrained":
            net = models.build_pretrained(model)
        else:
            net = models.build_random(model, self.seed)
            entry = self.cache.get_or_build(
                "weights",
                recalibrated_fields(model, self.seed, self.workset.images_sha256),
                lambda path: self._build_recalibrated(net, path),
                ".pt",
                load_state_dict,
            )
            net.load_state_dict(load_state_dict(entry.path))
            net.eval()
        with torch.inference_mode():
            batch = self.workset.workload(model, DEFAULT_INPUT_SIZE).benchmark_inputs
            models.check_healthy_outputs(net(torch.from_numpy(batch)).numpy(), model)
        return net

    def _build_recalibrated(self, net: torch.nn.Module, path: Path) -> None:
        decoded = [decode(image) for image in self.workset.images]
        views = augmented_views(decoded, BN_RECALIBRATION_VIEWS, DEFAULT_INPUT_SIZE, BN_RECALIBRATION_SEED)
        save_state_dict(models.recalibrate_batchnorm(net, views), path)
