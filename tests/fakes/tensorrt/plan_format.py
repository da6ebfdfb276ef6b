"""The fake's serialized engine (not TensorRT's format): a magic tag, a JSON header with what the
build decided, then the ONNX bytes it executes. Tests read the header to see what was built."""

from __future__ import annotations

import json
from pathlib import Path

MAGIC = b"FAKE-TRT-PLAN\x00"


class PlanError(ValueError):
    """Bytes that are not a fake engine."""


def dump(header: dict, onnx_bytes: bytes) -> bytes:
    encoded = json.dumps(header, sort_keys=True).encode()
    return MAGIC + len(encoded).to_bytes(8, "little") + encoded + onnx_bytes


def load(data: bytes) -> tuple[dict, bytes]:
    data = bytes(data)
    if not data.startswith(MAGIC):
        raise PlanError("not a serialized engine (magic tag mismatch)")
    start = len(MAGIC) + 8
    length = int.from_bytes(data[len(MAGIC) : start], "little")
    try:
        header = json.loads(data[start : start + length])
    except ValueError as exc:
        raise PlanError(f"corrupt engine header: {exc}") from None
    return header, data[start + length :]


def read_header(path: str | Path) -> dict:
    """The header of an engine file (for tests)."""
    return load(Path(path).read_bytes())[0]
