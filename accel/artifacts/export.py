"""PyTorch -> ONNX export and its validation against PyTorch on real images.

We use the dynamo exporter (`torch.onnx.export(dynamo=True)`): the TorchScript exporter is
deprecated in torch 2.9+, and dynamo's graph (constant-folded, opset 18) runs as fast in ONNX
Runtime. The batch axis is dynamic so one file serves every batch size; spatial size is fixed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

import numpy as np
import torch

from accel.errors import ArtifactError
from accel.quality.drift import Drift, measure_drift

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
OPSET = 18
EXPORTER = "dynamo"
MAX_DYNAMIC_BATCH = 4096


def export_onnx(model: torch.nn.Module, input_shape: tuple[int, ...], path: Path) -> None:
    """Export `model` with a dynamic batch axis to `path` (single file, no external data)."""
    example = torch.zeros((2, *input_shape[1:]), dtype=torch.float32)
    batch = torch.export.Dim("batch", min=1, max=MAX_DYNAMIC_BATCH)
    # The exporter prints progress lines and deprecation chatter; keep the benchmark log readable.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        program = torch.onnx.export(
            model.eval(),
            (example,),
            dynamo=True,
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_shapes=({0: batch},),
            external_data=False,
            verbose=False,
        )
        program.save(str(path), external_data=False)


def check_onnx(path: Path) -> None:
    """onnx.checker on the file; raises ArtifactError naming the file."""
    import onnx

    try:
        onnx.checker.check_model(str(path), full_check=False)
    except Exception as exc:
        raise ArtifactError(f"{path}: onnx.checker rejected the model: {exc}") from exc


def validate_export(
    reference: np.ndarray, exported: np.ndarray, name: str, min_cosine: float = 0.9999, rel_tol: float = 1e-3
) -> Drift:
    """Fail unless exported logits match PyTorch's: cosine >= min_cosine and max-abs within
    rel_tol x (1 + max |reference|) (the bound scales with the logits' magnitude)."""
    result = measure_drift(reference, exported)
    bound = rel_tol * (1.0 + float(np.abs(reference).max()))
    if result.cosine_min < min_cosine or result.max_abs > bound:
        raise ArtifactError(
            f"{name}: ONNX export disagrees with PyTorch on real images: cosine_min={result.cosine_min:.6f} "
            f"(need >= {min_cosine}), max_abs={result.max_abs:.3g} (need <= {bound:.3g})"
        )
    return result
