"""Pytest fixtures (loaded with `pytest_plugins`): the fake `tensorrt` importable for one test and
gone after it, so no other test sees a TensorRT that is not there; a GPU identity per test; the
real artifact store."""

from __future__ import annotations

import importlib
import sys
import uuid
from pathlib import Path

import pytest

FAKES = Path(__file__).resolve().parent


def _tensorrt_modules() -> dict[str, object]:
    return {name: module for name, module in sys.modules.items() if name == "tensorrt" or name.startswith("tensorrt.")}


@pytest.fixture
def fake_trt(monkeypatch):
    """The fake `tensorrt` module at 10.x, importable as `tensorrt` for the test's duration."""
    saved = _tensorrt_modules()
    for name in saved:
        del sys.modules[name]
    monkeypatch.syspath_prepend(str(FAKES))
    module = importlib.import_module("tensorrt")
    module.reset()
    try:
        yield module
    finally:
        for name in _tensorrt_modules():
            del sys.modules[name]
        sys.modules.update(saved)


@pytest.fixture
def fake_gpu(monkeypatch):
    """A GPU identity unique to this test, so engines are built afresh in a shared cache folder."""
    from accel.artifacts import engines

    identity = (f"Fake GPU {uuid.uuid4().hex[:12]}", "9.0")
    monkeypatch.setattr(engines, "gpu_identity", lambda: identity)
    return identity


@pytest.fixture(scope="module")
def digits_store():
    """The real artifact store on $ACCEL_CACHE_DIR (digits artifacts are built once, then reused)."""
    from accel.artifacts.cache import ArtifactCache
    from accel.artifacts.store import ArtifactStore

    return ArtifactStore(ArtifactCache())
