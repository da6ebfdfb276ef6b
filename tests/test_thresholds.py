import subprocess
import sys
from pathlib import Path

import pytest

from accel.errors import UsageError
from accel.matrix import MODELS, PRECISIONS
from accel.quality.thresholds import load_thresholds

ROOT = Path(__file__).resolve().parents[1]
CHECKED_IN = ROOT / "benchmarks" / "drift_thresholds.toml"


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
        ({"weights": "trained"}, "resnet18 runs with weights random, pretrained only; got 'trained'"),
        ({"model": "digits_cnn"}, "digits_cnn runs with weights trained only; got 'random'"),
        ({"extra": 'source = "x"\ncosine_max = 1.0\n'}, "unknown keys ['cosine_max']"),
        ({"extra": ""}, "needs a `source`"),
        ({"extra": 'source = "  "\n'}, "needs a `source`"),
        ({"extra": "source = 3\n"}, "needs a `source`"),
    ],
)
def test_bad_entries_are_named(tmp_path, fields, message):
    values = {"model": "resnet18", "precision": "int8", "weights": "random", "extra": 'source = "x"\n', **fields}
    path = tmp_path / "t.toml"
    path.write_text("[[threshold]]\n" + ENTRY.format(**values))
    with pytest.raises(UsageError) as info:
        load_thresholds(path, MODELS)
    assert message in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize(
    ("metric", "reason"),
    [
        ("cosine_min = nan", "must be a finite number"),
        ("max_abs = inf", "must be a finite number"),
        ('cosine_min = "0.99"', "must be a number; got '0.99' (str)"),
        ("top1_agreement = true", "must be a number; got True (bool)"),
        ("cosine_mean = { value = 0.9 }", "must be a number"),
        ("top1_agreement = 1.5", "must be in [0, 1]; got 1.5"),
        ("top5_overlap = 95", "must be in [0, 1]; got 95"),
        ("cosine_min = -0.1", "must be in [0, 1]; got -0.1"),
        ("max_abs = -0.5", "must be >= 0; got -0.5"),
    ],
)
def test_bad_values_name_file_line_key_and_reason(tmp_path, metric, reason):
    path = tmp_path / "t.toml"
    key = metric.split(" =")[0]
    path.write_text(f'# comment\n[[threshold]]\nmodel = "resnet18"\nprecision = "int8"\nweights = "random"\nsource = "x"\n{metric}\n')
    with pytest.raises(UsageError) as info:
        load_thresholds(path, MODELS)
    assert f"{path}:7: threshold #1 (resnet18/int8/random), key `{key}`: {reason}" in str(info.value)


def test_line_numbers_in_the_checked_in_file(tmp_path):
    lines = CHECKED_IN.read_text().splitlines()
    target = next(n for n, line in enumerate(lines) if line.startswith("cosine_mean ="))
    lines[target] = "cosine_mean = nan"
    path = tmp_path / "edited.toml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UsageError, match=rf"edited\.toml:{target + 1}: threshold #\d+ \(\w+/\w+/\w+\), key `cosine_mean`"):
        load_thresholds(path, MODELS)


VALID = '[[threshold]]\nmodel = "resnet18"\nprecision = "int8"\nweights = "random"\nsource = "x"\ncosine_min = 0.9\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected [[threshold]] entries (an array of tables); got nothing"),
        ("threshold = []\n", "no [[threshold]] entries"),
        (VALID.replace("[[threshold]]", "[threshold]"), "got one table with keys ['cosine_min', 'model', 'precision', 'source', 'weights']"),
        (VALID.replace("[[threshold]]", "[[thresholds]]"), "unknown top-level keys ['thresholds']"),
        ("cosine_min = 0.5\n" + VALID, "unknown top-level keys ['cosine_min']"),
        ("threshold = [1, 2]\n", "threshold #1 (?/?/?): must be a table"),
        (VALID.replace("[[threshold]]", "[[threshold.int8]]"), "got one table with keys ['int8']"),
        ('threshold = 0.9\n', "got 0.9"),
        (VALID + "[threshold.limits]\nmax_abs = 1.0\n", "unknown keys ['limits']"),
        (VALID.replace("cosine_min = 0.9\n", ""), "gates nothing: set at least one of"),
    ],
)
def test_wrong_shapes_are_usage_errors(tmp_path, text, message):
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as info:
        load_thresholds(path, MODELS)
    assert message in str(info.value) and str(path) in str(info.value)


def test_inline_entries_load_and_their_errors_name_no_wrong_line(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('threshold = [{model = "resnet18", precision = "int8", weights = "random", source = "x", max_abs = 2}]\n')
    assert load_thresholds(path, MODELS)[("resnet18", "int8", "random")].max_abs == 2.0
    path.write_text('threshold = [{model = "resnet18", precision = "int8", weights = "random", source = "x", max_abs = nan}]\n')
    with pytest.raises(UsageError, match=rf"^{path}: threshold #1 \(resnet18/int8/random\), key `max_abs`: must be a finite"):
        load_thresholds(path, MODELS)


def test_duplicates_missing_and_invalid_files(tmp_path):
    entry = "[[threshold]]\n" + ENTRY.format(model="resnet18", precision="int8", weights="random", extra='source = "x"\n')
    (tmp_path / "dup.toml").write_text(entry + entry)
    with pytest.raises(UsageError, match=r"dup\.toml:7: threshold #2 .*duplicate"):
        load_thresholds(tmp_path / "dup.toml", MODELS)
    with pytest.raises(UsageError, match="does not exist"):
        load_thresholds(tmp_path / "missing.toml", MODELS)
    (tmp_path / "bad.toml").write_text("[[threshold]\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_thresholds(tmp_path / "bad.toml", MODELS)


def test_wrong_shape_stops_the_suite_with_a_usage_error_not_an_internal_error(tmp_path):
    """Before: `[threshold]` (a table) crashed pytest_configure with an AttributeError, an INTERNALERROR."""
    path = tmp_path / "t.toml"
    path.write_text(VALID.replace("[[threshold]]", "[threshold]"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "benchmarks"), "-p", "no:cacheprovider", "--collect-only", "-q",
         "--drift-thresholds", str(path), "--models", "digits_mlp", "--backends", "torch", "--precisions", "fp32"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert f"ERROR: {path}: expected [[threshold]] entries" in result.stderr and "INTERNALERROR" not in result.stderr
