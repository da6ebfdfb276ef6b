"""ONNX Runtime runners: CPUExecutionProvider with numpy inputs; CUDAExecutionProvider with
IOBinding on device buffers (no host copies inside the timed inference), optionally replaying a
captured CUDA graph (`enable_cuda_graph`).

On CUDA the session runs on the runner's torch stream (`user_compute_stream`) so CUDA events can
bracket its work, and node placement is read from one profiled run: any node that fell back to
the CPU provider is reported in the row's notes and as a warning, never benchmarked silently.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from accel.artifacts.export import INPUT_NAME
from accel.matrix import Combination
from accel.backends.base import Runner
from accel.backends.onnxruntime.session import cuda_provider_options, physical_cores, session_options

# Shape arithmetic that ORT keeps on the CPU by design; its placement there costs nothing.
CPU_BY_DESIGN = {"Shape", "Gather", "Unsqueeze", "Concat", "Squeeze", "Slice", "ConstantOfShape", "Cast"}


class ProviderFallbackWarning(UserWarning):
    """Some nodes of a CUDA session run on the CPU provider."""


class OnnxRuntimeRunner(Runner):
    """One InferenceSession over an ONNX artifact; `run` with numpy inputs on the CPU."""

    def __init__(self, combo: Combination, onnx_path: Path, threads: int | None = None, recipe: str | None = None) -> None:
        import onnxruntime

        super().__init__(combo)
        self.recipe = recipe
        options = session_options(threads, combo.knobs)
        self.threads = options.intra_op_num_threads
        self.session = onnxruntime.InferenceSession(str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"])
        self.output_names = [o.name for o in self.session.get_outputs()]

    def upload(self, batch: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(batch, dtype=np.float32)

    def enqueue(self, inputs: np.ndarray) -> np.ndarray:
        return self.session.run(self.output_names, {INPUT_NAME: inputs})[0]

    def download(self, outputs: np.ndarray) -> np.ndarray:
        return outputs.astype(np.float32, copy=False)

    def describe(self) -> dict[str, object]:
        notes: dict[str, object] = {
            "provider": self.session.get_providers()[0],
            "intra_op_threads": self.threads or physical_cores(),
            "execution_mode": self.combo.knobs["execution_mode"],
            "graph_optimization": self.combo.knobs["graph_optimization_level"],
        }
        if self.recipe:
            notes["int8_recipe"] = self.recipe
        return notes

    def close(self) -> None:
        self.session = None


class OnnxRuntimeCudaRunner(Runner):
    """CUDAExecutionProvider with IOBinding on torch device tensors (static buffers per shape);
    with `cuda_graph`, ORT captures the first run in `prepare` and replays it afterwards."""

    def __init__(self, combo: Combination, onnx_path: Path, recipe: str | None = None, cuda_graph: bool = False) -> None:
        import onnxruntime
        import torch

        from accel.backends.onnxruntime.profiler import node_placement
        from accel.backends.cuda_io import CudaTransfers

        super().__init__(combo)
        self.recipe = recipe
        self.cuda_graph = cuda_graph
        self.device = torch.device("cuda", 0)
        self.transfers = CudaTransfers(self.device)
        options = session_options(None)
        self.provider_options = cuda_provider_options(self.transfers.stream.cuda_stream, cuda_graph, combo.knobs)
        providers = [("CUDAExecutionProvider", self.provider_options)]
        self.session = onnxruntime.InferenceSession(str(onnx_path), sess_options=options, providers=providers)
        if self.session.get_providers()[0] != "CUDAExecutionProvider":
            raise RuntimeError(f"onnxruntime did not enable CUDAExecutionProvider (got {self.session.get_providers()})")
        self.output_name = self.session.get_outputs()[0].name
        self.classes = int(self.session.get_outputs()[0].shape[-1])
        sample_shape = tuple(self.session.get_inputs()[0].shape[1:])
        placement = node_placement(
            onnx_path, sample_shape, [("CUDAExecutionProvider", cuda_provider_options(None, False, combo.knobs)), "CPUExecutionProvider"]
        )
        self.placement = {provider: dict(ops) for provider, ops in placement.items()}
        fallback = Counter(placement.get("CPUExecutionProvider", {}))
        self.cpu_fallback = {op: n for op, n in fallback.items() if op not in CPU_BY_DESIGN}
        if self.cpu_fallback:
            warnings.warn(f"{combo.test_id}: nodes on CPUExecutionProvider: {self.cpu_fallback}", ProviderFallbackWarning, stacklevel=2)
        self.binding = self.session.io_binding()
        self.static_input = None
        self.output = None

    @property
    def stream(self):
        return self.transfers.stream

    def prepare(self, batch: np.ndarray) -> None:
        """Allocate and bind device buffers for this shape; a CUDA-graph session captures here."""
        import torch

        shape = tuple(batch.shape)
        if self.static_input is not None and tuple(self.static_input.shape) == shape:
            return
        if self.cuda_graph and self.static_input is not None:  # a captured graph reads fixed addresses
            raise ValueError(f"CUDA graph captured for shape {tuple(self.static_input.shape)}; got {shape}")
        self.static_input = torch.empty(shape, dtype=torch.float32, device=self.device)
        self.output = torch.empty((shape[0], self.classes), dtype=torch.float32, device=self.device)
        self.binding.clear_binding_inputs()
        self.binding.clear_binding_outputs()
        self.binding.bind_input(INPUT_NAME, "cuda", 0, np.float32, shape, self.static_input.data_ptr())
        self.binding.bind_output(self.output_name, "cuda", 0, np.float32, tuple(self.output.shape), self.output.data_ptr())
        if self.cuda_graph:
            self.infer(self.upload(batch))

    def upload(self, batch: np.ndarray):
        if self.static_input is None or tuple(batch.shape) != tuple(self.static_input.shape):
            raise RuntimeError(f"{self.combo.test_id}: prepare() must bind shape {tuple(batch.shape)} before upload")
        return self.transfers.to_device(batch, out=self.static_input)

    @property
    def takes_device_batch(self) -> bool:
        return True

    def adopt(self, batch):
        """Copy a device batch into the bound input buffer (IOBinding reads that address)."""
        if self.static_input is None or tuple(batch.shape) != tuple(self.static_input.shape):
            raise RuntimeError(f"{self.combo.test_id}: prepare() must bind shape {tuple(batch.shape)} before adopt")
        return self.transfers.copy_on_device(batch, self.static_input)

    def enqueue(self, inputs):
        self.session.run_with_iobinding(self.binding)
        return self.output

    def synchronize(self) -> None:
        self.transfers.stream.synchronize()

    def download(self, outputs) -> np.ndarray:
        return self.transfers.to_host(outputs)

    def describe(self) -> dict[str, object]:
        notes: dict[str, object] = {
            "provider": "CUDAExecutionProvider",
            "engine": "cuda-graph" if self.cuda_graph else "iobinding",
            "cudnn_conv_algo_search": self.provider_options["cudnn_conv_algo_search"],
            "prefer_nhwc": self.provider_options.get("prefer_nhwc") == "1",
            "cpu_fallback_nodes": self.cpu_fallback,
            "node_placement": self.placement,
        }
        if self.recipe:
            notes["int8_recipe"] = self.recipe
        return notes

    def close(self) -> None:
        import torch

        self.binding = self.session = self.static_input = self.output = None
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
