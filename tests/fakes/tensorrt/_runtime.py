"""Runtime, ICudaEngine and IExecutionContext: engines deserialized from the fake's plan format
and executed with onnxruntime on the bytes at the bound addresses (`fake_cuda`).

As in TensorRT: an engine of another TensorRT version does not deserialize (None); dynamic
dimensions read -1 until the context has an input shape; `set_input_shape`,
`set_tensor_address` and `execute_async_v3` answer False (and log) instead of raising;
addresses must be 256-byte aligned; execution is asynchronous: outputs are written when the
stream runs the work. Destroying the runtime while its engines live is undefined behaviour in
TensorRT; here any later use of those engines raises `UndefinedBehaviour`."""

from __future__ import annotations

import weakref

import numpy as np

from . import _version, fake_cuda, plan_format
from ._enums import DataType, Dims, TensorIOMode, nptype
from ._logger import ILogger
from .onnx_exec import output_shapes, run


class UndefinedBehaviour(RuntimeError):
    """What TensorRT leaves undefined, made loud."""


class Runtime:
    def __init__(self, logger: ILogger) -> None:
        self.logger = logger
        self._engines: weakref.WeakSet = weakref.WeakSet()

    def deserialize_cuda_engine(self, serialized_engine: bytes) -> ICudaEngine | None:
        try:
            header, onnx_bytes = plan_format.load(serialized_engine)
        except plan_format.PlanError as exc:
            self.logger.log(ILogger.Severity.ERROR, f"Error Code 1: Serialization ({exc})")
            return None
        if header["version"] != _version.current():
            self.logger.log(ILogger.Severity.ERROR, "Error Code 1: Serialization (The engine plan file is not compatible "
                            f"with this version of TensorRT, expecting library version {_version.current()} "
                            f"got {header['version']})")  # fmt: skip
            return None
        engine = ICudaEngine(header, onnx_bytes, self.logger)
        self._engines.add(engine)
        return engine

    def __del__(self) -> None:
        engines = list(self._engines)
        if engines:
            self.logger.log(ILogger.Severity.ERROR, "Error Code 3: API Usage Error (Destroying a runtime before destroying "
                            "deserialized engines created by the runtime leads to undefined behavior.)")  # fmt: skip
        for engine in engines:
            engine.orphaned = True


class ICudaEngine:
    def __init__(self, header: dict, onnx_bytes: bytes, logger: ILogger) -> None:
        self.header, self.onnx_bytes, self.logger = header, onnx_bytes, logger
        self.orphaned = False
        self.tensors = {t["name"]: (TensorIOMode.INPUT, t) for t in header["inputs"]}
        self.tensors.update({t["name"]: (TensorIOMode.OUTPUT, t) for t in header["outputs"]})

    def _alive(self) -> None:
        if self.orphaned:
            raise UndefinedBehaviour("engine used after the Runtime that deserialized it was destroyed")

    def _tensor(self, name: str) -> dict:
        self._alive()
        if name not in self.tensors:
            raise ValueError(f"{name!r} is not an I/O tensor of this engine ({sorted(self.tensors)})")
        return self.tensors[name][1]

    @property
    def num_io_tensors(self) -> int:
        self._alive()
        return len(self.tensors)

    @property
    def num_optimization_profiles(self) -> int:
        return len(self.header["profiles"])

    def get_tensor_name(self, index: int) -> str:
        self._alive()
        return list(self.tensors)[index]

    def get_tensor_mode(self, name: str) -> TensorIOMode:
        self._alive()
        return self.tensors[name][0] if name in self.tensors else TensorIOMode.NONE

    def get_tensor_dtype(self, name: str) -> DataType:
        return DataType(self._tensor(name)["dtype"])

    def get_tensor_shape(self, name: str) -> Dims:
        return Dims(self._tensor(name)["shape"])

    def get_tensor_profile_shape(self, name: str, profile_index: int) -> list[Dims]:
        self._tensor(name)
        return [Dims(d) for d in self.header["profiles"][profile_index][name]]

    def create_execution_context(self) -> IExecutionContext:
        self._alive()
        return IExecutionContext(self)

    def serialize(self) -> bytes:
        self._alive()
        return plan_format.dump(self.header, self.onnx_bytes)


class IExecutionContext:
    def __init__(self, engine: ICudaEngine) -> None:
        self.engine = engine
        self.shapes: dict[str, Dims] = {}
        self.addresses: dict[str, int] = {}
        self.execute_count = 0  # fake-only: how many times execute_async_v3 enqueued work

    def _error(self, message: str) -> bool:
        self.engine.logger.log(ILogger.Severity.ERROR, message)
        return False

    def _inputs(self) -> list[str]:
        return [name for name, (mode, _) in self.engine.tensors.items() if mode == TensorIOMode.INPUT]

    def set_input_shape(self, name: str, shape: object) -> bool:
        self.engine._alive()
        if self.engine.get_tensor_mode(name) != TensorIOMode.INPUT:
            return self._error(f"setInputShape: {name!r} is not an input tensor")
        dims, declared = Dims(shape), self.engine.get_tensor_shape(name)
        low, _, high = self.engine.get_tensor_profile_shape(name, 0)
        if len(dims) != len(declared) or not all(a <= d <= b for a, d, b in zip(low, dims, high)):
            return self._error(f"setInputShape: {name!r} shape {dims} is outside the profile {low}..{high}")
        self.shapes[name] = dims
        return True

    def infer_shapes(self) -> list[str]:
        """Names of inputs whose dynamic dimensions are not set yet."""
        return [name for name in self._inputs() if name not in self.shapes and -1 in self.engine.get_tensor_shape(name)]

    @property
    def all_input_dimensions_specified(self) -> bool:
        return not self.infer_shapes()

    def _resolved(self, name: str) -> Dims:
        if self.engine.get_tensor_mode(name) == TensorIOMode.INPUT:
            return self.shapes.get(name, self.engine.get_tensor_shape(name))
        if self.infer_shapes():
            return self.engine.get_tensor_shape(name)  # outputs stay dynamic until every input shape is set
        inputs = {n: (tuple(self._resolved(n)), nptype(self.engine.get_tensor_dtype(n))) for n in self._inputs()}
        return Dims(output_shapes(self.engine.onnx_bytes, inputs)[name])

    def get_tensor_shape(self, name: str) -> Dims:
        self.engine._tensor(name)
        return self._resolved(name)

    def set_tensor_address(self, name: str, memory: int) -> bool:
        if self.engine.get_tensor_mode(name) == TensorIOMode.NONE:
            return self._error(f"setTensorAddress: {name!r} is not an I/O tensor")
        if int(memory) % fake_cuda.ALIGNMENT:
            return self._error(f"setTensorAddress: address {int(memory):#x} of {name!r} is not {fake_cuda.ALIGNMENT}-byte aligned")
        self.addresses[name] = int(memory)
        return True

    def get_tensor_address(self, name: str) -> int:
        return self.addresses.get(name, 0)

    def _nbytes(self, name: str, shape: Dims) -> int:
        return int(np.prod(shape)) * np.dtype(nptype(self.engine.get_tensor_dtype(name))).itemsize

    def execute_async_v3(self, stream_handle: int) -> bool:
        """Enqueue one inference on the stream; False (and a logged error) when it cannot run."""
        self.engine._alive()
        if self.infer_shapes():
            return self._error(f"executeV3: input shapes not specified for {self.infer_shapes()}")
        unbound = [name for name in self.engine.tensors if name not in self.addresses]
        if unbound:
            return self._error(f"executeV3: no address set for {unbound}")
        shapes = {name: self._resolved(name) for name in self.engine.tensors}
        addresses = dict(self.addresses)  # read now: a captured graph keeps the addresses of its capture
        try:
            for name, shape in shapes.items():
                fake_cuda.check(addresses[name], self._nbytes(name, shape))
        except fake_cuda.IllegalAddress as exc:
            return self._error(f"executeV3: {exc}")
        fake_cuda.enqueue(int(stream_handle), lambda: self._run(shapes, addresses))
        self.execute_count += 1
        return True

    def _run(self, shapes: dict[str, Dims], addresses: dict[str, int]) -> None:
        scales = self.engine.header["calibration"].get("scales", {})
        feeds = {}
        for name in self._inputs():
            value = fake_cuda.read(addresses[name], tuple(shapes[name]), nptype(self.engine.get_tensor_dtype(name)))
            if name in scales:  # implicit INT8: the input enters the network quantized with its calibrated scale
                value = (np.clip(np.round(value / scales[name]), -127, 127) * scales[name]).astype(value.dtype)
            feeds[name] = value
        for name, value in run(self.engine.onnx_bytes, feeds).items():
            fake_cuda.write(addresses[name], value.astype(nptype(self.engine.get_tensor_dtype(name))))
