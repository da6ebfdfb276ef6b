"""What each model family consumes: raw items, their preprocessing, and the fixed sets used for
calibration, drift and accuracy.

The evaluation set is disjoint from the calibration set: for photos, every third photo is held
out for evaluation and the rest feed calibration; for digits, calibration draws from the train
split and evaluation is the held-out test split (which also carries real labels).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from accel.errors import UsageError
from accel.inputs import digits_data
from accel.inputs.augment import augmented_views
from accel.inputs.images import EncodedImage, decode, image_paths, load_images
from accel.inputs.jpeg import as_jpeg
from accel.inputs.preprocess import preprocess_batch

EVAL_VIEWS = 64
EVAL_SEED = 2024
CALIBRATION_SEED = 7
HOLDOUT_EVERY = 3  # photo i is held out for evaluation when i % 3 == 2


def too_few_photos(found: int, where: str) -> UsageError:
    return UsageError(
        f"photo workloads need at least {HOLDOUT_EVERY} decodable images (one in {HOLDOUT_EVERY} is held out for "
        f"evaluation, the others calibrate); found {found} in {where}"
    )


def check_image_set(images_dir: str | Path | None, on_bad_image: str) -> list[EncodedImage]:
    """The photo set, every file decoded once, meant for startup: a bad file fails naming it or is
    skipped with one warning, and a set too small for the evaluation split is refused before any row runs."""
    paths = image_paths(images_dir)
    images = load_images(paths, on_bad_image)
    if len(images) < HOLDOUT_EVERY:
        where = repr(str(images_dir)) if images_dir else "the scikit-image sample photos"
        skipped = len(paths) - len(images)
        raise too_few_photos(len(images), where + (f" ({skipped} bad one(s) skipped)" if skipped else ""))
    return images


@dataclass(frozen=True)
class LabelledFiles:
    """Image files with their class indices (an ImageNet-style validation folder)."""

    paths: list[Path]
    labels: np.ndarray


class Workload(ABC):
    """Inputs for one model at one input size."""

    def __init__(self, model: str, input_size: int) -> None:
        self.model = model
        self.input_size = input_size

    @property
    @abstractmethod
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one preprocessed sample (no batch axis)."""

    @property
    @abstractmethod
    def raw_items(self) -> Sequence[object]:
        """Undecoded items for end-to-end rows."""

    def end_to_end_items(self, jpeg: bool) -> Sequence[object]:
        """What end-to-end rows decode: the raw items, or for photos in a run with a GPU
        preprocessing path (`jpeg`), their JPEG re-encodes (`accel.inputs.jpeg`)."""
        return self.raw_items

    @abstractmethod
    def preprocess(self, items: Sequence[object]) -> np.ndarray:
        """Raw items -> float32 batch, the one preprocessing every backend shares."""

    @property
    @abstractmethod
    def eval_inputs(self) -> np.ndarray:
        """Preprocessed evaluation set for drift and accuracy."""

    @property
    def eval_labels(self) -> np.ndarray | None:
        """Real labels aligned with `eval_inputs`, where they exist."""
        return None

    @abstractmethod
    def calibration_inputs(self, count: int) -> np.ndarray:
        """`count` preprocessed samples for INT8 calibration (disjoint from the evaluation set)."""

    @abstractmethod
    def eval_name(self, index: int) -> str:
        """Human name of evaluation input `index` (to point at the worst input of a drift gate)."""

    @cached_property
    def benchmark_inputs(self) -> np.ndarray:
        """Preprocessed samples that inference rows cycle through."""
        return self.preprocess(self.raw_items)

    def batch_of(self, batch: int) -> np.ndarray:
        """`batch` preprocessed samples, cycling through the set when it is smaller."""
        inputs = self.benchmark_inputs
        return np.ascontiguousarray(np.resize(inputs, (batch, *inputs.shape[1:])))


class PhotoWorkload(Workload):
    """ImageNet-style models on real photos."""

    def __init__(
        self, model: str, input_size: int, images: Sequence[EncodedImage], validation: LabelledFiles | None = None
    ) -> None:
        super().__init__(model, input_size)
        if len(images) < HOLDOUT_EVERY:
            raise too_few_photos(len(images), "the image set")
        self.images = list(images)
        self.validation = validation

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return (3, self.input_size, self.input_size)

    @property
    def raw_items(self) -> Sequence[EncodedImage]:
        return self.images

    def preprocess(self, items: Sequence[object]) -> np.ndarray:
        return preprocess_batch([decode(item) for item in items], self.input_size)

    def end_to_end_items(self, jpeg: bool) -> Sequence[EncodedImage]:
        return self._jpeg_images if jpeg else self.images

    @cached_property
    def _jpeg_images(self) -> list[EncodedImage]:
        return as_jpeg(self.images)

    @cached_property
    def _split(self) -> tuple[list, list]:
        decoded = [decode(image) for image in self.images]
        held_out = [im for i, im in enumerate(decoded) if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1]
        calibration = [im for i, im in enumerate(decoded) if i % HOLDOUT_EVERY != HOLDOUT_EVERY - 1]
        return calibration, held_out

    @cached_property
    def eval_inputs(self) -> np.ndarray:
        """Labelled validation images when given (--val-dir), else the held-out photos and their views."""
        if self.validation is not None:
            return self.preprocess([EncodedImage(str(p), p.read_bytes()) for p in self.validation.paths])
        held_out = self._split[1]
        centre = preprocess_batch(held_out, self.input_size)
        views = augmented_views(held_out, max(EVAL_VIEWS - len(centre), 0), self.input_size, EVAL_SEED)
        return np.concatenate([centre, views])

    @property
    def eval_labels(self) -> np.ndarray | None:
        return self.validation.labels if self.validation is not None else None

    def eval_name(self, index: int) -> str:
        if self.validation is not None:
            return str(self.validation.paths[index])
        held_out_names = [im.name for i, im in enumerate(self.images) if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1]
        if index < len(held_out_names):
            return f"{held_out_names[index]} (centre crop)"
        return f"augmented view #{index - len(held_out_names)} of the held-out photos"

    def calibration_inputs(self, count: int) -> np.ndarray:
        return augmented_views(self._split[0], count, self.input_size, CALIBRATION_SEED)


class DigitsWorkload(Workload):
    """The sklearn digits models: raw 8x8 integer pixels with real labels."""

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return digits_data.input_shape(self.model)

    @property
    def raw_items(self) -> Sequence[np.ndarray]:
        return list(digits_data.digits_split().test_pixels)

    def preprocess(self, items: Sequence[object]) -> np.ndarray:
        return digits_data.preprocess_digits(np.stack(items), self.model)

    @cached_property
    def eval_inputs(self) -> np.ndarray:
        return digits_data.preprocess_digits(digits_data.digits_split().test_pixels, self.model)

    @property
    def eval_labels(self) -> np.ndarray:
        return digits_data.digits_split().test_labels

    def eval_name(self, index: int) -> str:
        return f"held-out digit #{index} (label {int(self.eval_labels[index])})"

    def calibration_inputs(self, count: int) -> np.ndarray:
        train = digits_data.digits_split().train_pixels
        order = np.random.default_rng(CALIBRATION_SEED).permutation(len(train))
        return digits_data.preprocess_digits(train[order[: min(count, len(train))]], self.model)
