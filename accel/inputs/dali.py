"""The NVIDIA DALI path (`--preprocess dali`): one pipeline of mixed (nvJPEG) decode, resize and
crop + normalize, fed the encoded bytes of each batch and copied into a torch tensor on the runner's
stream. Imported only when a dali row runs (`nvidia-dali-cuda130`).

DALI's own geometry differs from the PIL reference's: `resize_shorter` rounds the longer side where
torchvision truncates it, and the centre crop rounds half-way offsets up where Python's round goes
to the even pixel. On the H200 that cost max 90 / mean 1.11 levels against PIL, so each call reads
every photo's size from its JPEG header (timed: a server must too) and hands DALI the reference's
resized size and crop origin (`accel.inputs.preprocess`). With device="cpu" the same pipeline runs
DALI's CPU operators (libjpeg-turbo decode), which is how it is checked on machines without a GPU.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from accel.inputs.gpu_preprocess import DevicePreprocess
from accel.inputs.images import EncodedImage
from accel.inputs.preprocess import IMAGENET_MEAN, IMAGENET_STD, center_crop_origin, resized_size

DALI_THREADS = 4  # CPU threads of DALI's host stages (the hybrid decoder's Huffman step)
DALI_DEVICES = {"cuda": "mixed", "cpu": "cpu"}  # decoder placement per device


def photo_geometry(data: bytes, resize: int, crop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`dali_geometry` of one encoded photo, its size read from the header (no pixels decoded)."""
    return dali_geometry(*Image.open(io.BytesIO(data)).size, resize, crop)


def dali_geometry(width: int, height: int, resize: int, crop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DALI's per-photo arguments for the reference geometry: resize size (H, W) and the normalized
    crop anchors x and y (DALI rounds anchor x (W - crop) to a pixel, which lands on the exact origin)."""
    new_w, new_h = resized_size(width, height, resize)
    left, top = center_crop_origin(new_w, new_h, crop)
    anchor_x = left / (new_w - crop) if new_w > crop else 0.5
    anchor_y = top / (new_h - crop) if new_h > crop else 0.5
    return np.array([new_h, new_w], np.float32), np.array(anchor_x, np.float32), np.array(anchor_y, np.float32)


class DaliPreprocess(DevicePreprocess):
    """A DALI pipeline of batch size `batch`, run synchronously (no prefetch: one round, one batch)."""

    path = "dali"

    def __init__(self, crop_size: int, batch: int, stream: Any = None, device: str = "cuda") -> None:
        from nvidia.dali import fn, pipeline_def, types

        super().__init__(crop_size, stream)
        self.device = device
        threads = min(DALI_THREADS, os.cpu_count() or 1)
        device_id = torch.cuda.current_device() if device == "cuda" else None

        @pipeline_def(batch_size=batch, num_threads=threads, device_id=device_id,
                      prefetch_queue_depth=1, exec_async=False, exec_pipelined=False)  # fmt: skip
        def pipeline():
            jpegs = fn.external_source(name="jpegs", dtype=types.UINT8)
            sizes = fn.external_source(name="sizes", dtype=types.FLOAT)
            anchor_x = fn.external_source(name="anchor_x", dtype=types.FLOAT)
            anchor_y = fn.external_source(name="anchor_y", dtype=types.FLOAT)
            images = fn.decoders.image(jpegs, device=DALI_DEVICES[device], output_type=types.RGB)
            images = fn.resize(images, size=sizes, interp_type=types.INTERP_LINEAR, antialias=True)
            return fn.crop_mirror_normalize(
                images, crop=(crop_size, crop_size), crop_pos_x=anchor_x, crop_pos_y=anchor_y,
                mean=list(IMAGENET_MEAN * 255.0), std=list(IMAGENET_STD * 255.0), dtype=types.FLOAT, output_layout="CHW",
            )  # fmt: skip

        self.pipeline = pipeline()
        self.pipeline.build()

    def load(self, items: Sequence[EncodedImage]) -> list[tuple[np.ndarray, bytes]]:
        """Each photo's bytes as DALI's input array and as the bytes its header is read from (no copy)."""
        return [(np.frombuffer(item.data, dtype=np.uint8), item.data) for item in items]

    def __call__(self, loaded: Sequence[tuple[np.ndarray, bytes]]) -> torch.Tensor:
        geometry = [photo_geometry(data, self.resize_size, self.crop_size) for _, data in loaded]
        self.pipeline.feed_input("jpegs", [array for array, _ in loaded])
        for index, name in enumerate(("sizes", "anchor_x", "anchor_y")):
            self.pipeline.feed_input(name, [photo[index] for photo in geometry])
        (output,) = self.pipeline.run()
        if self.device == "cpu":
            return torch.from_numpy(np.ascontiguousarray(output.as_array()))
        from nvidia.dali.plugin.pytorch import feed_ndarray

        dense = output.as_tensor()
        batch = torch.empty(dense.shape(), dtype=torch.float32, device="cuda")
        feed_ndarray(dense, batch, cuda_stream=self.stream)
        self._finish()
        return batch

    def describe(self) -> dict[str, object]:
        return {
            "decode": f"DALI fn.decoders.image(device='{DALI_DEVICES[self.device]}')"
            + (", hw_decoder_load 0.65 (its default): the chip's JPEG decoder where it has one, as on Hopper" if self.device == "cuda" else ""),
            "resize": "DALI fn.resize(linear, antialias) to torchvision's size, crop at torchvision's origin (read from each JPEG header)",
            "h2d": "encoded bytes, inside DALI's mixed decoder (preprocess stage)",
        }
