from pathlib import Path

import pytest

from accel.errors import UsageError
from accel.matrix import MODELS, PRECISIONS
from accel.quality.thresholds import load_thresholds

CHECKED_IN = Path(__file__).resolve().parents[1] / "benchmarks" / "drift_thresholds.toml"


def test_checked_in_file_covers_every_gated_row():
    table = load_thresholds(CHECKED_IN, MODELS)
    for model in MODELS:
        kinds = ("trained",) if model.startswith("digits") else ("random", "pretrained")
        for kind in kinds:
            for precision in set(PRECISIONS) - {"fp32"}:
                assert (model, precision, kind) in table, (model, precision, kind)
    assert all(threshold.source for threshold in table.values())


ENTRY = 'model = "{model}"\nprecision = "{precision}"\nweights = "{weights}"\ncosine_min = 0.9\n{extra}'


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"model": "vgg16"}, "unknown model 'vgg16'; valid: resnet18"),
        ({"precision": "fp64"}, "precision must be one of fp16, bf16, int8; got 'fp64'"),
        ({"weights": "imagenet"}, "weights must be one of random, pretrained, trained"),
        ({"extra": 'source = "x"\ncosine_max = 1.0\n'}, "unknown keys ['cosine_max']"),
        ({"extra": ""}, "needs a `source`"),
    ],
)
def test_bad_entries_are_named(tmp_path, fields, message):
    values = {"model": "resnet18", "precision": "int8", "weights": "random", "extra": 'source = "x"\n', **fields}
    path = tmp_path / "t.toml"
    path.write_text("[[threshold]]\n" + ENTRY.format(**values))
    with pytest.raises(UsageError) as info:
        load_thresholds(path, MODELS)
    assert message in str(info.value) and str(path) in str(info.value)


def test_duplicates_missing_and_invalid_files(tmp_path):
    entry = "[[threshold]]\n" + ENTRY.format(model="resnet18", precision="int8", weights="random", extra='source = "x"\n')
    (tmp_path / "dup.toml").write_text(entry + entry)
    with pytest.raises(UsageError, match="duplicate"):
        load_thresholds(tmp_path / "dup.toml", MODELS)
    with pytest.raises(UsageError, match="does not exist"):
        load_thresholds(tmp_path / "missing.toml", MODELS)
    (tmp_path / "bad.toml").write_text("[[threshold]\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_thresholds(tmp_path / "bad.toml", MODELS)
