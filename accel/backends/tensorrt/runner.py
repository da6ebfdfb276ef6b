"""TensorRT runner: a cached engine executed with execute_async_v3 on a non-default stream,
torch tensors as I/O (no pycuda), optionally replayed through a captured CUDA graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from accel.backends.base import Runner
from accel.backends.tensorrt.api import load_tensorrt
from accel.backends.tensorrt.device import CudaDevice, Device
from accel.matrix import Combination

if TYPE_CHECKING:
    import tensorrt as trt_types


def dims(shape: trt_types.Dims) -> tuple[int, ...]:
    """A TensorRT Dims as a tuple (Dims is indexable, not iterable, in the bindings' types)."""
    return tuple(int(shape[i]) for i in range(len(shape)))


class TensorRTRunner(Runner):
    """One engine per batch size (fixed-shape profile: TensorRT picks tactics for that shape).

    Exported ONNX files have a dynamic batch axis, so the engine reports -1 for it until the
    context gets an input shape: `prepare` sets the row's shape first, then reads the output shape
    from the context and the I/O dtypes from the engine. The runtime is kept as long as the engine:
    TensorRT calls destroying a runtime before its engines undefined behaviour."""

    def __init__(
        self, combo: Combination, engine_path: Path, notes: dict[str, object], cuda_graph: bool = False,
        device: Device | None = None,
    ) -> None:  # fmt: skip
        super().__init__(combo)
        tensorrt = load_tensorrt()
        self.trt, self.flavor = tensorrt.module, tensorrt.flavor
        self.device: Device = device if device is not None else CudaDevice()
        self.logger = self.trt.Logger(self.trt.Logger.WARNING)
        self.runtime = self.trt.Runtime(self.logger)
        engine = self.runtime.deserialize_cuda_engine(engine_path.read_bytes())
        if engine is None:
            raise RuntimeError(f"TensorRT could not deserialize {engine_path} (built by another TensorRT version?)")
        self.engine = engine
        self.context = engine.create_execution_context()
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        self.input_name = next(n for n in names if engine.get_tensor_mode(n) == self.trt.TensorIOMode.INPUT)
        self.output_name = next(n for n in names if engine.get_tensor_mode(n) == self.trt.TensorIOMode.OUTPUT)
        self.notes = notes
        self.cuda_graph = cuda_graph
        self.replay: Callable[[], None] | None = None
        self.static_input: torch.Tensor | None = None
        self.output: torch.Tensor | None = None

    def _torch_dtype(self, name: str) -> torch.dtype:
        return torch.from_numpy(np.empty(0, dtype=self.trt.nptype(self.engine.get_tensor_dtype(name)))).dtype

    def prepare(self, batch: np.ndarray) -> None:
        """Set the input shape, allocate I/O at the engine's dtypes, bind addresses, capture a graph."""
        shape = tuple(int(d) for d in batch.shape)
        if self.static_input is not None:
            if tuple(self.static_input.shape) != shape:
                raise ValueError(f"engine prepared for input {tuple(self.static_input.shape)}; got {shape}")
            return
        if not self.context.set_input_shape(self.input_name, shape):
            raise RuntimeError(f"TensorRT refused input shape {shape} for {self.input_name!r} (engine profile: "
                               f"{self.engine.get_tensor_profile_shape(self.input_name, 0)})")  # fmt: skip
        output_shape = dims(self.context.get_tensor_shape(self.output_name))
        if any(d < 0 for d in output_shape):
            raise RuntimeError(f"output {self.output_name!r} has shape {output_shape} after the input shape is set: "
                               "data-dependent output shapes need an output allocator")  # fmt: skip
        self.static_input = self.device.empty(shape, self._torch_dtype(self.input_name))
        self.output = self.device.empty(output_shape, self._torch_dtype(self.output_name))
        for name, tensor in ((self.input_name, self.static_input), (self.output_name, self.output)):
            if not self.context.set_tensor_address(name, tensor.data_ptr()):
                raise RuntimeError(f"TensorRT refused the address of {name!r}")
        if self.cuda_graph:
            self._execute()  # one run first: TensorRT finishes lazy setup outside the capture
            self.device.synchronize()
            self.replay = self.device.capture(self._execute)

    def _execute(self) -> None:
        if not self.context.execute_async_v3(self.device.stream_handle):
            raise RuntimeError("TensorRT execute_async_v3 failed; see its log above")

    @property
    def stream(self) -> Any:
        return self.device.stream

    def upload(self, batch: np.ndarray) -> torch.Tensor:
        """Copy into the bound input: the address TensorRT (and a captured graph) reads."""
        if self.static_input is None or tuple(batch.shape) != tuple(self.static_input.shape):
            raise RuntimeError(f"{self.combo.test_id}: prepare() must set input shape {tuple(batch.shape)} before upload")
        return self.device.to_device(batch, out=self.static_input)

    @property
    def takes_device_batch(self) -> bool:
        return True

    def adopt(self, batch: torch.Tensor) -> torch.Tensor:
        """A batch preprocessed on the GPU goes into the bound input the same way: a device-to-device
        copy (cast to the engine's input dtype), no trip through the host."""
        if self.static_input is None or tuple(batch.shape) != tuple(self.static_input.shape):
            raise RuntimeError(f"{self.combo.test_id}: prepare() must set input shape {tuple(batch.shape)} before adopt")
        return self.device.copy_on_device(batch, self.static_input)

    def enqueue(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.output is None:
            raise RuntimeError(f"{self.combo.test_id}: prepare() must run before enqueue")
        if self.replay is not None:
            self.replay()
        else:
            self._execute()
        return self.output

    def synchronize(self) -> None:
        self.device.synchronize()

    def download(self, outputs: torch.Tensor) -> np.ndarray:
        return self.device.to_host(outputs)

    def describe(self) -> dict[str, object]:
        return {**self.notes, "engine": "cuda-graph" if self.cuda_graph else "execute_async_v3", "trt_flavor": self.flavor}

    def close(self) -> None:
        """Release in reverse order of creation: graph, I/O, context, engine, then the runtime."""
        if not hasattr(self, "runtime"):
            return
        self.device.synchronize()
        self.replay = None
        self.static_input = self.output = None
        del self.context, self.engine, self.runtime
        self.device.release()
