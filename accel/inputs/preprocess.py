"""The one ImageNet eval preprocessing and postprocessing every backend shares.

Preprocess reproduces torchvision's eval recipe (Resize(256) -> CenterCrop(224) -> ToTensor ->
Normalize) with PIL and numpy, so the ONNX Runtime path needs no torch and the arithmetic is
identical to torchvision's on PIL images (same PIL bilinear resize, same crop rounding).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
RESIZE_RATIO = 256 / 224


def resize_size_for(crop_size: int) -> int:
    """Shorter-side resize that keeps torchvision's 256/224 ratio for any crop size."""
    return int(round(crop_size * RESIZE_RATIO))


def resized_size(width: int, height: int, size: int) -> tuple[int, int]:
    """(width, height) after torchvision's Resize(size): shorter side `size`, longer side truncated.
    Other libraries round the longer side instead, so GPU paths take these sizes from here."""
    short, long = (width, height) if width <= height else (height, width)
    new_long = int(size * long / short)
    return (size, new_long) if width <= height else (new_long, size)


def center_crop_origin(width: int, height: int, size: int) -> tuple[int, int]:
    """(left, top) of torchvision's centre crop: Python's round, so half-way offsets go to the even pixel."""
    return int(round((width - size) / 2.0)), int(round((height - size) / 2.0))


def resize_shorter_side(image: Image.Image, size: int) -> Image.Image:
    """Resize so the shorter side equals `size`, as torchvision's Resize(int) does."""
    new_size = resized_size(*image.size, size)
    if new_size == image.size:
        return image
    return image.resize(new_size, Image.BILINEAR)


def center_crop(image: Image.Image, size: int) -> Image.Image:
    """Centre crop with torchvision's rounding of the offsets."""
    left, top = center_crop_origin(*image.size, size)
    return image.crop((left, top, left + size, top + size))


def normalize(image: Image.Image) -> np.ndarray:
    """HWC uint8 -> CHW float32 in ImageNet-normalized units."""
    array = np.asarray(image, dtype=np.float32) / 255.0
    array = (array - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(array.transpose(2, 0, 1))


def preprocess_image(image: Image.Image, crop_size: int = 224) -> np.ndarray:
    """One RGB PIL image -> a 3 x crop x crop float32 array."""
    resized = resize_shorter_side(image, resize_size_for(crop_size))
    return normalize(center_crop(resized, crop_size))


def preprocess_batch(images: Sequence[Image.Image], crop_size: int = 224) -> np.ndarray:
    """A list of RGB PIL images -> an N x 3 x crop x crop float32 batch."""
    return np.stack([preprocess_image(image, crop_size) for image in images])


def softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis, in float32."""
    shifted = logits.astype(np.float32) - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def top_k(logits: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Postprocess: softmax then the k best classes per row, best first -> (probabilities, indices)."""
    probabilities = softmax(logits)
    k = min(k, probabilities.shape[-1])
    candidates = np.argpartition(-probabilities, k - 1, axis=-1)[:, :k]
    candidate_probs = np.take_along_axis(probabilities, candidates, axis=-1)
    order = np.argsort(-candidate_probs, axis=-1, kind="stable")
    indices = np.take_along_axis(candidates, order, axis=-1)
    return np.take_along_axis(probabilities, indices, axis=-1), indices
