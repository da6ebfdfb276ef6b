"""A backend is one plugin module plus one row in `accel.matrix.BACKENDS`: registering a dummy
backend that way must be enough for the suite to generate its rows, skip them with the plugin's
reason, or run them through the Runner interface, with no other file edited."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from accel import matrix
from accel.backends import registry
from accel.backends.options import RunnerOptions

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = textwrap.dedent(
    '''
    import numpy as np
    from accel.backends.base import Runner

    REASON = None

    def missing(combo, options):
        return REASON

    class EchoRunner(Runner):
        """Logits = the first ten inputs: enough to show the protocol runs end to end."""
        def __init__(self, combo):
            super().__init__(combo)
            self.prepared = []
            self.closed = False
        def prepare(self, batch):
            self.prepared.append(batch.shape)
        def upload(self, batch):
            return batch.reshape(len(batch), -1)
        def enqueue(self, inputs):
            return inputs[:, :10].astype(np.float32)
        def download(self, outputs):
            return outputs
        def describe(self):
            return {"engine": "echo"}
        def close(self):
            self.closed = True

    def create(combo, artifacts, options):
        return EchoRunner(combo)
    '''
)
SUITE_WITH_DUMMY = textwrap.dedent(
    '''
    import sys
    import pytest
    from accel import matrix
    matrix.BACKENDS["dummy"] = matrix.BackendSpec("dummy", "echo", "dummy_plugin", {"cpu": ("fp32",)})
    import dummy_plugin
    dummy_plugin.REASON = "dummy runtime is not installed (pip install dummy)"
    sys.exit(pytest.main(sys.argv[1:]))
    '''
)


@pytest.fixture
def dummy_backend(tmp_path, monkeypatch):
    (tmp_path / "dummy_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(matrix.BACKENDS, "dummy", matrix.BackendSpec("dummy", "echo", "dummy_plugin", {"cpu": ("fp32",)}, per_batch=True))
    import dummy_plugin

    monkeypatch.setattr(dummy_plugin, "REASON", None)
    return dummy_plugin


def test_dummy_backend_rows_are_generated_from_its_table_row(dummy_backend):
    selection = matrix.parse_selection(backends="dummy", models="digits_mlp,resnet18", device="cpu", batch="1,4")
    ids = [combo.test_id for combo in matrix.combinations(selection)]
    assert ids == ["digits_mlp-dummy-fp32-cpu-b1", "digits_mlp-dummy-fp32-cpu-b4", "resnet18-dummy-fp32-cpu-b1", "resnet18-dummy-fp32-cpu-b4"]
    assert matrix.parse_selection(backends="dummy", device="cpu", precisions="int8").backends == ("dummy",)
    assert not matrix.combinations(matrix.parse_selection(backends="dummy", device="cpu", precisions="int8"))


def test_dummy_backend_skip_reason_comes_from_its_plugin(dummy_backend, monkeypatch):
    combo = matrix.Combination("digits_mlp", "dummy", "fp32", "cpu", 1, 8)
    assert registry.skip_reason(combo) is None
    monkeypatch.setattr(dummy_backend, "REASON", "dummy runtime is not installed")
    assert registry.skip_reason(combo) == "dummy runtime is not installed"
    monkeypatch.setattr(registry, "cuda_available", lambda: False)
    cuda_combo = matrix.Combination("digits_mlp", "dummy", "fp32", "cuda", 1, 8)
    assert "no CUDA device" in registry.skip_reason(cuda_combo)


def test_dummy_backend_runner_is_created_prepared_and_keyed_per_batch(dummy_backend):
    combo = matrix.Combination("digits_mlp", "dummy", "fp32", "cpu", 4, 8)
    runner = registry.create_runner(combo, artifacts=None, options=RunnerOptions())
    batch = np.arange(4 * 64, dtype=np.float32).reshape(4, 64)
    assert np.array_equal(runner.run(batch), batch[:, :10])
    assert runner.prepared == [(4, 64)] and runner.per_batch
    assert registry.runner_key(combo)[-1] == 4  # per_batch from the spec: one runner per batch size
    runner.close()
    assert runner.closed


def test_self_timed_backends_have_no_runner():
    combo = matrix.Combination("digits_mlp", "fpga", "int8", "fpga", 1, 8)
    with pytest.raises(Exception, match="time themselves"):
        registry.create_runner(combo, artifacts=None)


@pytest.mark.slow
def test_suite_generates_and_skips_a_registered_dummy_backend(tmp_path):
    (tmp_path / "dummy_plugin.py").write_text(PLUGIN)
    (tmp_path / "run_suite.py").write_text(SUITE_WITH_DUMMY)
    env_path = f"{tmp_path}:{ROOT}"
    result = subprocess.run(
        [sys.executable, str(tmp_path / "run_suite.py"), str(ROOT / "benchmarks" / "test_latency.py"), "-p", "no:cacheprovider",
         "--backends", "dummy", "--models", "digits_mlp", "--device", "cpu", "--batch", "1", "-rs", "-v"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": env_path},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "2 skipped" in result.stdout
    assert "test_inference[digits_mlp-dummy-fp32-cpu-b1] SKIPPED" in result.stdout
    assert "test_end_to_end[digits_mlp-dummy-fp32-cpu-b1] SKIPPED" in result.stdout
    assert "SKIPPED [2] benchmarks/test_latency.py: dummy runtime is not installed (pip install dummy)" in result.stdout
