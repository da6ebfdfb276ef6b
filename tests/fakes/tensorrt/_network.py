"""INetworkDefinition and OnnxParser: parsing keeps the ONNX model as the network, after checking
it as TensorRT's parser would refuse it (unreadable, invalid, or an operator it cannot run)."""

from __future__ import annotations

import weakref
from enum import IntEnum

import onnx

from ._enums import ONNX_TYPES, DataType, Dims, NetworkDefinitionCreationFlag
from ._logger import ILogger
from ._version import major
from .onnx_exec import session


class ErrorCode(IntEnum):
    SUCCESS = 0
    INTERNAL_ERROR = 1
    MEM_ALLOC_FAILED = 2
    MODEL_DESERIALIZE_FAILED = 3
    INVALID_VALUE = 4
    INVALID_GRAPH = 5
    INVALID_NODE = 6
    UNSUPPORTED_GRAPH = 7
    UNSUPPORTED_NODE = 8


class ParserError:
    def __init__(self, code: ErrorCode, desc: str) -> None:
        self._code, self._desc = code, desc

    def code(self) -> ErrorCode:
        return self._code

    def desc(self) -> str:
        return self._desc

    def __str__(self) -> str:
        return f"In node -1 (parseGraph): {self._code.name}: {self._desc}"


class ITensor:
    def __init__(self, name: str, shape: Dims, dtype: DataType) -> None:
        self.name, self.shape, self.dtype = name, shape, dtype


class INetworkDefinition:
    """Empty until a parser fills it; its weights belong to that parser."""

    def __init__(self, flags: int) -> None:
        self.flags = flags
        self.onnx_bytes: bytes | None = None
        self.inputs: list[ITensor] = []
        self.outputs: list[ITensor] = []
        self.has_qdq = False
        self.layers: list[str] = []
        self._weights_owner: weakref.ref | None = None

    def get_flag(self, flag: NetworkDefinitionCreationFlag) -> bool:
        return bool(self.flags & (1 << int(flag)))

    @property
    def strongly_typed(self) -> bool:
        """Fake-only: TensorRT 11 has no other kind of network."""
        return major() >= 11 or self.get_flag(NetworkDefinitionCreationFlag.STRONGLY_TYPED)

    @property
    def weights_alive(self) -> bool:
        """Fake-only: False once the parser that owns the weights is gone."""
        return self._weights_owner is not None and self._weights_owner() is not None

    @property
    def num_inputs(self) -> int:
        return len(self.inputs)

    @property
    def num_outputs(self) -> int:
        return len(self.outputs)

    def get_input(self, index: int) -> ITensor:
        return self.inputs[index]

    def get_output(self, index: int) -> ITensor:
        return self.outputs[index]


def _tensor(value: onnx.ValueInfoProto) -> ITensor:
    tensor_type = value.type.tensor_type
    if tensor_type.elem_type not in ONNX_TYPES:
        raise ValueError(f"{value.name}: ONNX element type {tensor_type.elem_type} is not supported")
    shape = Dims(d.dim_value if d.HasField("dim_value") else -1 for d in tensor_type.shape.dim)
    return ITensor(value.name, shape, ONNX_TYPES[tensor_type.elem_type])


class OnnxParser:
    def __init__(self, network: INetworkDefinition, logger: ILogger) -> None:
        self.network, self.logger = network, logger
        self._errors: list[ParserError] = []

    @property
    def num_errors(self) -> int:
        return len(self._errors)

    def get_error(self, index: int) -> ParserError:
        return self._errors[index]

    def clear_errors(self) -> None:
        self._errors.clear()

    def _fail(self, code: ErrorCode, desc: str) -> bool:
        self._errors.append(ParserError(code, desc))
        self.logger.log(ILogger.Severity.ERROR, str(self._errors[-1]))
        return False

    def parse(self, model: bytes, path: str | None = None) -> bool:
        """True when the network now holds the model; False with `num_errors` > 0 otherwise."""
        if self.network.onnx_bytes is not None:
            return self._fail(ErrorCode.INVALID_VALUE, "the network already holds a parsed model")
        try:
            proto = onnx.load_from_string(bytes(model))
        except Exception as exc:  # noqa: BLE001  (protobuf's DecodeError and friends: the parser reports, never raises)
            return self._fail(ErrorCode.MODEL_DESERIALIZE_FAILED, f"Failed to parse ONNX model from memory: {exc}")
        try:
            onnx.checker.check_model(proto)
        except onnx.checker.ValidationError as exc:
            return self._fail(ErrorCode.INVALID_GRAPH, str(exc).splitlines()[0])
        initializers = {init.name for init in proto.graph.initializer}
        try:
            inputs = [_tensor(value) for value in proto.graph.input if value.name not in initializers]
            outputs = [_tensor(value) for value in proto.graph.output]
            session(bytes(model))
        except Exception as exc:  # noqa: BLE001  (whatever onnxruntime raises for a node it cannot run)
            return self._fail(ErrorCode.UNSUPPORTED_NODE, str(exc).splitlines()[0])
        self.network.onnx_bytes, self.network.inputs, self.network.outputs = bytes(model), inputs, outputs
        self.network.layers = [f"{node.op_type}/{node.name}/{list(node.input)}" for node in proto.graph.node]
        self.network.has_qdq = any(node.op_type in ("QuantizeLinear", "DequantizeLinear") for node in proto.graph.node)
        self.network._weights_owner = weakref.ref(self)
        return True
