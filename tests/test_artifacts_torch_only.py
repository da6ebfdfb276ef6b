"""A torch-only install (no onnxruntime) imports the store and gets everything a torch row needs."""

import os
import subprocess
import sys
import textwrap

import pytest

TORCH_ROW_WITHOUT_ONNXRUNTIME = textwrap.dedent(
    """
    import sys
    sys.modules["onnxruntime"] = None  # as if it were not installed: every import of it fails

    from accel.artifacts.cache import ArtifactCache
    from accel.artifacts.store import ArtifactStore
    from accel.artifacts import quantize
    from accel.backends import registry
    from accel.errors import UsageError

    store = ArtifactStore(ArtifactCache())
    net = store.torch_model("digits_mlp")
    assert store.reference_logits("digits_mlp").shape[1] == 10
    assert store.workload("digits_mlp").batch_of(2).shape == (2, 64)
    assert store.weights_label("digits_mlp").startswith("trained")
    quantize.recipe_for("onnxruntime", "cuda")
    try:
        store.precision_entry("digits_mlp", None, "fp16")
    except UsageError as exc:
        assert "'onnxruntime' package, which is not installed" in str(exc), exc
    else:
        raise AssertionError("an fp16 artifact was made without onnxruntime")
    print("ok")
    """
)


@pytest.mark.slow
def test_torch_rows_need_no_onnxruntime(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", TORCH_ROW_WITHOUT_ONNXRUNTIME],
        capture_output=True, text=True, timeout=300, check=False, env={**os.environ, "ACCEL_CACHE_DIR": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]
