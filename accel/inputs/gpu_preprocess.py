"""Preprocessing paths that decode and preprocess on the GPU (`--preprocess torchvision-cuda,dali`).

Each reproduces the PIL reference's recipe (`accel.inputs.preprocess`: shorter side to 256 with an
antialiased bilinear filter, centre crop 224, ImageNet normalization) and hands the runner a float32
NCHW batch already on the device. Both read JPEG bytes (`accel.inputs.jpeg`), and both are checked
against PIL on the same bytes before a row is timed (`accel.quality.preprocessing`).

The encoded bytes reach the device inside the decoder (nvJPEG takes host buffers, and its hybrid
backend parses the Huffman stream on the CPU), so there is no separate H2D step to time: a row's
`preprocess` stage holds decode, the bytes' transfer and the tensor ops.
"""

from __future__ import annotations

import contextlib
import importlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import torch

from accel.errors import invalid_choice
from accel.inputs.images import EncodedImage
from accel.inputs.preprocess import IMAGENET_MEAN, IMAGENET_STD, resize_size_for
from accel.matrix import DEFAULT_PREPROCESS, PREPROCESS_DEVICE

DALI_PACKAGE = "nvidia-dali-cuda130"


class DevicePreprocess(ABC):
    """One GPU path: `load` the encoded photos once (outside the timed rounds), then each call turns a
    batch of them into the runner's input on the device, complete when it returns."""

    path: str

    def __init__(self, crop_size: int, stream: Any = None) -> None:
        self.crop_size = crop_size
        self.resize_size = resize_size_for(crop_size)
        self.stream = stream  # the runner's CUDA stream: preprocessing and inference are ordered on it

    @abstractmethod
    def load(self, items: Sequence[Any]) -> list[Any]:
        """The encoded bytes as the decoder takes them (host memory, as a server receives them)."""

    @abstractmethod
    def __call__(self, loaded: Sequence[Any]) -> torch.Tensor:
        """N loaded photos -> an N x 3 x crop x crop float32 batch on the device."""

    @abstractmethod
    def describe(self) -> dict[str, object]:
        """Notes for the row's record: what decodes, what resizes, where the bytes cross."""

    def _scope(self) -> contextlib.AbstractContextManager:
        return torch.cuda.stream(self.stream) if self.stream is not None else contextlib.nullcontext()

    def _finish(self) -> None:
        if self.stream is not None:
            self.stream.synchronize()


class TorchvisionPreprocess(DevicePreprocess):
    """`torchvision.io.decode_jpeg` on `device` (nvJPEG on CUDA, one batched call), then the recipe as
    tensor ops: `transforms.v2.functional.resize` on uint8 (antialiased; rounded back to uint8, as
    PIL's filter is), `center_crop`, normalize. With device="cpu" it is the same code on libjpeg-turbo."""

    path = "torchvision-cuda"

    def __init__(self, crop_size: int, stream: Any = None, device: str = "cuda") -> None:
        super().__init__(crop_size, stream)
        self.device = torch.device(device)
        self.mean = torch.tensor(IMAGENET_MEAN, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD, device=self.device).view(1, 3, 1, 1)

    def load(self, items: Sequence[EncodedImage]) -> list[torch.Tensor]:
        return [torch.frombuffer(bytearray(item.data), dtype=torch.uint8) for item in items]

    def __call__(self, loaded: Sequence[torch.Tensor]) -> torch.Tensor:
        from torchvision.io import ImageReadMode, decode_jpeg
        from torchvision.transforms.v2 import functional

        with self._scope():
            images = decode_jpeg(list(loaded), mode=ImageReadMode.RGB, device=self.device)
            crops = [functional.center_crop(functional.resize(image, [self.resize_size], antialias=True), [self.crop_size]) for image in images]
            batch = torch.stack(crops).float().div_(255.0).sub_(self.mean).div_(self.std)
        self._finish()
        return batch

    def describe(self) -> dict[str, object]:
        return {
            "decode": f"torchvision.io.decode_jpeg(device={str(self.device)!r}, batched)",
            "resize": "transforms.v2.functional.resize(uint8, antialias=True)",
            "h2d": "encoded bytes, inside decode_jpeg (preprocess stage)",
        }


def missing(path: str) -> str | None:
    """Why `path` cannot run here (beyond the CUDA device the row already needs), or None."""
    if path == "dali":
        try:
            importlib.import_module("nvidia.dali")
        except ImportError as exc:
            return f"--preprocess dali needs NVIDIA DALI: `import nvidia.dali` failed ({exc}); pip install {DALI_PACKAGE}"
    return None


def create(path: str, crop_size: int, batch: int, stream: Any) -> DevicePreprocess:
    """The GPU path `path` for batches of up to `batch` photos, working on the runner's `stream`."""
    if path == "torchvision-cuda":
        return TorchvisionPreprocess(crop_size, stream)
    if path == "dali":
        from accel.inputs.dali import DaliPreprocess

        return DaliPreprocess(crop_size, batch, stream)
    raise invalid_choice("--preprocess (a GPU path)", path, tuple(PREPROCESS_DEVICE))


def serves_jpeg(paths: Sequence[str]) -> bool:
    """A run with a GPU path serves every photo as JPEG, to every path (`accel.inputs.jpeg`)."""
    return any(path != DEFAULT_PREPROCESS for path in paths)
