import hashlib
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from accel.errors import DegenerateModelError, UsageError
from accel.zoo import models


def test_healthy_outputs_pass():
    logits = np.random.default_rng(0).normal(size=(4, 10))
    models.check_healthy_outputs(logits, "m")


@pytest.mark.parametrize(
    ("logits", "message"),
    [
        (np.array([[np.nan, 1.0], [0.0, 1.0]]), "NaN"),
        (np.ones((3, 10)), "constant"),
        (np.tile(np.arange(10.0), (3, 1)), "top-1 is class 9 for every image"),
    ],
)
def test_degenerate_outputs_rejected(logits, message):
    with pytest.raises(DegenerateModelError, match=message):
        models.check_healthy_outputs(logits, "m")


def test_batchnorm_recalibration_uses_exact_statistics():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1, bias=False), torch.nn.BatchNorm2d(4))
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(64, 3, 5, 5)).astype(np.float32)
    models.recalibrate_batchnorm(net, data)
    with torch.no_grad():
        features = net[0](torch.from_numpy(data))
    expected_mean = features.mean(dim=(0, 2, 3))
    expected_var = features.var(dim=(0, 2, 3), unbiased=True)
    torch.testing.assert_close(net[1].running_mean, expected_mean, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(net[1].running_var, expected_var, rtol=1e-3, atol=1e-3)
    assert not net.training


def test_random_weights_are_seeded_and_leave_global_rng_alone():
    torch.manual_seed(42)
    expected_next = torch.rand(1)
    torch.manual_seed(42)
    a = models.build_random("mobilenet_v3_small", seed=0)
    after = torch.rand(1)
    b = models.build_random("mobilenet_v3_small", seed=0)
    assert models.state_dict_sha256(a) == models.state_dict_sha256(b)
    assert models.state_dict_sha256(a) != models.state_dict_sha256(models.build_random("mobilenet_v3_small", seed=1))
    assert torch.equal(after, expected_next)


def test_pretrained_missing_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(UsageError, match=r"--weights pretrained: resnet18 .*not in the local torch hub cache"):
        models.build_pretrained("resnet18")


def hub_checkpoints(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    return folder


def test_wrong_file_under_the_published_name_is_refused(tmp_path, monkeypatch):
    """The reported bug: random weights saved as mobilenet_v3_small-047dcff4.pth were loaded as pretrained."""
    path = hub_checkpoints(tmp_path, monkeypatch) / models.pretrained_checkpoint_path("mobilenet_v3_small").name
    torch.save(models.build_random("mobilenet_v3_small").state_dict(), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    expected = rf"{re.escape(str(path))} is not the mobilenet_v3_small checkpoint torchvision published: its sha256 is {digest}, .*starting with 047dcff4"
    with pytest.raises(UsageError, match=expected):
        models.build_pretrained("mobilenet_v3_small")
    with pytest.raises(UsageError, match=expected):
        models.check_pretrained_checkpoints(["digits_mlp", "mobilenet_v3_small"])


def save_under_its_hash(folder, monkeypatch, save) -> str:
    """Write a fake checkpoint, name it `mobilenet_v3_small-<its sha256 prefix>.pth` and point the DEFAULT url at it."""
    scratch = folder / "scratch"
    save(scratch)
    name = f"mobilenet_v3_small-{hashlib.sha256(scratch.read_bytes()).hexdigest()[:8]}.pth"
    scratch.rename(folder / name)
    monkeypatch.setattr(models, "pretrained_weights_enum", lambda _: SimpleNamespace(url=f"https://example.invalid/{name}"))
    return str(folder / name)


def test_checkpoint_with_the_right_hash_loads(tmp_path, monkeypatch):
    state = models.build_random("mobilenet_v3_small", seed=3).state_dict()
    save_under_its_hash(hub_checkpoints(tmp_path, monkeypatch), monkeypatch, lambda path: torch.save(state, path))
    models.check_pretrained_checkpoints(["mobilenet_v3_small"])
    loaded = models.build_pretrained("mobilenet_v3_small")
    assert models.state_dict_sha256(loaded) == models.state_dict_sha256(models.build_random("mobilenet_v3_small", seed=3))


def other_model_weights(path):
    torch.save({"fc.weight": torch.zeros(2, 2), "features.0.0.weight": torch.zeros(16, 3, 3, 3)}, path)


def reshaped_weights(path):
    state = models.build_random("mobilenet_v3_small").state_dict()
    state["classifier.3.weight"] = torch.zeros(10, 1024)
    torch.save(state, path)


@pytest.mark.parametrize(
    ("save", "message"),
    [
        (other_model_weights, r"does not hold mobilenet_v3_small's weights: \d+ missing keys: .*, \.\.\.; 1 unexpected keys: fc\.weight$"),
        (reshaped_weights, r"does not hold mobilenet_v3_small's weights: 1 wrong shapes: classifier\.3\.weight \(10, 1024\) \(expected \(1000, 1024\)\)$"),
        (lambda path: torch.save([1, 2], path), "does not hold mobilenet_v3_small's weights: it holds a list, not a state dict"),
        (lambda path: path.write_bytes(b""), "is not a readable torch checkpoint: EOFError"),
        (lambda path: path.write_bytes(b"PK\x03\x04 not a zip"), "is not a readable torch checkpoint: PytorchStreamReader failed"),
        (lambda path: torch.save({"model": torch.nn.Linear(2, 2)}, path), "is not a readable torch checkpoint: Weights only load failed"),
    ],
)
def test_checkpoint_contents_are_checked(tmp_path, monkeypatch, save, message):
    path = save_under_its_hash(hub_checkpoints(tmp_path, monkeypatch), monkeypatch, save)
    with pytest.raises(UsageError, match=rf"^--weights pretrained: {re.escape(path)} {message}"):
        models.build_pretrained("mobilenet_v3_small")


def test_unknown_names():
    with pytest.raises(UsageError, match="--weights"):
        models.validate_policy("imagenet")
    with pytest.raises(UsageError, match="model"):
        models.torchvision_builder("vgg16")
