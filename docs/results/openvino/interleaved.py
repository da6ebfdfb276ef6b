"""Probe for docs/openvino.md: the suite's OpenVINO rows (fp32, bf16, int8) beside ONNX Runtime's
(fp32, int8), timed in turns of 25 rounds per variant (the INT8 study's `interleaved_latency`) so
load from other jobs on the shared machine falls on every variant alike. Same runners, configs and
artifacts as the suite rows (`--threads` unset). Not part of the suite; run from the repo root:

    python docs/results/openvino/interleaved.py --out docs/results/openvino/interleaved.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from accel.artifacts import quantize
from accel.artifacts.cache import ArtifactCache
from accel.artifacts.store import ArtifactStore
from accel.backends.onnxruntime.runner import OnnxRuntimeRunner
from accel.backends.openvino.int8_study import interleaved_latency
from accel.backends.openvino.plugin import compile_config
from accel.backends.openvino.runner import OpenVinoRunner
from accel.matrix import Combination
from accel.measure import sysinfo


def runners(store: ArtifactStore, model: str, batch: int) -> dict:
    size = store.workload(model).input_size
    found = {}
    for precision in ("fp32", "bf16", "int8"):
        combo = Combination(model, "openvino", precision, "cpu", batch, size)
        recipe = quantize.recipe_for("openvino", "cpu") if precision == "int8" else None
        path = store.precision_entry(model, None, "int8", recipe).path if recipe else store.onnx_path(model)
        found[f"openvino {precision}"] = OpenVinoRunner(combo, path, compile_config(precision, None), recipe)
    for precision in ("fp32", "int8"):
        combo = Combination(model, "onnxruntime", precision, "cpu", batch, size)
        recipe = quantize.recipe_for("onnxruntime", "cpu") if precision == "int8" else None
        path = store.precision_entry(model, None, "int8", recipe).path if recipe else store.onnx_path(model)
        found[f"onnxruntime {precision}" + (f" {recipe}" if recipe else "")] = OnnxRuntimeRunner(combo, path, recipe=recipe)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", default="resnet18:1:200,mobilenet_v3_small:1:200,efficientnet_b0:1:200,digits_mlp:1:400,"
                        "resnet18:8:50,efficientnet_b0:8:50")  # model:batch:rounds
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    store = ArtifactStore(ArtifactCache())
    rows = []
    for item in args.plan.split(","):
        model, batch, rounds = item.split(":")
        found = runners(store, model, int(batch))
        targets = {}
        for name, runner in found.items():
            data = store.workload(model).batch_of(int(batch))
            runner.prepare(data)
            inputs = runner.upload(data)
            targets[name] = lambda runner=runner, inputs=inputs: runner.infer(inputs)
        load_before = os.getloadavg()[0]
        stats = interleaved_latency(targets, int(rounds))
        load_after = os.getloadavg()[0]
        for name, runner in found.items():
            rows.append({"model": model, "batch": int(batch), "variant": name, "notes": runner.describe(),
                         "latency_ms": {"p50": stats[name].p50, "p90": stats[name].p90, "n": len(stats[name].samples_ms)},
                         "loadavg_1m": [round(load_before, 2), round(load_after, 2)]})
            runner.close()
        for row in rows[-len(found):]:
            print(f"{model} b{batch} {row['variant']}: p50 {row['latency_ms']['p50']:.4f} ms, p90 {row['latency_ms']['p90']:.4f}")
    commit = subprocess.run(["git", "describe", "--dirty", "--always", "--long", "--abbrev=40"], capture_output=True, text=True).stdout.strip()
    result = {"command": " ".join(["python", *sys.argv]), "commit": commit, "machine_info": sysinfo.collect(), "rows": rows}
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
