"""Compare calibration methods and INT8 recipes by drift (and ORT CPU latency), to choose defaults
from measurements: `python -m accel compare-calibration`."""

from __future__ import annotations

from collections.abc import Sequence

from accel.artifacts import quantize
from accel.artifacts.store import ArtifactStore
from accel.artifacts.cache import ArtifactCache
from accel.artifacts.calibration import CALIB_METHODS
from accel.matrix import Combination
from accel.measure.evaluate import evaluate
from accel.backends.onnxruntime.runner import OnnxRuntimeRunner
from accel.measure.stats import Stats
from accel.measure.timing import time_calls


def time_p50_ms(runner: OnnxRuntimeRunner, batch, rounds: int = 100) -> float:
    inputs = runner.upload(batch)
    return Stats(time_calls(lambda: runner.infer(inputs), rounds, warmup=10)).p50


def compare(models: Sequence[str], methods: Sequence[str] = CALIB_METHODS, calib_size: int = 256) -> list[dict]:
    """One row per (model, method, recipe): drift against FP32 torch and ORT CPU p50 at batch 1."""
    rows = []
    cache = ArtifactCache()
    for model in models:
        for method in methods:
            store = ArtifactStore(cache, calib_method=method, calib_size=calib_size)
            workload = store.workload(model)
            fp32 = OnnxRuntimeRunner(Combination(model, "onnxruntime", "fp32", "cpu", 1, workload.input_size), store.onnx_path(model))
            fp32_p50 = time_p50_ms(fp32, workload.batch_of(1))
            for recipe in quantize.RECIPES:
                combo = Combination(model, "onnxruntime", "int8", "cpu", 1, workload.input_size)
                runner = OnnxRuntimeRunner(combo, store.precision_entry(model, None, "int8", recipe).path, recipe=recipe)
                quality = evaluate(runner, workload, store.reference_logits(model), "int8")
                rows.append(
                    {"model": model, "method": method, "recipe": recipe, "calib_size": calib_size,
                     "drift": quality.drift.as_dict(), "accuracy": quality.accuracy.as_dict() if quality.accuracy else None,
                     "ort_cpu_p50_ms": time_p50_ms(runner, workload.batch_of(1)), "fp32_ort_cpu_p50_ms": fp32_p50}
                )  # fmt: skip
    return rows


def markdown(rows: Sequence[dict]) -> str:
    lines = [
        "| Model | Method | Recipe | top-1 agree | cosine mean | cosine min | max abs | ORT CPU p50 int8 / fp32 (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        drift = row["drift"]
        lines.append(
            f"| {row['model']} | {row['method']} | {row['recipe']} | {drift['top1_agreement']:.3f} | {drift['cosine_mean']:.5f} | "
            f"{drift['cosine_min']:.5f} | {drift['max_abs']:.4g} | {row['ort_cpu_p50_ms']:.3f} / {row['fp32_ort_cpu_p50_ms']:.3f} |"
        )
    return "\n".join(lines) + "\n"
