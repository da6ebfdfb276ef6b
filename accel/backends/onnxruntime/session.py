"""ONNX Runtime session and provider options shared by the runners, the profiler and the bare loop.

The tunable ones are the backend's knobs (`accel.matrix`, ONNX Runtime tuning space): the
defaults below are what the suite runs untuned.
"""

from __future__ import annotations

from collections.abc import Mapping

CUDNN_CONV_ALGO_SEARCH = "EXHAUSTIVE"
GRAPH_OPTIMIZATION_LEVELS = {"all": "ORT_ENABLE_ALL", "extended": "ORT_ENABLE_EXTENDED", "basic": "ORT_ENABLE_BASIC"}
EXECUTION_MODES = {"sequential": "ORT_SEQUENTIAL", "parallel": "ORT_PARALLEL"}


def physical_cores() -> int:
    import psutil

    return psutil.cpu_count(logical=False) or 1


def session_options(threads: int | None, knobs: Mapping[str, object] | None = None):
    """Graph optimisations (all unless `knobs` say otherwise), intra-op threads as given (None:
    ORT's default, one per core; a knob `intra_op_threads` other than 0 overrides), execution mode."""
    import onnxruntime

    knobs = knobs or {}
    options = onnxruntime.SessionOptions()
    level = GRAPH_OPTIMIZATION_LEVELS[str(knobs.get("graph_optimization_level", "all"))]
    options.graph_optimization_level = getattr(onnxruntime.GraphOptimizationLevel, level)
    options.execution_mode = getattr(onnxruntime.ExecutionMode, EXECUTION_MODES[str(knobs.get("execution_mode", "sequential"))])
    threads = int(str(knobs.get("intra_op_threads", 0))) or threads
    if threads:
        options.intra_op_num_threads = threads
    return options


def cuda_provider_options(stream_handle: int | None, cuda_graph: bool, knobs: Mapping[str, object] | None = None) -> dict[str, str]:
    """CUDA provider options: the conv algorithm search and NHWC preference from `knobs`."""
    knobs = knobs or {}
    options = {"device_id": "0", "cudnn_conv_algo_search": str(knobs.get("cudnn_conv_algo_search", CUDNN_CONV_ALGO_SEARCH))}
    if knobs.get("prefer_nhwc"):
        options["prefer_nhwc"] = "1"
    if stream_handle is not None:
        options["user_compute_stream"] = str(stream_handle)
    if cuda_graph:
        options["enable_cuda_graph"] = "1"
    return options
