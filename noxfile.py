"""nox sessions: `nox -s tests` (unit tests), `nox -s cpu` (the CPU matrix), `nox -s gpu` (the GPU matrix).

Each session gets its own virtualenv; `dev`/`cpu` and `gpu` extras are never mixed, because
onnxruntime and onnxruntime-gpu must not be installed together.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = False  # a machine without 3.12 still runs the 3.11 session
PYTHON = ["3.11", "3.12"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit tests and the suite smoke run."""
    session.install("-e", ".[dev]")
    session.run("pytest", "tests", *session.posargs)


@nox.session
def cpu(session: nox.Session) -> None:
    """The CPU matrix, JSON and markdown table in results-local/."""
    session.install("-e", ".[dev]")
    Path("results-local").mkdir(exist_ok=True)
    session.run("pytest", "benchmarks", "--device", "cpu", "--benchmark-json", "results-local/cpu.json", *session.posargs)


@nox.session
def gpu(session: nox.Session) -> None:
    """The GPU matrix (every backend, batch sweep) on an NVIDIA machine; rows skip with a reason elsewhere.

    `.[gpu]` brings onnxruntime-gpu and nvidia-ml-py from PyPI. TensorRT's wheels (`.[tensorrt]`) live
    on NVIDIA's index: with PIP_EXTRA_INDEX_URL pointing there they are installed too; without it the
    TensorRT rows skip with their reason."""
    with_tensorrt = "pypi.nvidia.com" in os.environ.get("PIP_EXTRA_INDEX_URL", "")
    session.install("-e", ".[gpu,tensorrt]" if with_tensorrt else ".[gpu]")
    Path("results-local").mkdir(exist_ok=True)
    session.run(
        "pytest", "benchmarks", "--device", "cuda", "--backends", "all", "--batch", "1,8,32,128,256",
        "--benchmark-json", "results-local/gpu.json", *session.posargs,
    )  # fmt: skip
