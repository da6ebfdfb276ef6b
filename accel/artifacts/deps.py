"""Optional libraries, imported only where an artifact needs them.

A torch-only install (no onnxruntime) must still import the store and run torch rows, so nothing
here imports a library until a caller asks for it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from accel.errors import UsageError

INSTALL_HINT = {
    "onnxruntime": "pip install -e '.[cpu]' (or '.[gpu]' for onnxruntime-gpu)",
}


def require(module: str, purpose: str) -> ModuleType:
    """Import `module`, or raise UsageError saying what needed it and how to install it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        package = module.split(".")[0]
        if exc.name != package:  # installed but broken: its own error says more
            raise
        hint = INSTALL_HINT.get(package, f"pip install {package}")
        raise UsageError(f"{purpose} needs the {package!r} package, which is not installed: {hint}") from exc


def versions(*modules: str) -> dict[str, str]:
    """`{module: __version__}` for the libraries whose code produced an artifact (its cache key)."""
    return {module: require(module, "the artifact cache key").__version__ for module in modules}
