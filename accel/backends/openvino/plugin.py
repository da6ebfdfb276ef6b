"""Registry plugin of the OpenVINO backend (CPU plugin, LATENCY performance hint).

Precision is the compiled model's INFERENCE_PRECISION_HINT over the fp32 artifact (f32, bf16,
f16), and for int8 the shared QDQ artifact, whose Q/DQ pairs OpenVINO turns into INT8 kernels.
bf16 and fp16 rows exist in the table for every CPU and skip, with the capabilities the CPU
plugin reports, where it has no such kernels: asked anyway, it compiles f32 without a word.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from typing import TYPE_CHECKING

from accel.backends.base import Runner
from accel.backends.options import RunnerOptions
from accel.matrix import Combination

if TYPE_CHECKING:
    from accel.artifacts.store import ArtifactStore

INSTALL_HINT = "pip install openvino"
# f32 is explicit for fp32 and int8: on a CPU with native BF16 the plugin defaults to bf16, which would
# turn an fp32 row into a bf16 one and add bf16 rounding to the float layers of an int8 row.
INFERENCE_PRECISION = {"fp32": "f32", "int8": "f32", "bf16": "bf16", "fp16": "f16"}
# OPTIMIZATION_CAPABILITIES entry a precision needs on the CPU.
CAPABILITY = {"fp32": "FP32", "int8": "INT8", "bf16": "BF16", "fp16": "FP16"}


@cache
def cpu_capabilities() -> tuple[str, ...]:
    """What the OpenVINO CPU plugin can run on this CPU, e.g. ('FP32', 'INT8', 'BIN', 'EXPORT_IMPORT')."""
    import openvino

    return tuple(openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))


def compile_config(precision: str, threads: int | None, hint: str = "LATENCY", streams: int = 0) -> dict[str, str]:
    """CPU plugin properties for a row: the performance hint (LATENCY: one stream), streams where
    set (0: the hint decides), its inference precision, threads."""
    config = {"PERFORMANCE_HINT": hint, "INFERENCE_PRECISION_HINT": INFERENCE_PRECISION[precision]}
    if streams:
        config["NUM_STREAMS"] = str(streams)
    if threads:
        config["INFERENCE_NUM_THREADS"] = str(threads)
    return config


def missing(combo: Combination, options: RunnerOptions) -> str | None:
    if importlib.util.find_spec("openvino") is None:
        return f"python module 'openvino' is not installed ({INSTALL_HINT})"
    if combo.precision == "int8" and importlib.util.find_spec("onnxruntime") is None:
        return (
            "the INT8 QDQ artifact is made by onnxruntime.quantization: "
            "python module 'onnxruntime' is not installed (pip install -e '.[cpu]')"
        )
    needed = CAPABILITY[combo.precision]
    if needed not in cpu_capabilities():
        return (
            f"the OpenVINO CPU plugin has no {needed} inference on this CPU "
            f"(OPTIMIZATION_CAPABILITIES: {', '.join(cpu_capabilities())})"
        )
    return None


def create(combo: Combination, artifacts: ArtifactStore, options: RunnerOptions) -> Runner:
    from accel.artifacts import quantize
    from accel.backends.openvino.runner import OpenVinoRunner

    recipe = quantize.recipe_for(combo.spec.runtime, combo.device) if combo.precision == "int8" else None
    entry = artifacts.precision_entry(combo.model, combo.input_size, "int8" if recipe else "fp32", recipe)
    if recipe:
        quantize.check_recipe(entry.meta["fields"]["recipe"], combo.spec.runtime, combo.device)
    knobs = combo.knobs
    config = compile_config(combo.precision, options.threads, str(knobs["performance_hint"]), int(str(knobs["num_streams"])))
    return OpenVinoRunner(combo, entry.path, config, recipe)
