"""Session-level store of the artifacts benchmarks need, each built once and cached on disk.

It owns the image set, the weights (random+recalibrated or pretrained), and the validated ONNX
exports. Every method is memoized, so fixtures can ask freely.
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
from functools import cached_property
from pathlib import Path

import numpy as np
import torch

from accel import export, models
from accel.augment import augmented_views
from accel.cache import ArtifactCache
from accel.images import EncodedImage, decode, image_source
from accel.matrix import DEFAULT_INPUT_SIZE
from accel.preprocess import preprocess_batch

log = logging.getLogger(__name__)

BN_RECALIBRATION_VIEWS = 64
BN_RECALIBRATION_SEED = 1234


def _library_versions() -> dict[str, str]:
    import onnx
    import torchvision

    return {"torch": torch.__version__, "torchvision": torchvision.__version__, "onnx": onnx.__version__}


class ArtifactStore:
    """Builds or loads (from `cache`) everything a benchmark row needs."""

    def __init__(
        self,
        cache: ArtifactCache,
        weights: str = "random",
        images_dir: str | Path | None = None,
        on_bad_image: str = "fail",
        seed: int = models.DEFAULT_SEED,
    ) -> None:
        self.cache = cache
        self.weights = models.validate_policy(weights)
        self.images_dir = images_dir
        self.on_bad_image = on_bad_image
        self.seed = seed
        self._modules: dict[str, torch.nn.Module] = {}
        self._onnx: dict[tuple[str, int], Path] = {}
        self._eval_batches: dict[int, np.ndarray] = {}

    @cached_property
    def images(self) -> list[EncodedImage]:
        return image_source(self.images_dir, self.on_bad_image)

    @cached_property
    def decoded(self) -> list:
        return [decode(image) for image in self.images]

    @cached_property
    def images_sha256(self) -> str:
        digest = hashlib.sha256()
        for image in self.images:
            digest.update(hashlib.sha256(image.data).digest())
        return digest.hexdigest()

    def eval_batch(self, input_size: int = DEFAULT_INPUT_SIZE) -> np.ndarray:
        """Every image, preprocessed with the shared eval recipe (N x 3 x S x S)."""
        if input_size not in self._eval_batches:
            self._eval_batches[input_size] = preprocess_batch(self.decoded, input_size)
        return self._eval_batches[input_size]

    def batch_of(self, batch: int, input_size: int = DEFAULT_INPUT_SIZE) -> np.ndarray:
        """`batch` preprocessed images, cycling through the set when it is smaller."""
        images = self.eval_batch(input_size)
        return np.ascontiguousarray(np.resize(images, (batch, *images.shape[1:])))

    def weights_label(self, name: str) -> str:
        """Short human description of the weights, for the `weights` field of each record."""
        if self.weights == "pretrained":
            return f"pretrained:{models.pretrained_weights_enum(name).name}"
        return f"random(seed={self.seed},bn-recalibrated)"

    def torch_model(self, name: str) -> torch.nn.Module:
        """A private fp32 CPU copy of the model (callers may move or cast it)."""
        if name not in self._modules:
            self._modules[name] = self._load_model(name)
        return copy.deepcopy(self._modules[name])

    def _load_model(self, name: str) -> torch.nn.Module:
        if self.weights == "pretrained":
            model = models.build_pretrained(name)
        else:
            model = models.build_random(name, self.seed)
            entry = self.cache.get_or_build(
                "weights",
                {
                    "model": name,
                    "policy": "random-bn-recalibrated",
                    "seed": self.seed,
                    "bn_views": BN_RECALIBRATION_VIEWS,
                    "bn_seed": BN_RECALIBRATION_SEED,
                    "images_sha256": self.images_sha256,
                    **_library_versions(),
                },
                build=lambda path: self._build_recalibrated(name, model, path),
                suffix=".pt",
                check=lambda path: torch.load(path, map_location="cpu", weights_only=True),
            )
            model.load_state_dict(torch.load(entry.path, map_location="cpu", weights_only=True))
            model.eval()
        with torch.inference_mode():
            models.check_healthy_outputs(model(torch.from_numpy(self.eval_batch())).numpy(), name)
        return model

    def _build_recalibrated(self, name: str, model: torch.nn.Module, path: Path) -> None:
        log.info("recalibrating BatchNorm statistics of %s on %d photo views", name, BN_RECALIBRATION_VIEWS)
        views = augmented_views(self.decoded, BN_RECALIBRATION_VIEWS, DEFAULT_INPUT_SIZE, BN_RECALIBRATION_SEED)
        models.recalibrate_batchnorm(model, views)
        buffer = io.BytesIO()
        torch.save(model.state_dict(), buffer)
        path.write_bytes(buffer.getvalue())

    def onnx_path(self, name: str, input_size: int = DEFAULT_INPUT_SIZE) -> Path:
        """The validated fp32 ONNX export of `name` at `input_size` (dynamic batch)."""
        key = (name, input_size)
        if key not in self._onnx:
            module = self.torch_model(name)
            shape = (1, 3, input_size, input_size)
            entry = self.cache.get_or_build(
                "onnx-fp32",
                {
                    "model": name,
                    "weights_sha256": models.state_dict_sha256(module),
                    "input_shape": shape,
                    "opset": export.OPSET,
                    "exporter": export.EXPORTER,
                    **_library_versions(),
                },
                build=lambda path: export.export_onnx(module, shape, path),
                suffix=".onnx",
                check=export.check_onnx,
            )
            self._validate_onnx(name, module, entry.path, input_size)
            self._onnx[key] = entry.path
        return self._onnx[key]

    def _validate_onnx(self, name: str, module: torch.nn.Module, path: Path, input_size: int) -> None:
        import onnxruntime

        batch = self.eval_batch(input_size)
        with torch.inference_mode():
            reference = module(torch.from_numpy(batch)).numpy()
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        exported = session.run(None, {export.INPUT_NAME: batch})[0]
        export.validate_export(reference, exported, f"{name} ({path})")
