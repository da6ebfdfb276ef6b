"""The smallest ONNX network the fake `tensorrt` tests need: known outputs, either float type."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper


def tiny_onnx(elem_type: int = 1, batch: str | int = "batch") -> bytes:
    """y = 2x + 1 over inputs [batch, 4] of ONNX element type `elem_type` (1 float32, 10 float16)."""
    dtype = {1: np.float32, 10: np.float16}[elem_type]
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["twice"]), helper.make_node("Add", ["twice", "one"], ["y"])],
        "tiny",
        [helper.make_tensor_value_info("x", elem_type, [batch, 4])],
        [helper.make_tensor_value_info("y", elem_type, [batch, 4])],
        [numpy_helper.from_array(np.array(2, dtype=dtype), "two"), numpy_helper.from_array(np.array(1, dtype=dtype), "one")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    onnx.checker.check_model(model)
    return model.SerializeToString()
