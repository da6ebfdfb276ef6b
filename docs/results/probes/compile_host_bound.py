"""Is a small-batch torch.compile row bound by the host's work per call? The H200 rows cannot say:
their CUDA-event and wall p50 agree, because a GPU waiting for the next launch still counts. So per
row, through the suite's own runner (default config, compiled as the suite compiles it):

- `wall_ms`: enqueue one call and wait for it (what a row times);
- `host_ms`: the same call until it returns to Python, before the wait (launching its kernels or
  replaying its graph; the GPU may still be working);
- `pipelined_ms`: 100 calls enqueued back to back, then one wait, per call: the host never waits,
  so this is whichever of the two, host or GPU, is slower.

`host_ms` close to `wall_ms` (and `pipelined_ms` close to `host_ms`) means the GPU finishes about
when the host has launched the work: the host sets the time. Medians of 300 calls after 20 warm ones.

    python docs/results/probes/compile_host_bound.py [--device cpu]   # writes compile_host_bound.json beside itself
"""

import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np

from accel.artifacts.cache import ArtifactCache
from accel.artifacts.store import ArtifactStore
from accel.backends.registry import create_runner
from accel.matrix import Combination, native_input_size
from accel.measure.sysinfo import collect

ROWS_CUDA = (
    ("resnet18", "torch-compile", "fp32", 1),
    ("resnet18", "torch-compile", "fp16", 1),
    ("resnet18", "torch-compile", "bf16", 1),
    ("resnet18", "torch-compile", "fp16", 256),
    ("resnet18", "torch-compile-cudagraph", "fp16", 1),
    ("resnet18", "torch-cudagraph", "fp16", 1),
    ("mobilenet_v3_small", "torch-compile", "fp16", 1),
    ("mobilenet_v3_small", "torch-compile", "fp16", 256),
)
ROWS_CPU = (("digits_mlp", "torch-compile", "fp32", 1), ("digits_mlp", "torch", "fp32", 1))  # the mechanics, on a machine without a GPU
WARM, CALLS, PIPELINED = 20, 300, 100


def measure(store: ArtifactStore, combo: Combination) -> dict:
    runner = create_runner(combo, store)
    try:
        batch = store.workload(combo.model, combo.input_size).batch_of(combo.batch)
        started = time.perf_counter()
        runner.prepare(batch)
        prepare_s = time.perf_counter() - started
        inputs = runner.upload(batch)
        for _ in range(WARM):
            runner.infer(inputs)
        host, wall = [], []
        for _ in range(CALLS):
            runner.synchronize()
            t0 = time.perf_counter()
            runner.enqueue(inputs)
            t1 = time.perf_counter()
            runner.synchronize()
            t2 = time.perf_counter()
            host.append(t1 - t0)
            wall.append(t2 - t0)
        runner.synchronize()
        t0 = time.perf_counter()
        for _ in range(PIPELINED):
            runner.enqueue(inputs)
        runner.synchronize()
        pipelined = (time.perf_counter() - t0) / PIPELINED
    finally:
        runner.close()
    wall_ms, host_ms = float(np.median(wall)) * 1e3, float(np.median(host)) * 1e3
    return {"row": combo.test_id, "prepare_s": round(prepare_s, 2), "wall_ms": wall_ms, "host_ms": host_ms,
            "host_share": host_ms / wall_ms, "pipelined_ms": pipelined * 1e3}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    device = parser.parse_args().device
    store = ArtifactStore(ArtifactCache())
    rows = []
    for model, backend, precision, batch in ROWS_CUDA if device == "cuda" else ROWS_CPU:
        rows.append(measure(store, Combination(model, backend, precision, device, batch, native_input_size(model))))
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in rows[-1].items()}), flush=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True).stdout.strip())
    command = "python docs/results/probes/compile_host_bound.py" + (" --device cpu" if device == "cpu" else "")
    out = Path(__file__).with_name("compile_host_bound.json" if device == "cuda" else "compile_host_bound-cpu.json")
    out.write_text(json.dumps({"command": command, "commit": commit, "dirty": dirty, "rows": rows, "machine_info": collect()}, indent=1) + "\n")


if __name__ == "__main__":
    main()
