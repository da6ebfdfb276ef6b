"""TensorRT runner: a cached engine executed with execute_async_v3 on a non-default torch stream,
torch CUDA tensors as I/O (no pycuda), optionally replayed through a captured CUDA graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from accel.matrix import Combination
from accel.backends.base import Runner
from accel.backends.cuda_io import CudaTransfers
from accel.backends.tensorrt.engine import load_tensorrt


class TensorRTRunner(Runner):
    """One engine per batch size (fixed-shape profile: TensorRT picks tactics for that shape).

    Exported ONNX files have a dynamic batch axis, so the engine reports -1 for it until the
    context gets an input shape: `prepare` sets the row's shape first, then reads the output shape
    from the context and the I/O dtypes from the engine."""

    def __init__(self, combo: Combination, engine_path: Path, notes: dict[str, object], cuda_graph: bool = False) -> None:
        super().__init__(combo)
        self.trt, self.flavor = load_tensorrt()
        self.device = torch.device("cuda", 0)
        self.transfers = CudaTransfers(self.device)
        self.engine = self.trt.Runtime(self.trt.Logger(self.trt.Logger.WARNING)).deserialize_cuda_engine(engine_path.read_bytes())
        if self.engine is None:
            raise RuntimeError(f"TensorRT could not deserialize {engine_path}")
        self.context = self.engine.create_execution_context()
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        self.input_name = next(n for n in names if self.engine.get_tensor_mode(n) == self.trt.TensorIOMode.INPUT)
        self.output_name = next(n for n in names if self.engine.get_tensor_mode(n) == self.trt.TensorIOMode.OUTPUT)
        self.notes = notes
        self.cuda_graph = cuda_graph
        self.graph: torch.cuda.CUDAGraph | None = None
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
        self.static_input = torch.empty(shape, dtype=self._torch_dtype(self.input_name), device=self.device)
        output_shape = tuple(self.context.get_tensor_shape(self.output_name))
        self.output = torch.empty(output_shape, dtype=self._torch_dtype(self.output_name), device=self.device)
        for name, tensor in ((self.input_name, self.static_input), (self.output_name, self.output)):
            if not self.context.set_tensor_address(name, tensor.data_ptr()):
                raise RuntimeError(f"TensorRT refused the address of {name!r}")
        if self.cuda_graph:
            self._capture()

    def _capture(self) -> None:
        self._execute()  # one run first: TensorRT finishes lazy setup outside the capture
        self.transfers.stream.synchronize()
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph, stream=self.transfers.stream):
            self._execute()
        self.transfers.stream.synchronize()

    def _execute(self) -> None:
        if not self.context.execute_async_v3(self.transfers.stream.cuda_stream):
            raise RuntimeError("TensorRT execute_async_v3 failed")

    @property
    def stream(self) -> torch.cuda.Stream:
        return self.transfers.stream

    def upload(self, batch: np.ndarray) -> torch.Tensor:
        if self.static_input is None or tuple(batch.shape) != tuple(self.static_input.shape):
            raise RuntimeError(f"{self.combo.test_id}: prepare() must set input shape {tuple(batch.shape)} before upload")
        return self.transfers.to_device(batch, out=self.static_input)

    def enqueue(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.graph is not None:
            with torch.cuda.stream(self.transfers.stream):
                self.graph.replay()
        else:
            self._execute()
        return self.output

    def synchronize(self) -> None:
        self.transfers.stream.synchronize()

    def download(self, outputs: torch.Tensor) -> np.ndarray:
        return self.transfers.to_host(outputs)

    def describe(self) -> dict[str, object]:
        return {**self.notes, "engine": "cuda-graph" if self.cuda_graph else "execute_async_v3", "trt_flavor": self.flavor}

    def close(self) -> None:
        self.graph = self.context = self.engine = self.static_input = self.output = None
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
