"""How the fake executes a network (not TensorRT API): onnxruntime on the CPU, one session per
distinct ONNX model, and output shapes found by running the model once on zeros."""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
import onnxruntime

_sessions: dict[str, onnxruntime.InferenceSession] = {}


def session(onnx_bytes: bytes) -> onnxruntime.InferenceSession:
    """A CPU session for the model (raises what onnxruntime raises for a model it cannot run)."""
    key = hashlib.sha256(onnx_bytes).hexdigest()
    if key not in _sessions:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # tests share a small machine
        _sessions[key] = onnxruntime.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
    return _sessions[key]


def run(onnx_bytes: bytes, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    model = session(onnx_bytes)
    names = [output.name for output in model.get_outputs()]
    return dict(zip(names, model.run(names, inputs)))


@lru_cache(maxsize=64)
def _output_shapes(onnx_bytes: bytes, input_shapes: tuple[tuple[str, tuple[int, ...], str], ...]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    zeros = {name: np.zeros(shape, dtype=np.dtype(dtype)) for name, shape, dtype in input_shapes}
    return tuple((name, tuple(int(d) for d in value.shape)) for name, value in run(onnx_bytes, zeros).items())


def output_shapes(onnx_bytes: bytes, inputs: dict[str, tuple[tuple[int, ...], type]]) -> dict[str, tuple[int, ...]]:
    """Output shapes for inputs of these shapes and numpy types."""
    key = tuple(sorted((name, tuple(shape), np.dtype(dtype).str) for name, (shape, dtype) in inputs.items()))
    return dict(_output_shapes(onnx_bytes, key))
