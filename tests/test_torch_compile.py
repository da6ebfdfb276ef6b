"""The torch.compile runner never measures eager by accident: dynamo's cache is shared by every
compiled module and falls back to eager past its recompile limit (the H200 run's digits_mlp rows),
so `prepare` must fail when it compiled nothing, and the last runner to close must leave room for
the next one without clearing what a runner still open compiled (tuning holds variants side by side).
Dynamo runs here with its eager backend (the cache logic is dynamo's; inductor would only be slow)."""

import numpy as np
import pytest
import torch
import torch._dynamo

from accel.backends.torch import compile as torch_compile
from accel.backends.torch.compile import TorchCompileRunner
from accel.matrix import Combination, native_input_size
from accel.zoo.digits import build


@pytest.fixture(autouse=True)
def dynamo_eager_backend(monkeypatch):
    real_compile = torch.compile
    monkeypatch.setattr(torch_compile.torch, "compile", lambda module, mode, **kw: real_compile(module, backend="eager", **kw))
    monkeypatch.setattr(TorchCompileRunner, "open_runners", 0)  # runners other tests left open do not count
    torch._dynamo.reset()
    with torch._dynamo.config.patch(recompile_limit=2):
        yield
    torch._dynamo.reset()


def _runner(model: str) -> TorchCompileRunner:
    return TorchCompileRunner(Combination(model, "torch-compile", "fp32", "cpu", 1, native_input_size(model)), build(model), False, "default")


def _batch(size: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((size, 64)).astype(np.float32)


def test_prepare_fails_when_dynamo_falls_back_to_eager():
    runner = _runner("digits_mlp")
    runner.prepare(_batch(1))
    runner.prepare(_batch(8))
    with pytest.raises(RuntimeError, match=r"digits_mlp-torch-compile-fp32-cpu-b1: torch.compile made no graph for batch size 32"):
        runner.prepare(_batch(32))  # a third static shape: past the limit of 2
    assert set(runner.compile_seconds) == {1, 8}


def test_a_closed_runner_leaves_the_cache_to_the_next():
    first = _runner("digits_mlp")
    first.prepare(_batch(1))
    first.prepare(_batch(8))
    first.close()
    second = _runner("digits_mlp")
    for size in (1, 8):  # the same limit again: only true if the first runner's entries are gone
        second.prepare(_batch(size))
        outputs = second.download(second.infer(second.upload(_batch(size))))
        assert outputs.shape == (size, 10)
    assert set(second.compile_seconds) == {1, 8}


def test_closing_one_runner_keeps_the_graphs_of_another_still_open():
    from torch._dynamo.utils import counters

    kept, closed = _runner("digits_mlp"), _runner("digits_cnn")
    kept.prepare(_batch(1))
    closed.close()
    graphs = counters["stats"]["unique_graphs"]
    kept.download(kept.infer(kept.upload(_batch(1))))
    assert counters["stats"]["unique_graphs"] == graphs  # no recompile: its entry survived the other's close
    kept.close()
    kept.close()  # closing twice counts once
    assert TorchCompileRunner.open_runners == 0
