"""Real-label accuracy of the FP32 reference: digits always; ImageNet models with --val-dir and
--weights pretrained (skipped, with the missing piece named, otherwise). Lower-precision rows get
their accuracy in the latency rows' records and the INT8 >= 99% of FP32 gate there."""

from __future__ import annotations

import pytest

from accel.matrix import IMAGENET_MODELS
from benchmarks.plugin import SELECTION, VALIDATION

# Sanity floors that catch a wrong label mapping or broken preprocessing, far below the real
# numbers (torchvision: resnet18 69.8%, mobilenet_v3_small 67.7%, efficientnet_b0 77.7% top-1;
# digits: measured 97.0% MLP, 99.6% CNN on the held-out split).
MIN_TOP1 = {"resnet18": 0.5, "mobilenet_v3_small": 0.5, "efficientnet_b0": 0.5, "digits_cnn": 0.95, "digits_mlp": 0.93}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "accuracy_model" in metafunc.fixturenames:
        models = [m for m in metafunc.config.stash[SELECTION].models]
        metafunc.parametrize("accuracy_model", models)


def test_reference_top1(accuracy_model, store, pytestconfig):
    if accuracy_model in IMAGENET_MODELS:
        missing = []
        if not pytestconfig.getoption("--val-dir"):
            missing.append("--val-dir (an ImageNet-style validation folder)")
        if pytestconfig.getoption("--weights") != "pretrained":
            missing.append("--weights pretrained")
        if missing:
            pytest.skip(f"ImageNet accuracy needs {' and '.join(missing)}")
        assert pytestconfig.stash[VALIDATION] is not None
    scored = store.reference_accuracy(accuracy_model)
    assert scored is not None and scored.n > 0
    assert scored.top1 >= MIN_TOP1[accuracy_model], f"{accuracy_model}: FP32 top-1 {scored.top1:.4f} (n={scored.n})"
