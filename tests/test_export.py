import numpy as np
import onnx
import pytest
import torch

from accel.artifacts import export
from accel.errors import ArtifactError


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small conv net exported once by `export_onnx`, with its ONNX Runtime session."""
    onnxruntime = pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 10),
    ).eval()  # fmt: skip
    path = tmp_path_factory.mktemp("export") / "tiny.onnx"
    export.export_onnx(model, (1, 3, 32, 32), path)
    return model, path, onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def torch_and_onnx_logits(exported, batch: int) -> tuple[np.ndarray, np.ndarray]:
    model, _, session = exported
    x = np.random.default_rng(batch).normal(size=(batch, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        reference = model(torch.from_numpy(x)).numpy()
    return reference, session.run(None, {export.INPUT_NAME: x})[0]


def turned(row: np.ndarray, angle: float) -> np.ndarray:
    """`row` turned by `angle` radians (cosine exactly cos(angle)), same component along `row`."""
    other = np.random.default_rng(1).normal(size=row.shape)
    other -= other @ row / (row @ row) * row
    return row + other / np.linalg.norm(other) * np.linalg.norm(row) * np.tan(angle)


def test_validate_export_holds_the_documented_bounds_on_a_real_export(exported):
    """max-abs <= 1e-3 x (1 + max|logit|) and cosine >= 0.9999: the real export passes, and its
    torch logits moved just past either bound fail while just inside pass."""
    reference, logits = torch_and_onnx_logits(exported, 4)
    drift = export.validate_export(reference, logits, "tiny")
    assert drift.max_abs == pytest.approx(np.abs(reference - logits).max())

    bound = 1e-3 * (1 + np.abs(reference).max())
    inside, outside = reference.copy(), reference.copy()
    inside[0, 0] += 0.9 * bound
    outside[0, 0] += 1.1 * bound
    export.validate_export(reference, inside, "inside")
    with pytest.raises(ArtifactError, match=r"outside: .*max_abs"):
        export.validate_export(reference, outside, "outside")

    inside, outside = reference.copy(), reference.copy()
    inside[1] = turned(reference[1], np.arccos(0.99995))
    outside[1] = turned(reference[1], np.arccos(0.9998))
    export.validate_export(reference, inside, "inside", rel_tol=1.0)  # a loose max-abs: only cosine decides
    with pytest.raises(ArtifactError, match=r"outside: .*cosine_min=0.9998"):
        export.validate_export(reference, outside, "outside", rel_tol=1.0)


@pytest.mark.slow
def test_export_round_trip_small_model(exported):
    _, path, _ = exported
    export.check_onnx(path)
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == [export.INPUT_NAME] and [o.name for o in graph.output] == [export.OUTPUT_NAME]
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param  # a named (dynamic) batch axis
    for batch in (1, 5):  # one file serves every batch size
        reference, logits = torch_and_onnx_logits(exported, batch)
        export.validate_export(reference, logits, "tiny")


def test_validate_export_accepts_tiny_noise_and_rejects_drift():
    reference = np.random.default_rng(0).normal(size=(4, 100))
    export.validate_export(reference, reference + 1e-6, "ok")
    with pytest.raises(ArtifactError, match="cosine_min"):
        export.validate_export(reference, reference + 0.5, "bad")


def test_checker_rejects_garbage(tmp_path):
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"not a protobuf")
    with pytest.raises(ArtifactError, match="bad.onnx"):
        export.check_onnx(path)
