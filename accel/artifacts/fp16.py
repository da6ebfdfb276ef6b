"""FP16 conversion of fp32 ONNX artifacts.

It uses ONNX Runtime's own converter (`onnxruntime.transformers.float16`, shipped in both the CPU
and GPU wheels, so no extra dependency) with float32 inputs/outputs kept, so callers feed the same
tensors at every precision.
"""

from __future__ import annotations

from pathlib import Path

import onnx

from accel.artifacts.deps import require
from accel.errors import ArtifactError

FP16_CONVERTER = "onnxruntime.transformers.float16(keep_io_types=True)"


def topologically_sorted(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """Nodes in an order where every input is produced before use (Kahn's algorithm, stable)."""
    available = {i.name for i in graph.input} | {i.name for i in graph.initializer} | {""}
    pending = list(graph.node)
    ordered: list[onnx.NodeProto] = []
    while pending:
        ready = [node for node in pending if all(name in available for name in node.input)]
        if not ready:
            raise ArtifactError(f"graph has a cycle or a dangling input near node {pending[0].name!r}")
        for node in ready:
            ordered.append(node)
            available.update(node.output)
        pending = [node for node in pending if node not in ready]
    return ordered


def convert_fp16(source: Path, destination: Path) -> None:
    """fp32 ONNX -> fp16 weights and activations, fp32 graph inputs and outputs.

    The converter appends its input casts at the end of the node list; we re-sort so the file
    passes onnx.checker (ONNX requires topological order)."""
    float16 = require("onnxruntime.transformers.float16", "the fp16 ONNX artifact")
    model = float16.convert_float_to_float16(onnx.load(str(source)), keep_io_types=True)
    nodes = topologically_sorted(model.graph)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.save(model, str(destination))
