"""Session-level store of the artifacts benchmarks need, each built once and cached on disk.

It owns the image set, the workloads, the weights (random+recalibrated, pretrained, or trained
digits models), the validated fp32 ONNX exports, and the fp16 / int8 artifacts derived from them
(with their calibration sets and calibration caches). Every method is memoized.
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

from accel.artifacts import calibration
from accel.zoo import digits
from accel.artifacts import export
from accel.zoo import models
from accel.artifacts import quantize
from accel.quality.accuracy import Accuracy, accuracy
from accel.inputs.augment import augmented_views
from accel.artifacts.cache import ArtifactCache, CacheEntry
from accel.quality.drift import measure_drift
from accel.errors import ArtifactError
from accel.inputs.images import EncodedImage, decode, image_source
from accel.matrix import DEFAULT_INPUT_SIZE, native_input_size
from accel.backends.tensorrt.engine import BuilderOptions, BuildPlan, build_engine, build_plan, engine_cache_fields, load_tensorrt
from accel.inputs.workloads import DigitsWorkload, LabelledFiles, PhotoWorkload, Workload

log = logging.getLogger(__name__)

BN_RECALIBRATION_VIEWS = 64
BN_RECALIBRATION_SEED = 1234
FP16_MIN_COSINE = 0.999  # sanity check before use; the drift gate holds the real thresholds


def _library_versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torchvision

    return {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
    }


def _save_state_dict(model: torch.nn.Module, path: Path) -> None:
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    path.write_bytes(buffer.getvalue())


def _load_state_dict(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


class ArtifactStore:
    """Builds or loads (from `cache`) everything a benchmark row needs."""

    def __init__(
        self,
        cache: ArtifactCache,
        weights: str = "random",
        images_dir: str | Path | None = None,
        on_bad_image: str = "fail",
        seed: int = models.DEFAULT_SEED,
        calib_method: str = calibration.DEFAULT_CALIB_METHOD,
        calib_size: int = calibration.DEFAULT_CALIB_SIZE,
        validation: LabelledFiles | None = None,
    ) -> None:
        calibration.validate_calib_options(calib_method, calib_size)
        self.cache = cache
        self.weights = models.validate_policy(weights)
        self.images_dir = images_dir
        self.on_bad_image = on_bad_image
        self.seed = seed
        self.calib_method = calib_method
        self.calib_size = calib_size
        self.validation = validation
        self._modules: dict[str, torch.nn.Module] = {}
        self._onnx: dict[tuple[str, int], CacheEntry] = {}
        self._derived: dict[tuple, CacheEntry] = {}
        self._workloads: dict[tuple[str, int], Workload] = {}
        self._references: dict[tuple[str, int], np.ndarray] = {}

    # ---- inputs -------------------------------------------------------------------------------
    @cached_property
    def images(self) -> list[EncodedImage]:
        return image_source(self.images_dir, self.on_bad_image)

    @cached_property
    def images_sha256(self) -> str:
        digest = hashlib.sha256()
        for image in self.images:
            digest.update(hashlib.sha256(image.data).digest())
        return digest.hexdigest()

    def workload(self, model: str, input_size: int | None = None) -> Workload:
        size = input_size or native_input_size(model)
        if (model, size) not in self._workloads:
            if model in digits.DIGITS_MODELS:
                self._workloads[(model, size)] = DigitsWorkload(model, size)
            else:
                self._workloads[(model, size)] = PhotoWorkload(model, size, self.images, self.validation)
        return self._workloads[(model, size)]

    # ---- weights ------------------------------------------------------------------------------
    def weights_label(self, model: str) -> str:
        """Short description of the weights, for the `weights` field of each record."""
        if model in digits.DIGITS_MODELS:
            return f"trained(seed={digits.TRAIN_SEED},sklearn-digits)"
        if self.weights == "pretrained":
            return f"pretrained:{models.pretrained_weights_enum(model).name}"
        return f"random(seed={self.seed},bn-recalibrated)"

    def weights_kind(self, model: str) -> str:
        """Key into the drift thresholds: random, pretrained or trained."""
        return "trained" if model in digits.DIGITS_MODELS else self.weights

    def torch_model(self, model: str) -> torch.nn.Module:
        """A private fp32 CPU copy of the model (callers may move or cast it)."""
        if model not in self._modules:
            self._modules[model] = self._load_model(model)
        return copy.deepcopy(self._modules[model])

    def _load_model(self, model: str) -> torch.nn.Module:
        if model in digits.DIGITS_MODELS:
            net = digits.build(model)
            entry = self.cache.get_or_build(
                "weights",
                {"model": model, "policy": "trained", "seed": digits.TRAIN_SEED, "epochs": digits.EPOCHS,
                 "hidden": digits.MLP_HIDDEN, **_library_versions()},
                build=lambda path: _save_state_dict(digits.train(model), path),
                suffix=".pt",
                check=_load_state_dict,
            )  # fmt: skip
            net.load_state_dict(_load_state_dict(entry.path))
            return net.eval()
        if self.weights == "pretrained":
            net = models.build_pretrained(model)
        else:
            net = models.build_random(model, self.seed)
            entry = self.cache.get_or_build(
                "weights",
                {"model": model, "policy": "random-bn-recalibrated", "seed": self.seed, "bn_views": BN_RECALIBRATION_VIEWS,
                 "bn_seed": BN_RECALIBRATION_SEED, "images_sha256": self.images_sha256, **_library_versions()},
                build=lambda path: self._build_recalibrated(model, net, path),
                suffix=".pt",
                check=_load_state_dict,
            )  # fmt: skip
            net.load_state_dict(_load_state_dict(entry.path))
            net.eval()
        with torch.inference_mode():
            batch = self.workload(model, DEFAULT_INPUT_SIZE).benchmark_inputs
            models.check_healthy_outputs(net(torch.from_numpy(batch)).numpy(), model)
        return net

    def _build_recalibrated(self, model: str, net: torch.nn.Module, path: Path) -> None:
        decoded = [decode(image) for image in self.images]
        views = augmented_views(decoded, BN_RECALIBRATION_VIEWS, DEFAULT_INPUT_SIZE, BN_RECALIBRATION_SEED)
        _save_state_dict(models.recalibrate_batchnorm(net, views), path)

    def reference_logits(self, model: str, input_size: int | None = None) -> np.ndarray:
        """FP32 torch logits on the evaluation set: the reference every drift is measured against."""
        size = input_size or native_input_size(model)
        if (model, size) not in self._references:
            net = self.torch_model(model)
            with torch.inference_mode():
                self._references[(model, size)] = net(torch.from_numpy(self.workload(model, size).eval_inputs)).numpy()
        return self._references[(model, size)]

    def reference_accuracy(self, model: str, input_size: int | None = None) -> Accuracy | None:
        """FP32 torch top-1/top-5 on the evaluation set, where it has labels."""
        labels = self.workload(model, input_size).eval_labels
        return accuracy(self.reference_logits(model, input_size), labels) if labels is not None else None

    # ---- ONNX artifacts ---------------------------------------------------------------------------
    def onnx_entry(self, model: str, input_size: int | None = None) -> CacheEntry:
        """The validated fp32 ONNX export (dynamic batch)."""
        size = input_size or native_input_size(model)
        if (model, size) not in self._onnx:
            net = self.torch_model(model)
            shape = (1, *self.workload(model, size).sample_shape)
            entry = self.cache.get_or_build(
                "onnx-fp32",
                {"model": model, "weights_sha256": models.state_dict_sha256(net), "input_shape": shape,
                 "opset": export.OPSET, "exporter": export.EXPORTER, **_library_versions()},
                build=lambda path: export.export_onnx(net, shape, path),
                suffix=".onnx",
                check=export.check_onnx,
            )  # fmt: skip
            self._check_against_torch(model, size, entry.path)
            self._onnx[(model, size)] = entry
        return self._onnx[(model, size)]

    def onnx_path(self, model: str, input_size: int | None = None) -> Path:
        return self.onnx_entry(model, input_size).path

    def _check_against_torch(self, model: str, size: int, path: Path) -> None:
        exported = _ort_cpu_logits(path, self.workload(model, size).eval_inputs)
        export.validate_export(self.reference_logits(model, size), exported, f"{model} ({path})")

    def precision_entry(self, model: str, input_size: int | None, precision: str, recipe: str | None = None) -> CacheEntry:
        """The ONNX artifact for `precision` (fp32, fp16, or int8 in `recipe`)."""
        if precision == "fp32":
            return self.onnx_entry(model, input_size)
        if precision == "fp16":
            return self._fp16_entry(model, input_size)
        if precision == "int8":
            if recipe not in quantize.RECIPES:
                raise ArtifactError(f"int8 needs a recipe ({', '.join(quantize.RECIPES)}); got {recipe!r}")
            return self._int8_entry(model, input_size, recipe)
        raise ArtifactError(f"no ONNX artifact for precision {precision!r}")

    def _derive(self, kind: str, fields: dict, build, suffix: str, check=None) -> CacheEntry:
        key = (kind, tuple(sorted((k, str(v)) for k, v in fields.items())))
        if key not in self._derived:
            self._derived[key] = self.cache.get_or_build(kind, fields, build, suffix, check)
        return self._derived[key]

    def _fp16_entry(self, model: str, input_size: int | None) -> CacheEntry:
        fp32 = self.onnx_entry(model, input_size)
        entry = self._derive(
            "onnx-fp16",
            {"model": model, "precision": "fp16", "fp32_sha256": fp32.meta["sha256"], "converter": quantize.FP16_CONVERTER,
             **_library_versions()},
            build=lambda path: quantize.convert_fp16(fp32.path, path),
            suffix=".onnx",
            check=export.check_onnx,
        )  # fmt: skip
        workload = self.workload(model, input_size)
        drift = measure_drift(self.reference_logits(model, workload.input_size), _ort_cpu_logits(entry.path, workload.eval_inputs))
        if drift.cosine_min < FP16_MIN_COSINE:
            raise ArtifactError(f"{model}: fp16 conversion broke the model: cosine_min {drift.cosine_min:.5f} < {FP16_MIN_COSINE}")
        return entry

    def calibration_entry(self, model: str, input_size: int | None = None) -> CacheEntry:
        """The calibration set as .npy (same preprocessing as inference), hashed in its metadata."""
        workload = self.workload(model, input_size)
        source = "sklearn-digits-train" if model in digits.DIGITS_MODELS else self.images_sha256
        entry = self._derive(
            "calib-data",
            {"model_family": "digits" if model in digits.DIGITS_MODELS else "photos", "model": model,
             "sample_shape": workload.sample_shape, "size": self.calib_size, "source": source},
            build=lambda path: calibration.save_npy(workload.calibration_inputs(self.calib_size), path),
            suffix=".npy",
            check=lambda path: calibration.check_calibration_set(
                calibration.load_calibration_set(path), workload.sample_shape, model, minimum=1),
        )  # fmt: skip
        calibration.check_calibration_set(calibration.load_calibration_set(entry.path), workload.sample_shape, model)
        return entry

    def _prepared_entry(self, model: str, input_size: int | None) -> CacheEntry:
        fp32 = self.onnx_entry(model, input_size)
        return self._derive(
            "onnx-qprep",
            {"model": model, "fp32_sha256": fp32.meta["sha256"], **_library_versions()},
            build=lambda path: quantize.prepare_for_quantization(fp32.path, path),
            suffix=".onnx",
            check=export.check_onnx,
        )

    def ranges_entry(self, model: str, input_size: int | None) -> CacheEntry | None:
        """The calibration cache (activation ranges) for the model, set and method; shared by recipes."""
        if not quantize.supports_calibration_cache():
            return None
        prepared = self._prepared_entry(model, input_size)
        calib = self.calibration_entry(model, input_size)
        return self._derive(
            "calib-ranges",
            {"model": model, "prepared_sha256": prepared.meta["sha256"], "calib_sha256": calib.meta["sha256"],
             "method": self.calib_method, **_library_versions()},
            build=lambda path: quantize.compute_ranges(
                prepared.path, calibration.load_calibration_set(calib.path), self.calib_method, path, export.INPUT_NAME),
            suffix=".json",
        )  # fmt: skip

    def engine_entry(
        self, model: str, input_size: int | None, precision: str, batch: int, mode: str, options: BuilderOptions
    ) -> tuple[CacheEntry, BuildPlan]:
        """A TensorRT engine for one batch size, built from the precision artifact (or fp32 + calibrator)."""
        trt, flavor = load_tensorrt()
        plan = build_plan(precision, mode, trt.__version__, flavor)
        recipe = "trt" if plan.artifact_precision == "int8" else None
        onnx_entry = self.precision_entry(model, input_size, plan.artifact_precision, recipe)
        if recipe:
            quantize.check_recipe(onnx_entry.meta["fields"]["recipe"], "tensorrt", "cuda")
        workload = self.workload(model, input_size)
        shape = (batch, *workload.sample_shape)
        gpu = torch.cuda.get_device_properties(0)
        calib = self.calibration_entry(model, input_size) if plan.calibrator else None
        fields = engine_cache_fields(
            onnx_entry.meta["sha256"], plan, precision, trt.__version__, flavor, gpu.name, f"{gpu.major}.{gpu.minor}",
            shape, options, calib.meta["sha256"] if calib else None,
        )  # fmt: skip
        folder = self.cache.root / "tensorrt"
        folder.mkdir(parents=True, exist_ok=True)
        timing_cache = folder / f"timing-{flavor}-{trt.__version__}-{gpu.name.replace(' ', '_')}.cache"
        calibration_cache = folder / f"calib-{model}-{calib.meta['sha256'][:16]}.cache" if calib else None
        entry = self._derive(
            "trt-engine",
            fields,
            build=lambda path: build_engine(
                onnx_entry.path, path, plan, export.INPUT_NAME, shape, options, timing_cache,
                calibration.load_calibration_set(calib.path) if calib else None, calibration_cache),
            suffix=".plan",
        )  # fmt: skip
        return entry, plan

    def _int8_entry(self, model: str, input_size: int | None, recipe: str) -> CacheEntry:
        prepared = self._prepared_entry(model, input_size)
        calib = self.calibration_entry(model, input_size)
        ranges = self.ranges_entry(model, input_size)
        min_weights = quantize.HEAVY_ONLY_MIN_WEIGHTS.get(model) if quantize.RECIPES[recipe].heavy_only else None
        nodes = quantize.heavy_nodes(prepared.path, min_weights) if min_weights else None
        return self._derive(
            "onnx-int8",
            {"model": model, "precision": "int8", "recipe": recipe, "prepared_sha256": prepared.meta["sha256"],
             "calib_sha256": calib.meta["sha256"], "method": self.calib_method, "heavy_only_min_weights": min_weights,
             **_library_versions()},
            build=lambda path: quantize.quantize_qdq(
                prepared.path, path, calibration.load_calibration_set(calib.path), self.calib_method, recipe,
                export.INPUT_NAME, ranges.path if ranges else None, nodes),
            suffix=".onnx",
            check=export.check_onnx,
        )  # fmt: skip


def _ort_cpu_logits(path: Path, inputs: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {export.INPUT_NAME: inputs})[0]
