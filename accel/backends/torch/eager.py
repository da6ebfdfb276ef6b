"""PyTorch runners: eager (torch.inference_mode) and eager replayed through a captured CUDA graph.

Lower precisions cast the module and its inputs. On CUDA, conv models run channels_last when
asked (`channels_last=True`; tensor cores prefer NHWC for fp16/bf16), work is enqueued on a
dedicated stream, and transfers use pinned memory.
"""

from __future__ import annotations

import numpy as np
import torch

from accel.matrix import Combination
from accel.backends.base import Runner
from accel.backends.cuda_io import CudaTransfers

TORCH_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
CUDA_GRAPH_WARMUP = 3


class TorchEagerRunner(Runner):
    """Runs the torch module, cast to the row's precision, on the requested device."""

    def __init__(self, combo: Combination, module: torch.nn.Module, channels_last: bool = False) -> None:
        super().__init__(combo)
        self.device = torch.device(combo.device)
        self.dtype = TORCH_DTYPES[combo.precision]
        self.channels_last = channels_last
        module = module.to(device=self.device, dtype=self.dtype).eval()
        self.module = module.to(memory_format=torch.channels_last) if channels_last else module
        self.forward = self.module  # what enqueue calls; torch.compile swaps in the compiled module
        self.transfers = CudaTransfers(self.device, self._stream()) if self.device.type == "cuda" else None
        self._prepared_shapes: set[tuple[int, ...]] = set()
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # pick the fastest conv algorithm per shape (fixed shapes here)

    def _stream(self) -> torch.cuda.Stream | None:
        """The stream to enqueue on: a dedicated one (None lets CudaTransfers create it)."""
        return None

    def prepare(self, batch: np.ndarray) -> None:
        """On CUDA, one forward per new shape: cuDNN's benchmark mode autotunes here, not in a timed round."""
        if self.transfers is None or tuple(batch.shape) in self._prepared_shapes:
            return
        self.infer(self.upload(batch))
        self._prepared_shapes.add(tuple(batch.shape))

    @property
    def stream(self) -> torch.cuda.Stream | None:
        return self.transfers.stream if self.transfers else None

    def _layout(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor.contiguous(memory_format=torch.channels_last) if self.channels_last and tensor.dim() == 4 else tensor

    def upload(self, batch: np.ndarray) -> torch.Tensor:
        if self.transfers is None:
            return self._layout(torch.from_numpy(np.ascontiguousarray(batch)).to(self.dtype))
        return self._layout(self.transfers.to_device(batch, self.dtype))

    @property
    def takes_device_batch(self) -> bool:
        return self.transfers is not None

    def adopt(self, batch: torch.Tensor) -> torch.Tensor:
        """Cast and lay out on the runner's stream, waited for (what `upload` does after its copy)."""
        with torch.cuda.stream(self.transfers.stream):
            inputs = self._layout(batch.to(self.dtype))
        self.transfers.stream.synchronize()
        return inputs

    def enqueue(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.transfers is None:
            with torch.inference_mode():
                return self.forward(inputs)
        with torch.cuda.stream(self.transfers.stream), torch.inference_mode():
            return self.forward(inputs)

    def synchronize(self) -> None:
        if self.transfers is not None:
            self.transfers.stream.synchronize()

    def download(self, outputs: torch.Tensor) -> np.ndarray:
        if self.transfers is None:
            return outputs.float().numpy()
        return self.transfers.to_host(outputs)

    def effective_knobs(self) -> dict[str, object]:
        """channels_last 'auto' resolved to the layout this runner chose."""
        knobs = dict(self.combo.knobs)
        if "channels_last" in knobs:
            knobs["channels_last"] = "on" if self.channels_last else "off"
        return knobs

    def describe(self) -> dict[str, object]:
        notes: dict[str, object] = {"engine": "eager", "dtype": str(self.dtype).removeprefix("torch."),
                                    "channels_last": self.channels_last, "fold_bn": bool(self.combo.knobs.get("fold_bn"))}  # fmt: skip
        if self.device.type == "cuda":
            notes["cudnn_benchmark"] = True
        else:
            notes["torch_threads"] = torch.get_num_threads()
        return notes

    def close(self) -> None:
        self.module = self.forward = self.transfers = None
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.empty_cache()


class TorchCudaGraphRunner(TorchEagerRunner):
    """One inference captured with torch.cuda.CUDAGraph and replayed per round (removes launch cost)."""

    def __init__(self, combo: Combination, module: torch.nn.Module, channels_last: bool = False) -> None:
        super().__init__(combo, module, channels_last)
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static_input: torch.Tensor | None = None
        self.static_output: torch.Tensor | None = None

    def prepare(self, batch: np.ndarray) -> None:
        """Capture one inference on a static input of this batch's shape (once per runner)."""
        if self.graph is not None:
            self._check_shape(batch)
            return
        self.static_input = super().upload(batch).clone()
        with torch.cuda.stream(self.transfers.stream), torch.inference_mode():
            for _ in range(CUDA_GRAPH_WARMUP):  # let cuDNN pick algorithms before capture
                self.module(self.static_input)
        self.transfers.stream.synchronize()
        self.graph = torch.cuda.CUDAGraph()
        with torch.inference_mode(), torch.cuda.graph(self.graph, stream=self.transfers.stream):
            self.static_output = self.module(self.static_input)
        self.transfers.stream.synchronize()

    def _check_shape(self, batch: np.ndarray) -> None:
        if self.static_input is None:
            raise RuntimeError(f"{self.combo.test_id}: prepare() must capture the CUDA graph before upload")
        if tuple(batch.shape) != tuple(self.static_input.shape):
            raise ValueError(f"CUDA graph captured for shape {tuple(self.static_input.shape)}; got {tuple(batch.shape)}")

    def upload(self, batch: np.ndarray) -> torch.Tensor:
        self._check_shape(batch)
        self.static_input.copy_(super().upload(batch))
        self.transfers.stream.synchronize()
        return self.static_input

    def adopt(self, batch: torch.Tensor) -> torch.Tensor:
        self._check_shape(batch)
        return self.transfers.copy_on_device(batch, self.static_input)

    def enqueue(self, inputs: torch.Tensor) -> torch.Tensor:
        with torch.cuda.stream(self.transfers.stream):
            self.graph.replay()
        return self.static_output

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "engine": "cuda-graph"}

    def close(self) -> None:
        self.graph = self.static_input = self.static_output = None
        super().close()
