"""Probe for docs/openvino.md: what the OpenVINO CPU plugin reports on this CPU, and the inference
precision it compiles when the row does not ask for one. Run from the repo root:

    python docs/results/openvino/cpu_plugin.py > docs/results/openvino/cpu_plugin.json
"""

import json
import subprocess

import openvino

from accel.artifacts.cache import ArtifactCache
from accel.artifacts.store import ArtifactStore

core = openvino.Core()
model = core.read_model(str(ArtifactStore(ArtifactCache()).onnx_path("resnet18")))
model.reshape([1, 3, 224, 224])
default = core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "LATENCY"})
print(json.dumps({
    "openvino": openvino.__version__,
    "commit": subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip(),
    "OPTIMIZATION_CAPABILITIES": list(core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")),
    "resnet18_default_INFERENCE_PRECISION_HINT": default.get_property("INFERENCE_PRECISION_HINT").get_type_name(),
}, indent=1))  # fmt: skip
