"""Cache keys hold exactly what changes an artifact: no stale INT8 file after an option changes, and
no retrained weights or re-export after an unrelated library upgrade."""

import dataclasses
import shutil

import pytest

from accel.artifacts import int8, quantize, ranges
from accel.artifacts.cache import ArtifactCache
from accel.artifacts.precision import export_fields
from accel.artifacts.store import ArtifactStore
from accel.artifacts.weights import recalibrated_fields, trained_fields

onnxruntime = pytest.importorskip("onnxruntime")
MODEL = "digits_mlp"
BASE_RECIPE = "ort-cpu"
# One other value per Recipe field (name is covered by its own case below).
RECIPE_ALTERNATIVES = {
    "activation_type": "QInt8",
    "weight_type": "QUInt8",
    "extra_options": {"WeightSymmetric": False},
    "reduce_range": True,
    "heavy_only": False,
    "per_channel": False,
    "quant_format": "QOperator",
}


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


@pytest.fixture
def int8_entry(cache_root, monkeypatch):
    """Builds the INT8 artifact through the real store; the quantizer itself is replaced by a copy
    (what is under test is the key, and a real build per case would be slow). digits_mlp gets a
    heavy-only threshold so the node selection is part of the baseline."""
    monkeypatch.setitem(quantize.HEAVY_ONLY_MIN_WEIGHTS, MODEL, 1000)
    monkeypatch.setattr(quantize, "quantize_qdq", lambda model, destination, *args: shutil.copyfile(model, destination))

    def build(recipe: str = BASE_RECIPE, **store_options):
        store = ArtifactStore(ArtifactCache(cache_root), **{"calib_size": 64, **store_options})
        return store.precision_entry(MODEL, None, "int8", recipe)

    return build


def replace_recipe(monkeypatch, **changes):
    monkeypatch.setitem(quantize.RECIPES, BASE_RECIPE, dataclasses.replace(quantize.RECIPES[BASE_RECIPE], **changes))


def recipe_variation(name: str):
    return lambda monkeypatch: replace_recipe(monkeypatch, **{name: RECIPE_ALTERNATIVES[name]})


def other_parent_hash(monkeypatch, method: str):
    real = getattr(int8.Int8Artifacts, method)

    def changed(self, *args):
        entry = real(self, *args)
        return dataclasses.replace(entry, meta={**entry.meta, "sha256": "0" * 64})

    monkeypatch.setattr(int8.Int8Artifacts, method, changed)


def renamed_recipe(monkeypatch):
    monkeypatch.setitem(quantize.RECIPES, "renamed", dataclasses.replace(quantize.RECIPES[BASE_RECIPE], name="renamed"))
    return {"recipe": "renamed"}


VARIATIONS = {
    "calib_method": lambda mp: {"calib_method": "minmax"},
    "calib_size": lambda mp: {"calib_size": 72},
    "recipe_name": renamed_recipe,
    **{f"recipe.{name}": recipe_variation(name) for name in RECIPE_ALTERNATIVES},
    "heavy_only_min_weights": lambda mp: mp.setitem(quantize.HEAVY_ONLY_MIN_WEIGHTS, MODEL, 100),
    "heavy_node_selection": lambda mp: mp.setattr(quantize, "heavy_nodes", lambda path, min_weights: []),
    "heavy_op_types": lambda mp: mp.setattr(quantize, "HEAVY_OP_TYPES", ("Gemm",)),
    "reader_batch": lambda mp: mp.setattr(ranges, "READER_BATCH", 8),
    "ranges_hash": lambda mp: other_parent_hash(mp, "ranges_entry"),
    "calibration_set_hash": lambda mp: other_parent_hash(mp, "calibration_entry"),
    "prepared_model_hash": lambda mp: other_parent_hash(mp, "prepared_entry"),
    "onnxruntime_version": lambda mp: mp.setattr(onnxruntime, "__version__", "99.0.0"),
}


def test_every_recipe_field_has_a_variation():
    fields = {field.name for field in dataclasses.fields(quantize.Recipe)} - {"name"}
    assert fields == set(RECIPE_ALTERNATIVES)


@pytest.mark.parametrize("variation", VARIATIONS)
def test_int8_key_changes_with_every_option(int8_entry, monkeypatch, variation):
    if variation == "ranges_hash" and not ranges.supports_calibration_cache():
        pytest.skip("this onnxruntime keeps no ranges")
    baseline = int8_entry()
    options = VARIATIONS[variation](monkeypatch) or {}
    changed = int8_entry(**options)
    assert changed.path != baseline.path and changed.built, f"the INT8 key ignores {variation}: the stale file was reused"


@pytest.mark.parametrize(
    ("library", "rebuilt", "reused"),
    [("onnxruntime", {"onnx-fp16"}, {"weights", "onnx-fp32"}), ("onnx", {"onnx-fp32", "onnx-fp16"}, {"weights"})],
    ids=["onnxruntime", "onnx"],
)
def test_a_library_upgrade_rebuilds_only_what_it_made(cache_root, monkeypatch, library, rebuilt, reused):
    log: list[str] = []
    ArtifactStore(ArtifactCache(cache_root)).precision_entry(MODEL, None, "fp16")
    monkeypatch.setattr(__import__(library), "__version__", "99.0.0")
    ArtifactStore(ArtifactCache(cache_root, progress=log.append)).precision_entry(MODEL, None, "fp16")
    built = {kind for kind in rebuilt | reused if any(line.startswith(f"building {kind} (") for line in log)}
    assert built == rebuilt


def test_weights_and_export_keys_name_only_their_own_libraries():
    assert {"torch"} <= trained_fields(MODEL).keys()
    assert {"torch", "torchvision"} <= recalibrated_fields("resnet18", 0, "photos").keys()
    for fields in (trained_fields(MODEL), recalibrated_fields("resnet18", 0, "photos")):
        assert not {"onnx", "onnxruntime", "onnxscript"} & fields.keys()
    assert {"torch", "onnx", "onnxscript"} <= export_fields(MODEL, "w", (1, 64)).keys()
    assert "onnxruntime" not in export_fields(MODEL, "w", (1, 64))
