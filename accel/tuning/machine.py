"""Which machine a tuning result belongs to: the winner on one CPU, GPU or library version says
nothing about another, so results are filed under a key made of exactly those."""

from __future__ import annotations

import hashlib
import json

from accel.measure import sysinfo

# Versions that change which configuration wins.
RUNTIME_PACKAGES = ("torch", "onnxruntime", "onnxruntime-gpu", "openvino", "tensorrt")


def fingerprint() -> dict[str, object]:
    """CPU model and flags, usable cores, GPU names, runtime versions."""
    packages = sysinfo.package_versions()
    return {
        "cpu_model": sysinfo.cpu_model(),
        "cpu_flags": sysinfo.cpu_flags(),
        "cores": sysinfo.usable_cores(),
        "gpus": [gpu["name"] for gpu in sysinfo.gpu_info()],
        "packages": {name: packages[name] for name in RUNTIME_PACKAGES if name in packages},
    }


def machine_key(print_: dict[str, object]) -> str:
    """A short stable key for a fingerprint."""
    return hashlib.sha256(json.dumps(print_, sort_keys=True).encode()).hexdigest()[:16]
