"""Run trtexec for one row: build (cached like every engine) and time, logs kept beside the engine."""

from __future__ import annotations

import subprocess
from pathlib import Path

from accel.artifacts import engines, export
from accel.artifacts.store import ArtifactStore
from accel.backends.tensorrt.engine import BuilderOptions
from accel.backends.tensorrt.trtexec_log import (
    TrtexecSummary,
    benchmark_command,
    build_command,
    parse_log,
    trtexec_version,
)
from accel.errors import AccelError
from accel.matrix import Combination

LOG_TAIL = 3000


class TrtexecError(AccelError):
    """trtexec failed; carries the command, exit code and the tail of its log."""


def run_logged(command: list[str], log_path: Path, timeout_s: int = 1800) -> str:
    """Run a command, keep its full log, and raise with the command, code and log tail on failure."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        log = _text(exc.stdout) + _text(exc.stderr)
        log_path.write_text(log)
        raise TrtexecError(f"{' '.join(command)} ran past {timeout_s} s; log {log_path}:\n{log[-LOG_TAIL:]}") from exc
    log = result.stdout + result.stderr
    log_path.write_text(log)
    if result.returncode != 0:
        raise TrtexecError(f"{' '.join(command)} exited {result.returncode}; log {log_path}:\n{log[-LOG_TAIL:]}")
    return log


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def trtexec_row(combo: Combination, store: ArtifactStore, options: BuilderOptions, warmup_ms: int, iterations: int) -> tuple[TrtexecSummary, list[str]]:
    """Build the engine with trtexec (strongly typed from the precision artifact) and time it.

    The engine is keyed like every engine, GPU included: a plan built on another GPU does not load."""
    recipe = "trt" if combo.precision == "int8" else None
    onnx = store.precision_entry(combo.model, combo.input_size, combo.precision, recipe)
    shape = (combo.batch, *store.workload(combo.model, combo.input_size).sample_shape)
    gpu_name, compute_capability = engines.gpu_identity()
    version = _trtexec_version()
    folder = store.cache.root / "trtexec"
    folder.mkdir(parents=True, exist_ok=True)
    timing_cache = folder / f"timing-{version}-{engines.file_label(gpu_name)}.cache"

    def build(path: Path) -> None:
        command = build_command(onnx.path, path, combo.precision, True, export.INPUT_NAME, shape, options.workspace_mb,
                                options.optimization_level, timing_cache)  # fmt: skip
        run_logged(command, path.parent / "build.log")

    fields = {"onnx_sha256": onnx.meta["sha256"], "shape": list(shape), "workspace_mb": options.workspace_mb,
              "optimization_level": options.optimization_level, "tool": "trtexec", "version": version,
              "gpu_name": gpu_name, "compute_capability": compute_capability}  # fmt: skip
    engine = store.cache.get_or_build("trtexec-engine", fields, build, ".plan")
    command = benchmark_command(engine.path, export.INPUT_NAME, shape, warmup_ms, iterations, cuda_graph=False)
    log = run_logged(command, engine.path.with_name(f"bench-b{combo.batch}.log"))
    return parse_log(log), command


def _trtexec_version() -> str:
    """The TensorRT version `trtexec --help` prints in its banner (part of the engine key)."""
    result = subprocess.run(["trtexec", "--help"], capture_output=True, text=True, timeout=120, check=False)
    output = result.stdout + result.stderr
    version = trtexec_version(output)
    if version is None:
        raise TrtexecError(f"trtexec --help (exit {result.returncode}) printed no '[TensorRT vNNNN]' banner:\n{output[-LOG_TAIL:]}")
    return version
