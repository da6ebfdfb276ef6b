"""Per-operator time of an ONNX Runtime session, from ORT's own profiler.

Used to explain why a quantized graph is slower than fp32 (e.g. Q/DQ pairs around ops that
have no int8 kernel) rather than guessing.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from accel.artifacts.export import INPUT_NAME


def kernel_events(onnx_path: str | Path, feed: dict[str, np.ndarray], providers: list, runs: int = 1,
                  threads: int | None = None) -> list[dict]:  # fmt: skip
    """The per-node kernel events of `runs` profiled runs (each has op_name, provider, dur in µs)."""
    import onnxruntime

    from accel.backends.onnxruntime.session import session_options

    options = session_options(threads)
    options.enable_profiling = True
    with tempfile.TemporaryDirectory() as tmp:
        options.profile_file_prefix = os.path.join(tmp, "ort")
        session = onnxruntime.InferenceSession(str(onnx_path), sess_options=options, providers=providers)
        for _ in range(runs):
            session.run(None, feed)
        events = json.loads(Path(session.end_profiling()).read_text())
    return [e for e in events if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time")]


def profile_by_op_type(onnx_path: str | Path, feed: dict[str, np.ndarray], runs: int = 50, threads: int | None = None) -> dict[str, float]:
    """Mean milliseconds per run spent in each operator type (kernel time, all nodes of that type)."""
    totals: dict[str, float] = defaultdict(float)
    for event in kernel_events(onnx_path, feed, ["CPUExecutionProvider"], runs, threads):
        totals[event["args"]["op_name"]] += event["dur"] / 1000.0 / runs
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


@functools.lru_cache(maxsize=None)
def _placement_cached(onnx_path: str, sample_shape: tuple[int, ...], providers: tuple) -> dict[str, Counter]:
    feed = {INPUT_NAME: np.zeros((1, *sample_shape), dtype=np.float32)}
    return _node_placement(onnx_path, feed, [p if isinstance(p, str) else (p[0], dict(p[1])) for p in providers])


def node_placement(onnx_path: str | Path, sample_shape: tuple[int, ...], providers: list) -> dict[str, Counter]:
    """Which execution provider ran each operator type, from one profiled run at batch 1:
    {provider: Counter(op)}. Placement does not depend on batch size, so it is memoized per file."""
    frozen = tuple(p if isinstance(p, str) else (p[0], tuple(sorted(p[1].items()))) for p in providers)
    return _placement_cached(str(onnx_path), tuple(sample_shape), frozen)


def _node_placement(onnx_path: str | Path, feed: dict[str, np.ndarray], providers: list) -> dict[str, Counter]:
    placement: dict[str, Counter] = defaultdict(Counter)
    for event in kernel_events(onnx_path, feed, providers):
        if "provider" in event.get("args", {}):
            placement[event["args"]["provider"]][event["args"]["op_name"]] += 1
    return dict(placement)
