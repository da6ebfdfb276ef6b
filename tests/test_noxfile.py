"""The nox sessions' decisions, with a stand-in for nox's Session (nothing installed or run): what
each installs and runs, and that a machine that cannot do a session's job skips it with the reason."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nox")  # in .[dev]
ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("noxfile", ROOT / "noxfile.py")
noxfile = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(noxfile)


class Skipped(Exception):
    pass


class FakeSession:
    """Records install/run calls; `probe_output` is what a `python -c` probe prints."""

    def __init__(self, posargs=(), probe_output=""):
        self.posargs, self.probe_output, self.calls = list(posargs), probe_output, []

    def install(self, *args):
        self.calls.append(("install", *args))

    def run(self, *args, silent=False):
        self.calls.append(("run", *args))
        return self.probe_output if args[:2] == ("python", "-c") else None

    def skip(self, reason):
        raise Skipped(reason)

    def pytest_runs(self):
        return [call[2:] for call in self.calls if call[:2] == ("run", "pytest")]


def test_nox_lists_the_four_sessions():
    listing = subprocess.run([sys.executable, "-m", "nox", "-l"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in ("tests-3.11", "cpu", "gpu", "fpga"):
        assert f" {name} -> " in listing


def test_cpu_creates_results_folder_and_takes_posargs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a fresh clone has no results-local/
    session = FakeSession(posargs=["--models", "digits_mlp"])
    noxfile.cpu(session)
    assert (tmp_path / "results-local" / "cpu").is_dir()
    assert session.pytest_runs() == [("benchmarks", "--device", "cpu", "--benchmark-json", "results-local/cpu/out.json", "--models", "digits_mlp")]


def test_tests_session_runs_the_given_files_only():
    session = FakeSession(posargs=["tests/test_matrix.py"])
    noxfile.tests(session)
    assert session.pytest_runs() == [("tests/test_matrix.py",)]
    session = FakeSession()
    noxfile.tests(session)
    assert session.pytest_runs() == [("tests",)]


def test_gpu_without_driver_skips_before_installing(monkeypatch):
    monkeypatch.setattr(noxfile, "nvidia_driver_missing", lambda: "no NVIDIA driver on this machine")
    session = FakeSession()
    with pytest.raises(Skipped, match="GPU matrix not run: no NVIDIA driver"):
        noxfile.gpu(session)
    assert session.calls == []


def test_gpu_skips_when_its_torch_sees_no_cuda(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(noxfile, "nvidia_driver_missing", lambda: "")
    session = FakeSession(probe_output="some warning\ntorch 2.14.1 sees no CUDA device\n")
    with pytest.raises(Skipped, match="GPU matrix not run: torch 2.14.1 sees no CUDA device"):
        noxfile.gpu(session)
    assert session.calls[0] == ("install", "-e", ".[gpu,report]") and session.pytest_runs() == []


def test_gpu_runs_the_sweep_when_cuda_is_there(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(noxfile, "nvidia_driver_missing", lambda: "")
    session = FakeSession()
    noxfile.gpu(session)
    (run,) = session.pytest_runs()
    assert run[:7] == ("benchmarks", "--device", "cuda", "--backends", "all", "--batch", "1,8,32,128,256")


def test_fpga_without_simulator_skips_with_the_reason():
    session = FakeSession(probe_output="verilator: verilator is not installed; icarus: Icarus Verilog is not installed\n")
    with pytest.raises(Skipped, match="FPGA track not run: no HDL simulator \\(verilator: verilator is not installed"):
        noxfile.fpga(session)
    assert session.pytest_runs() == []


def test_fpga_runs_testbenches_then_the_offload_row(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    session = FakeSession()
    noxfile.fpga(session)
    testbenches, rows = session.pytest_runs()
    assert "tests/test_fpga_rtl.py" in testbenches and all((ROOT / path).is_file() for path in testbenches)
    assert rows[:6] == ("benchmarks", "--models", "digits_mlp", "--backends", "torch,onnxruntime,fpga", "--device") and "fpga" in rows[6]
