import numpy as np
import pytest
import torch

from accel.artifacts import export
from accel.errors import ArtifactError


def test_export_check_uses_drift_metrics_hand_computed():
    from accel.quality.drift import measure_drift

    reference = np.array([[1.0, 0.0], [0.0, 2.0]])
    candidate = np.array([[1.0, 1.0], [0.0, 2.0]])
    result = measure_drift(reference, candidate)
    assert result.cosine_min == pytest.approx(1 / np.sqrt(2))
    assert result.max_abs == pytest.approx(1.0)


def test_validate_export_accepts_tiny_noise_and_rejects_drift():
    reference = np.random.default_rng(0).normal(size=(4, 100))
    export.validate_export(reference, reference + 1e-6, "ok")
    with pytest.raises(ArtifactError, match="cosine_min"):
        export.validate_export(reference, reference + 0.5, "bad")


@pytest.mark.slow
def test_export_round_trip_small_model(tmp_path):
    import onnxruntime

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 10),
    ).eval()  # fmt: skip
    path = tmp_path / "tiny.onnx"
    export.export_onnx(model, (1, 3, 32, 32), path)
    export.check_onnx(path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (1, 5):  # the batch axis is dynamic
        x = np.random.default_rng(batch).normal(size=(batch, 3, 32, 32)).astype(np.float32)
        with torch.no_grad():
            reference = model(torch.from_numpy(x)).numpy()
        export.validate_export(reference, session.run(None, {export.INPUT_NAME: x})[0], "tiny")


def test_checker_rejects_garbage(tmp_path):
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"not a protobuf")
    with pytest.raises(ArtifactError, match="bad.onnx"):
        export.check_onnx(path)
