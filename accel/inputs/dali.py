"""The NVIDIA DALI path (`--preprocess dali`): one pipeline of mixed (nvJPEG) decode, resize of the
shorter side and crop + normalize, fed the encoded bytes of each batch and copied into a torch
tensor on the runner's stream. Imported only when a dali row runs (`nvidia-dali-cuda130`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from accel.inputs.gpu_preprocess import DevicePreprocess
from accel.inputs.images import EncodedImage
from accel.inputs.preprocess import IMAGENET_MEAN, IMAGENET_STD

DALI_THREADS = 4  # CPU threads of DALI's host stages (the hybrid decoder's Huffman step)


class DaliPreprocess(DevicePreprocess):
    """A DALI pipeline of batch size `batch`, run synchronously (no prefetch: one round, one batch)."""

    path = "dali"

    def __init__(self, crop_size: int, batch: int, stream: Any = None) -> None:
        from nvidia.dali import fn, pipeline_def, types

        super().__init__(crop_size, stream)
        threads = min(DALI_THREADS, os.cpu_count() or 1)

        @pipeline_def(batch_size=batch, num_threads=threads, device_id=torch.cuda.current_device(),
                      prefetch_queue_depth=1, exec_async=False, exec_pipelined=False)  # fmt: skip
        def pipeline():
            jpegs = fn.external_source(name="jpegs", dtype=types.UINT8)
            images = fn.decoders.image(jpegs, device="mixed", output_type=types.RGB)
            images = fn.resize(images, resize_shorter=self.resize_size, interp_type=types.INTERP_LINEAR, antialias=True)
            return fn.crop_mirror_normalize(
                images, crop=(crop_size, crop_size), mean=list(IMAGENET_MEAN * 255.0), std=list(IMAGENET_STD * 255.0),
                dtype=types.FLOAT, output_layout="CHW",
            )  # fmt: skip

        self.pipeline = pipeline()
        self.pipeline.build()

    def load(self, items: Sequence[EncodedImage]) -> list[np.ndarray]:
        return [np.frombuffer(item.data, dtype=np.uint8) for item in items]

    def __call__(self, loaded: Sequence[np.ndarray]) -> torch.Tensor:
        from nvidia.dali.plugin.pytorch import feed_ndarray

        self.pipeline.feed_input("jpegs", list(loaded))
        (output,) = self.pipeline.run()
        dense = output.as_tensor()
        batch = torch.empty(dense.shape(), dtype=torch.float32, device="cuda")
        feed_ndarray(dense, batch, cuda_stream=self.stream)
        self._finish()
        return batch

    def describe(self) -> dict[str, object]:
        return {
            "decode": "DALI fn.decoders.image(device='mixed')",
            "resize": "DALI fn.resize(resize_shorter, linear, antialias)",
            "h2d": "encoded bytes, inside DALI's mixed decoder (preprocess stage)",
        }
