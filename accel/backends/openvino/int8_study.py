"""Which INT8 model should OpenVINO run? Measures, on the same calibration set, the shared QDQ
artifacts (every recipe) against NNCF post-training quantization, beside fp32 and ONNX Runtime:
drift against the FP32 torch reference and batch-1 p50, timed round-robin in blocks so load from
other processes on a shared machine falls on every variant alike. The result chose the suite's
recipe (docs/openvino.md):

    python -m accel.backends.openvino.int8_study --models resnet18,digits_mlp --out study.json

NNCF (`pip install nncf`) is needed only here, not by the backend.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from accel.artifacts import quantize
from accel.artifacts.cache import ArtifactCache
from accel.artifacts.calibration import load_calibration_set
from accel.artifacts.store import ArtifactStore
from accel.backends.base import Runner
from accel.backends.onnxruntime.runner import OnnxRuntimeRunner
from accel.backends.openvino.plugin import compile_config
from accel.backends.openvino.runner import OpenVinoRunner
from accel.matrix import Combination
from accel.measure import sysinfo
from accel.measure.evaluate import evaluate
from accel.measure.stats import Stats
from accel.measure.timing import now_ns

BLOCK = 25  # rounds per variant per turn
NNCF_VARIANTS = {  # name: (overflow fix, preset)
    "nncf": ("ENABLE", "PERFORMANCE"),
    "nncf-first-layer-fix": ("FIRST_LAYER", "PERFORMANCE"),
    "nncf-mixed": ("ENABLE", "MIXED"),
}


def nncf_ir(store: ArtifactStore, model: str, overflow_fix: str, preset: str, destination: Path) -> tuple[Path, float]:
    """NNCF PTQ of the fp32 export on the suite's calibration set (all of it); IR path and seconds."""
    import nncf
    import openvino

    calibration = load_calibration_set(store.calibration_entry(model).path)
    start = time.perf_counter()
    quantized = nncf.quantize(
        openvino.Core().read_model(str(store.onnx_path(model))),
        nncf.Dataset([calibration[i : i + 1] for i in range(len(calibration))]),
        preset=nncf.QuantizationPreset[preset],
        target_device=nncf.TargetDevice.CPU,
        subset_size=len(calibration),
        advanced_parameters=nncf.AdvancedQuantizationParameters(overflow_fix=nncf.OverflowFix[overflow_fix]),
    )
    seconds = time.perf_counter() - start
    openvino.save_model(quantized, str(destination))
    return destination, seconds


def variants(store: ArtifactStore, model: str, work: Path) -> dict[str, tuple[Runner, dict]]:
    """Every candidate runner of `model`, with what describes how it was made."""
    size = store.workload(model).input_size
    combo = {p: Combination(model, "openvino", p, "cpu", 1, size) for p in ("fp32", "int8")}
    found: dict[str, tuple[Runner, dict]] = {
        "openvino fp32": (OpenVinoRunner(combo["fp32"], store.onnx_path(model), compile_config("fp32", None)), {})
    }
    for recipe in quantize.RECIPES:
        path = store.precision_entry(model, None, "int8", recipe).path
        found[f"openvino qdq {recipe}"] = (OpenVinoRunner(combo["int8"], path, compile_config("int8", None)), {"recipe": recipe})
    for name, (overflow_fix, preset) in NNCF_VARIANTS.items():
        path, seconds = nncf_ir(store, model, overflow_fix, preset, work / f"{model}-{name}.xml")
        made = {"overflow_fix": overflow_fix, "preset": preset, "quantize_s": round(seconds, 1)}
        found[f"openvino {name}"] = (OpenVinoRunner(combo["int8"], path, compile_config("int8", None)), made)
    ort_recipe = quantize.recipe_for("onnxruntime", "cpu")
    ort = {p: Combination(model, "onnxruntime", p, "cpu", 1, size) for p in ("fp32", "int8")}
    found["onnxruntime fp32"] = (OnnxRuntimeRunner(ort["fp32"], store.onnx_path(model)), {})
    int8_path = store.precision_entry(model, None, "int8", ort_recipe).path
    ort_int8 = OnnxRuntimeRunner(ort["int8"], int8_path, recipe=ort_recipe)
    found[f"onnxruntime int8 {ort_recipe}"] = (ort_int8, {"recipe": ort_recipe})
    return found


def interleaved_latency(targets: Mapping[str, Callable[[], object]], rounds: int, warmup: int = 20) -> dict[str, Stats]:
    """Latency of each target, run in turns of BLOCK rounds until each has `rounds`."""
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for target in targets.values():
        for _ in range(warmup):
            target()
    for _ in range(-(-rounds // BLOCK)):
        for name, target in targets.items():
            for _ in range(BLOCK):
                start = now_ns()
                target()
                samples[name].append((now_ns() - start) * 1e-9)
    return {name: Stats(values) for name, values in samples.items()}


def study_model(store: ArtifactStore, model: str, rounds: int, work: Path) -> list[dict]:
    """One row per variant: drift and accuracy on the evaluation set, p50/p90 at batch 1."""
    workload, reference = store.workload(model), store.reference_logits(model)
    candidates = variants(store, model, work)
    rows, targets = [], {}
    for name, (runner, made) in candidates.items():
        quality = evaluate(runner, workload, reference, runner.combo.precision)
        batch = workload.batch_of(1)
        runner.prepare(batch)
        inputs = runner.upload(batch)
        targets[name] = lambda runner=runner, inputs=inputs: runner.infer(inputs)
        rows.append({
            "model": model, "variant": name, **made, "notes": runner.describe(),
            "drift": quality.drift.as_dict() if quality.drift else None,
            "accuracy": quality.accuracy.as_dict() if quality.accuracy else None,
        })  # fmt: skip
    latency = interleaved_latency(targets, rounds)
    for row in rows:
        stats = latency[row["variant"]]
        row["latency_ms"] = {"p50": stats.p50, "p90": stats.p90, "n": len(stats.samples_ms)}
    for runner, _ in candidates.values():
        runner.close()
    return rows


def markdown(rows: Sequence[dict]) -> str:
    lines = [
        "| model | variant | p50 ms | p90 ms | top-1 agree | cosine mean | cosine min | top-1 (digits) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        drift, accuracy, latency = row["drift"], row["accuracy"], row["latency_ms"]
        agreement = "– | – | –"
        if drift:
            agreement = f"{drift['top1_agreement']:.3f} | {drift['cosine_mean']:.5f} | {drift['cosine_min']:.5f}"
        top1 = f"{accuracy['top1']:.3f}" if accuracy else "–"
        timing = f"{latency['p50']:.4f} | {latency['p90']:.4f}"
        lines.append(f"| {row['model']} | {row['variant']} | {timing} | {agreement} | {top1} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="resnet18,digits_mlp,digits_cnn")
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--out", type=Path, required=True, help="JSON file; a markdown table is written beside it (.md)")
    args = parser.parse_args(argv)
    store = ArtifactStore(ArtifactCache())
    with tempfile.TemporaryDirectory(prefix="accel-openvino-nncf-") as work:
        rows = [row for model in args.models.split(",") for row in study_model(store, model, args.rounds, Path(work))]
    versions = {name: importlib.metadata.version(name) for name in ("openvino", "nncf", "onnxruntime")}
    result = {"command": " ".join(["python -m accel.backends.openvino.int8_study", *sys.argv[1:]]),
              "machine_info": sysinfo.collect(), "versions": versions, "rows": rows}  # fmt: skip
    args.out.write_text(json.dumps(result, indent=1))
    args.out.with_suffix(".md").write_text(markdown(rows))
    print(markdown(rows))


if __name__ == "__main__":
    main()
