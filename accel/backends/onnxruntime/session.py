"""ONNX Runtime session and provider options shared by the runners, the profiler and the bare loop."""

from __future__ import annotations

CUDNN_CONV_ALGO_SEARCH = "EXHAUSTIVE"


def physical_cores() -> int:
    import psutil

    return psutil.cpu_count(logical=False) or 1


def session_options(threads: int | None):
    """All graph optimisations on; intra-op threads as given (None: ORT's default, one per core)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
    return options


def cuda_provider_options(stream_handle: int | None, cuda_graph: bool) -> dict[str, str]:
    options = {"device_id": "0", "cudnn_conv_algo_search": CUDNN_CONV_ALGO_SEARCH}
    if stream_handle is not None:
        options["user_compute_stream"] = str(stream_handle)
    if cuda_graph:
        options["enable_cuda_graph"] = "1"
    return options
