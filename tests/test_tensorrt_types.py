"""mypy checks every TensorRT call of the suite against the real bindings' stubs (`tensorrt-stubs`,
generated from TensorRT 10.13), read from a repaired copy (tests/fakes/trt_stub_repair.py)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.trt_stub_repair import repair_line, repair_stubs, stub_folder

REPO = Path(__file__).resolve().parents[1]
MYPY_COMMAND = ["-m", "mypy", "--config-file", "mypy-tensorrt.ini", "accel/backends/tensorrt", "accel/artifacts/engines.py"]


def test_tensorrt_code_type_checks_against_the_bindings(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (.venv/bin/pip install mypy)")
    try:
        stub_folder("tensorrt_bindings")
    except ModuleNotFoundError as exc:
        pytest.skip(f"{exc} (.venv/bin/pip install --no-deps tensorrt-stubs)")
    stubs = tmp_path / "stubs"
    repair_stubs(stubs)
    environment = {**os.environ, "MYPYPATH": str(stubs)}  # searched before the config's mypy_path
    result = subprocess.run([sys.executable, *MYPY_COMMAND], cwd=REPO, env=environment, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_stub_repair_changes_only_broken_signatures():
    assert repair_line("    def f(self, x: int) -> int:\n") == "    def f(self, x: int) -> int:\n"
    assert repair_line("    def g(self, in: list[int], out: list[int]) -> None:\n") == "    def g(self, in_: list[int], out: list[int]) -> None:\n"
    fixed = repair_line("    def h(self, a: int = None, b: int) -> X:\n")
    assert fixed == "    def h(self, *args: typing.Any, **kwargs: typing.Any) -> X:\n"
    assert repair_line("in: the docstring text, not a def\n") == "in: the docstring text, not a def\n"
