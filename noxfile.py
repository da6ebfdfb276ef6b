"""nox sessions: `nox -s tests` (unit tests), `nox -s cpu` (the CPU matrix), `nox -s gpu` (the GPU matrix).

Each session gets its own virtualenv; `dev`/`cpu` and `gpu` extras are never mixed, because
onnxruntime and onnxruntime-gpu must not be installed together.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests"]
PYTHON = ["3.11", "3.12"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit tests and the suite smoke run."""
    session.install("-e", ".[dev]")
    session.run("pytest", "tests", *session.posargs)


@nox.session(python=PYTHON)
def cpu(session: nox.Session) -> None:
    """The CPU matrix, JSON and markdown table in results-local/."""
    session.install("-e", ".[dev]")
    session.run("pytest", "benchmarks", "--device", "cpu", "--benchmark-json", "results-local/cpu.json", *session.posargs)


@nox.session(python=PYTHON)
def gpu(session: nox.Session) -> None:
    """The GPU matrix (every backend, batch sweep) on an NVIDIA machine; rows skip with a reason elsewhere.

    `.[gpu]` brings onnxruntime-gpu, tensorrt-cu13 and nvidia-ml-py; TensorRT's wheels come from
    NVIDIA's index, so set PIP_EXTRA_INDEX_URL=https://pypi.nvidia.com (without it, TensorRT rows skip)."""
    session.install("-e", ".[gpu]")
    session.run(
        "pytest", "benchmarks", "--device", "cuda", "--backends", "all", "--batch", "1,8,32,128,256",
        "--benchmark-json", "results-local/gpu.json", *session.posargs,
    )  # fmt: skip
