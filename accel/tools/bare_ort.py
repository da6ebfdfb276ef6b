"""A bare ONNX Runtime loop timed outside pytest, to check the harness does not slow the runtime."""

from __future__ import annotations

from accel.artifacts.store import ArtifactStore
from accel.artifacts.cache import ArtifactCache
from accel.backends.onnxruntime.session import session_options
from accel.measure.stats import Stats
from accel.measure.timing import time_calls


def bare_onnxruntime_loop(model: str, batch: int, iters: int, warmup: int, threads: int | None) -> Stats:
    """p50/p99 of `session.run` alone on the same cached artifact and session options."""
    import onnxruntime

    store = ArtifactStore(ArtifactCache())
    session = onnxruntime.InferenceSession(
        str(store.onnx_path(model)), sess_options=session_options(threads), providers=["CPUExecutionProvider"]
    )
    feed = {session.get_inputs()[0].name: store.workload(model).batch_of(batch)}
    return Stats(time_calls(lambda: session.run(None, feed), iters, warmup))
