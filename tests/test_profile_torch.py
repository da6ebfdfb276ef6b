"""`python -m accel profile-torch` on the CPU (operators by self CPU time), its device default, and
clear errors for what this machine cannot profile."""

import pytest

from accel.__main__ import main
from accel.tools import profile_torch


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(profile_torch, "cuda_available", lambda: False)


@pytest.mark.slow
def test_cpu_profile_names_the_mlp_operators(no_cuda, capsys):
    assert main(["profile-torch", "--model", "digits_mlp"]) == 0  # default device without CUDA: cpu
    out = capsys.readouterr().out
    assert out.startswith("digits_mlp-torch-fp32-cpu-b1 (eager): 20 inferences")
    assert "aten::addmm" in out and "aten::linear" in out  # the MLP's Linear layers, as torch runs them
    assert "Self CPU" in out and "Self CUDA" not in out


def test_default_device_follows_cuda(monkeypatch):
    monkeypatch.setattr(profile_torch, "cuda_available", lambda: True)
    assert profile_torch.resolve_device(None) == "cuda"
    monkeypatch.setattr(profile_torch, "cuda_available", lambda: False)
    assert profile_torch.resolve_device(None) == "cpu"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--device", "cuda"], "`--device cuda`: torch sees no CUDA device here"),
        (["--device", "gpu"], "`--device` must be one of cpu, cuda; got 'gpu'"),
        (["--device", "cpu", "--cuda-graph"], "`--cuda-graph` needs --device cuda"),
        (["--device", "cpu", "--precision", "fp16"], "`--precision (torch on cpu)` must be one of fp32, bf16; got 'fp16'"),
        (["--model", "resnet50", "--device", "cpu"], "`--model` must be one of resnet18,"),
    ],
)
def test_what_cannot_run_is_a_clear_error(no_cuda, capsys, argv, message):
    assert main(["profile-torch", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
