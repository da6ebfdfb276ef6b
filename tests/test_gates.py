"""The quality verdict of a row (arrays in, verdicts out) and the runner-driving step that feeds it."""

import ast
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from accel.measure.evaluate import evaluate, run_in_batches
from accel.quality.accuracy import Accuracy
from accel.quality.drift import DriftGateError, DriftThreshold
from accel.quality.gates import assess, enforce

QUALITY_PACKAGE = Path(__file__).resolve().parents[1] / "accel" / "quality"
THRESHOLDS_FILE = "benchmarks/drift_thresholds.toml"
LABELS = np.array([0, 1, 2, 3])
REFERENCE = np.eye(4) * 4.0  # top-1 is the label on every row
NAMES = ["digit #0", "digit #1", "digit #2", "digit #3"]


def candidate_with_row_2_wrong() -> np.ndarray:
    candidate = REFERENCE + 0.01
    candidate[2] = [0.0, 0.0, 1.0, 3.0]  # the least similar row, and top-1 now 3 instead of 2
    return candidate


def test_assess_scores_the_candidate_and_names_its_worst_input():
    quality = assess(candidate_with_row_2_wrong(), LABELS, REFERENCE, "int8", NAMES)
    assert quality.drift.top1_agreement == 0.75 and quality.drift.worst_index == 2
    assert quality.worst_input == "digit #2"
    assert quality.accuracy == Accuracy(top1=0.75, top5=1.0, n=4)
    assert set(quality.record()) == {"drift", "accuracy"}


def test_fp32_row_has_accuracy_but_no_drift_and_needs_no_threshold():
    quality = assess(REFERENCE.copy(), LABELS, REFERENCE, "fp32", NAMES)
    assert quality.drift is None and quality.worst_input == "" and quality.accuracy.top1 == 1.0
    enforce(quality, None, quality.accuracy, "fp32", "digits_mlp-torch-fp32-cpu-b1", THRESHOLDS_FILE)


def test_lower_precision_row_without_threshold_fails_naming_the_file():
    quality = assess(candidate_with_row_2_wrong(), LABELS, REFERENCE, "fp16", NAMES)
    with pytest.raises(DriftGateError) as info:
        enforce(quality, None, None, "fp16", "digits_mlp-onnxruntime-fp16-cpu-b1", THRESHOLDS_FILE)
    assert "digits_mlp-onnxruntime-fp16-cpu-b1" in str(info.value) and THRESHOLDS_FILE in str(info.value)


def test_row_identical_to_fp32_fails_through_enforce():
    quality = assess(REFERENCE.copy(), LABELS, REFERENCE, "int8", NAMES)
    with pytest.raises(DriftGateError, match="FP32 model ran"):
        enforce(quality, DriftThreshold(cosine_min=0.9, source="unit"), quality.accuracy, "int8", "row", THRESHOLDS_FILE)


def test_int8_row_keeps_99_percent_of_fp32_top1():
    quality = assess(candidate_with_row_2_wrong(), LABELS, REFERENCE, "int8", NAMES)
    loose = DriftThreshold(top1_agreement=0.5, source="unit")
    enforce(quality, loose, Accuracy(top1=0.75, top5=1.0, n=4), "int8", "same-top1", THRESHOLDS_FILE)
    with pytest.raises(DriftGateError, match="top-1 0.7500 < 0.99 x FP32 top-1 0.7600"):  # 0.98 x 0.76 would pass
        enforce(quality, loose, Accuracy(top1=0.76, top5=1.0, n=4), "int8", "row", THRESHOLDS_FILE)


class RowScaler:
    """A runner double whose logits are its inputs x 2, recording the batch sizes it was given."""

    def __init__(self, batch: int, per_batch: bool) -> None:
        self.combo = SimpleNamespace(batch=batch, config=())
        self.per_batch = per_batch
        self.sizes: list[int] = []

    def run(self, batch: np.ndarray) -> np.ndarray:
        self.sizes.append(len(batch))
        return batch * 2.0


@pytest.mark.parametrize(("per_batch", "sizes"), [(True, [4, 4, 4]), (False, [10])])
def test_run_in_batches_pads_only_fixed_batch_runners_and_drops_the_padding(per_batch, sizes):
    inputs = np.arange(10.0)[:, None]
    runner = RowScaler(batch=4, per_batch=per_batch)
    np.testing.assert_array_equal(run_in_batches(runner, inputs, batch=16), inputs * 2.0)
    assert runner.sizes == sizes


def test_evaluate_hands_the_runners_logits_and_the_workloads_names_to_assess():
    workload = SimpleNamespace(
        eval_inputs=candidate_with_row_2_wrong() / 2.0, eval_labels=LABELS, eval_name=lambda index: NAMES[index]
    )
    quality = evaluate(RowScaler(batch=1, per_batch=False), workload, REFERENCE, "int8")
    assert quality == assess(candidate_with_row_2_wrong(), LABELS, REFERENCE, "int8", NAMES)


def test_quality_package_imports_no_runner():
    """Design rule: quality judges arrays; driving runners is measure/evaluate.py's job."""
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name) or ""
        for module in QUALITY_PACKAGE.glob("*.py")
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert not {name for name in imported if name.startswith(("accel.backends", "accel.measure"))}
