"""The INT8 lineage: calibration set, quantization-ready fp32 model, activation ranges, and the QDQ
model per recipe. Each key holds every option that changes its file, so no stale file is reused."""

from __future__ import annotations

from dataclasses import asdict

from accel.artifacts import calibration, export, quantize, ranges
from accel.artifacts.cache import CacheEntry
from accel.artifacts.deps import versions
from accel.artifacts.memo import MemoCache
from accel.artifacts.precision import OnnxArtifacts
from accel.artifacts.workset import Workset
from accel.errors import ArtifactError
from accel.inputs import color
from accel.matrix import DIGITS_MODELS


def int8_fields(
    model: str, recipe: str, prepared: CacheEntry, calib: CacheEntry, ranges_entry: CacheEntry | None,
    calib_method: str, calib_size: int, min_weights: int | None, options: dict[str, object],
) -> dict[str, object]:  # fmt: skip
    """Key of a QDQ model: its parents, the whole recipe, the node selection and every quantizer option."""
    recipe_fields = asdict(quantize.RECIPES[recipe])
    del recipe_fields["name"]
    return {
        "model": model, "precision": "int8", "recipe": recipe, "recipe_fields": recipe_fields,
        "heavy_only_min_weights": min_weights, "quantize_options": options, "prepared_sha256": prepared.meta["sha256"],
        "calib_sha256": calib.meta["sha256"], "calib_method": calib_method, "calib_size": calib_size,
        "ranges_sha256": ranges_entry.meta["sha256"] if ranges_entry else None, "reader_batch": ranges.READER_BATCH,
        **versions("onnxruntime", "onnx"),
    }  # fmt: skip


class Int8Artifacts:
    """Calibration data, ranges and QDQ models for one calibration method and size."""

    def __init__(self, memo: MemoCache, workset: Workset, onnx: OnnxArtifacts, calib_method: str, calib_size: int) -> None:
        calibration.validate_calib_options(calib_method, calib_size)
        self.memo = memo
        self.workset = workset
        self.onnx = onnx
        self.calib_method = calib_method
        self.calib_size = calib_size

    def calibration_entry(self, model: str, input_size: int | None = None) -> CacheEntry:
        """The calibration set as .npy (same preprocessing as inference), hashed in its metadata; photo
        sets are keyed on the decoder version too, since their hash is of the encoded bytes."""
        workload = self.workset.workload(model, input_size)
        digits = model in DIGITS_MODELS
        entry = self.memo.get_or_build(
            "calib-data",
            {"model_family": "digits" if digits else "photos", "model": model, "sample_shape": workload.sample_shape,
             "size": self.calib_size, "source": "sklearn-digits-train" if digits else self.workset.images_sha256,
             "decoder_version": None if digits else color.DECODER_VERSION},
            lambda path: calibration.save_npy(workload.calibration_inputs(self.calib_size), path),
            ".npy",
            lambda path: calibration.check_calibration_set(
                calibration.load_calibration_set(path), workload.sample_shape, model, minimum=1),
        )  # fmt: skip
        calibration.check_calibration_set(calibration.load_calibration_set(entry.path), workload.sample_shape, model)
        return entry

    def prepared_entry(self, model: str, input_size: int | None = None) -> CacheEntry:
        """The fp32 export after ORT's shape inference and graph optimisation."""
        fp32 = self.onnx.fp32_entry(model, input_size)
        return self.memo.get_or_build(
            "onnx-qprep",
            {"model": model, "fp32_sha256": fp32.meta["sha256"], **versions("onnxruntime", "onnx")},
            lambda path: quantize.prepare_for_quantization(fp32.path, path),
            ".onnx",
            export.check_onnx,
        )

    def ranges_entry(self, model: str, input_size: int | None = None) -> CacheEntry | None:
        """The activation ranges for the model, set and method; shared by every recipe."""
        if not ranges.supports_calibration_cache():
            return None
        prepared = self.prepared_entry(model, input_size)
        calib = self.calibration_entry(model, input_size)
        return self.memo.get_or_build(
            "calib-ranges",
            {"model": model, "prepared_sha256": prepared.meta["sha256"], "calib_sha256": calib.meta["sha256"],
             "method": self.calib_method, "chunk": ranges.CALIBRATION_CHUNK, "reader_batch": ranges.READER_BATCH,
             **versions("onnxruntime")},
            lambda path: ranges.compute_ranges(
                prepared.path, calibration.load_calibration_set(calib.path), self.calib_method, path, export.INPUT_NAME),
            ".json",
        )  # fmt: skip

    def int8_entry(self, model: str, input_size: int | None, recipe: str) -> CacheEntry:
        """The QDQ model in `recipe`."""
        if recipe not in quantize.RECIPES:
            raise ArtifactError(f"int8 needs a recipe ({', '.join(quantize.RECIPES)}); got {recipe!r}")
        prepared = self.prepared_entry(model, input_size)
        calib = self.calibration_entry(model, input_size)
        ranges_entry = self.ranges_entry(model, input_size)
        min_weights = quantize.HEAVY_ONLY_MIN_WEIGHTS.get(model) if quantize.RECIPES[recipe].heavy_only else None
        nodes = quantize.heavy_nodes(prepared.path, min_weights) if min_weights else None
        options = quantize.qdq_options(recipe, self.calib_method, nodes)
        return self.memo.get_or_build(
            "onnx-int8",
            int8_fields(model, recipe, prepared, calib, ranges_entry, self.calib_method, self.calib_size, min_weights, options),
            lambda path: quantize.quantize_qdq(
                prepared.path, path, calibration.load_calibration_set(calib.path), options, export.INPUT_NAME,
                ranges_entry.path if ranges_entry else None),
            ".onnx",
            export.check_onnx,
        )  # fmt: skip
