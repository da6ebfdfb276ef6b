import numpy as np
import pytest
import torch

from accel.zoo import models
from accel.errors import DegenerateModelError, UsageError


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


def test_unknown_names():
    with pytest.raises(UsageError, match="--weights"):
        models.validate_policy("imagenet")
    with pytest.raises(UsageError, match="model"):
        models.torchvision_builder("vgg16")
