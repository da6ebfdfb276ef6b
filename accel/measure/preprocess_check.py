"""A GPU preprocessing path checked against the PIL reference on the row's own runner, before the row
is timed: both paths preprocess the same JPEG bytes, the runner infers on both batches (and on the
yardstick's), and the quality stage judges the pixels and the logits (`accel.quality.preprocessing`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from accel.backends.base import Runner
from accel.inputs.gpu_preprocess import DevicePreprocess, create
from accel.inputs.images import EncodedImage
from accel.inputs.jpeg import JPEG_ENCODING, reencode_jpeg
from accel.inputs.workloads import Workload
from accel.matrix import DEFAULT_PREPROCESS, Combination
from accel.quality.drift import measure_drift
from accel.quality.preprocessing import PIXEL_TOLERANCES, YARDSTICK_QUALITY, PreprocessCheck, gate_preprocessing, pixel_difference


def compare_with_pil(runner: Runner, on_device: DevicePreprocess, workload: Workload, items: Sequence[EncodedImage]) -> tuple[PreprocessCheck, str]:
    """Every item through both paths, and through PIL once more re-encoded at the yardstick's JPEG
    quality, in batches of the runner's row batch (the last one filled by cycling, its extra
    outputs dropped); returns the check and the name of the worst item."""
    yardstick_items = [reencode_jpeg(item, YARDSTICK_QUALITY) for item in items]
    size = runner.combo.batch
    references, candidates = [], []
    logits: dict[str, list[np.ndarray]] = {"reference": [], "candidate": [], "yardstick": []}
    for start in range(0, len(items), size):
        picks = [(start + i) % len(items) for i in range(size)]
        keep = min(size, len(items) - start)
        reference = workload.preprocess([items[i] for i in picks])
        candidate = on_device(on_device.load([items[i] for i in picks]))
        runner.prepare(reference)
        logits["reference"].append(runner.download(runner.infer(runner.upload(reference)))[:keep])
        logits["candidate"].append(runner.download(runner.infer(runner.adopt(candidate)))[:keep])
        yardstick = workload.preprocess([yardstick_items[i] for i in picks])
        logits["yardstick"].append(runner.download(runner.infer(runner.upload(yardstick)))[:keep])
        references.append(reference[:keep])
        candidates.append(candidate[:keep].float().cpu().numpy())
    pixels = pixel_difference(np.concatenate(references), np.concatenate(candidates))
    reference_logits = np.concatenate(logits["reference"])
    drift = measure_drift(reference_logits, np.concatenate(logits["candidate"]))
    yardstick_drift = measure_drift(reference_logits, np.concatenate(logits["yardstick"]))
    check = PreprocessCheck(on_device.path, pixels, PIXEL_TOLERANCES[on_device.path], drift, yardstick_drift)
    return check, items[drift.worst_index].name


def checked_path(
    path: str, combo: Combination, runner: Runner, workload: Workload, items: Sequence[EncodedImage]
) -> tuple[DevicePreprocess, PreprocessCheck]:
    """The row's GPU `path` on the runner's stream, compared with PIL and gated (a failure fails the row)."""
    on_device = create(path, combo.input_size, combo.batch, runner.stream)
    check, worst = compare_with_pil(runner, on_device, workload, items)
    gate_preprocessing(check, combo.test_id, worst)
    return on_device, check


@dataclass(frozen=True)
class RowPreprocessing:
    """What an end-to-end row decodes (`items`), with what (`on_device`: None for the workload's own
    preprocessing), the check of a GPU path against PIL, and notes for the record."""

    items: Sequence[object]
    on_device: DevicePreprocess | None = None
    check: PreprocessCheck | None = None
    notes: Mapping[str, object] = field(default_factory=dict)

    def record(self) -> dict[str, object]:
        return {"preprocess_check": self.check.record()} if self.check is not None else {}


def row_preprocessing(combo: Combination, runner: Runner, workload: Workload, jpeg: bool) -> RowPreprocessing:
    """The row's path: the workload's own for digits and `pil` rows, else a GPU path checked and gated
    (`jpeg`: the run has a GPU path, so photos are served as JPEG to every path)."""
    items = workload.end_to_end_items(jpeg)
    if combo.preprocess is None:
        return RowPreprocessing(items)
    notes = {"images": JPEG_ENCODING if jpeg else "as given"}
    if combo.preprocess == DEFAULT_PREPROCESS:
        return RowPreprocessing(items, notes=notes | {"decode": "PIL (CPU)"})
    photos = cast(Sequence[EncodedImage], items)  # only photo rows have a path
    on_device, check = checked_path(combo.preprocess, combo, runner, workload, photos)
    return RowPreprocessing(items, on_device, check, notes | on_device.describe())
