"""Deterministic augmented views of real photos (for BatchNorm recalibration and calibration sets).

Random-resized crops and flips drawn from a seeded numpy generator, finished with the same
`normalize` as inference, so statistics gathered on them match what the model sees at run time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from accel.inputs.preprocess import normalize

SCALE_RANGE = (0.25, 1.0)
RATIO_RANGE = (3 / 4, 4 / 3)


def random_resized_crop(image: Image.Image, size: int, rng: np.random.Generator) -> Image.Image:
    """One crop covering 25-100% of the area at a 3:4-4:3 aspect, resized to size x size."""
    width, height = image.size
    area = width * height
    for _ in range(10):
        target = area * rng.uniform(*SCALE_RANGE)
        ratio = np.exp(rng.uniform(np.log(RATIO_RANGE[0]), np.log(RATIO_RANGE[1])))
        crop_w = int(round(np.sqrt(target * ratio)))
        crop_h = int(round(np.sqrt(target / ratio)))
        if 0 < crop_w <= width and 0 < crop_h <= height:
            left = int(rng.integers(0, width - crop_w + 1))
            top = int(rng.integers(0, height - crop_h + 1))
            return image.resize((size, size), Image.BILINEAR, box=(left, top, left + crop_w, top + crop_h))
    side = min(width, height)
    return image.resize((size, size), Image.BILINEAR, box=(0, 0, side, side))


def augmented_views(images: Sequence[Image.Image], count: int, size: int, seed: int) -> np.ndarray:
    """`count` normalized N x 3 x size x size views, cycling through `images` in order."""
    if not images:
        raise ValueError("augmented_views needs at least one image")
    rng = np.random.default_rng(seed)
    views = []
    for index in range(count):
        view = random_resized_crop(images[index % len(images)], size, rng)
        if rng.random() < 0.5:
            view = view.transpose(Image.FLIP_LEFT_RIGHT)
        views.append(normalize(view))
    return np.stack(views)
