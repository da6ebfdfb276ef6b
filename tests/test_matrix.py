import pytest

from accel import matrix
from accel.backends.registry import skip_reason
from accel.errors import UsageError


def test_default_selection_is_the_cpu_matrix():
    selection = matrix.parse_selection()
    combos = matrix.combinations(selection)
    # 5 models x (torch fp32/bf16 + onnxruntime fp32/fp16/int8 + openvino fp32/fp16/bf16/int8)
    # x batches 1, 8, plus the one FPGA row
    assert len(combos) == 5 * 9 * 2 + 1
    assert {c.precision for c in combos if c.backend == "openvino"} == {"fp32", "fp16", "bf16", "int8"}
    assert {c.device for c in combos} == {"cpu", "fpga"}
    assert [c.test_id for c in combos if c.backend == "fpga"] == ["digits_mlp-fpga-int8-fpga-b1"]
    assert not any(c.backend == "torch" and c.precision == "fp16" for c in combos)  # pathological on CPU
    assert {c.input_size for c in combos if c.model.startswith("digits") and c.backend != "fpga"} == {8}


def test_input_size_sweep_only_for_imagenet_models():
    combos = matrix.combinations(matrix.parse_selection(models="resnet18,digits_mlp", input_size="160,224", precisions="fp32"))
    assert {(c.model, c.input_size) for c in combos} == {("resnet18", 160), ("resnet18", 224), ("digits_mlp", 8)}
    assert matrix.Combination("digits_mlp", "torch", "fp32", "cpu", 1, 8).test_id == "digits_mlp-torch-fp32-cpu-b1"


def test_readable_ids():
    combo = matrix.Combination("resnet18", "onnxruntime", "fp32", "cpu", 1)
    assert combo.test_id == "resnet18-onnxruntime-fp32-cpu-b1"
    assert matrix.Combination("resnet18", "torch", "fp32", "cpu", 8, 160).test_id == "resnet18-torch-fp32-cpu-b8-s160"


def test_narrowing():
    selection = matrix.parse_selection(models="resnet18", backends="torch", batch="1,4,4", input_size="160,224", precisions="fp32")
    combos = matrix.combinations(selection)
    assert [(c.batch, c.input_size) for c in combos] == [(1, 160), (4, 160), (1, 224), (4, 224)]


@pytest.mark.parametrize(
    ("kwargs", "option", "bad"),
    [
        ({"models": "resnet18,vgg"}, "--models", "vgg"),
        ({"backends": "tensorflow"}, "--backends", "tensorflow"),
        ({"device": "gpu"}, "--device", "gpu"),
        ({"precisions": "fp64"}, "--precisions", "fp64"),
    ],
)
def test_unknown_names_list_valid_values(kwargs, option, bad):
    with pytest.raises(UsageError) as info:
        matrix.parse_selection(**kwargs)
    message = str(info.value)
    assert option in message and repr(bad) in message and "must be one of" in message


@pytest.mark.parametrize("text", ["0", "-1", "two", "1,x"])
def test_bad_batches(text):
    with pytest.raises(UsageError, match="--batch"):
        matrix.parse_selection(batch=text)


def test_all_keyword_and_auto_device():
    assert matrix.parse_selection(models="all").models == matrix.MODELS
    assert matrix.parse_selection(device="auto", cuda_present=True).devices == ("cpu", "cuda", "fpga")
    assert matrix.parse_selection(device=None, cuda_present=False).devices == ("cpu", "fpga")


def test_cuda_rows_generated_and_skipped_without_gpu(monkeypatch):
    from accel.backends import registry

    monkeypatch.setattr(registry, "cuda_available", lambda: False)
    combos = matrix.combinations(matrix.parse_selection(device="cuda", models="resnet18"))
    assert combos, "an explicit --device cuda must still generate rows"
    assert all("no CUDA device" in skip_reason(c) for c in combos)


def test_cpu_rows_runnable_here():
    combo = matrix.Combination("resnet18", "onnxruntime", "fp32", "cpu", 1)
    assert skip_reason(combo) is None


def test_no_rows_reason_names_a_backends_models_and_batch_limit():
    reason = matrix.no_rows_reason(matrix.Selection(models=("resnet18",), backends=("fpga",), devices=("fpga",), batches=(8,)), ["fpga"])
    assert reason == ("no rows in this selection (--backends fpga --models resnet18 --device fpga --precisions fp32,fp16,bf16,int8 --batch 8): "
                      "fpga runs fpga int8 on digits_mlp at batch <= 1")  # fmt: skip
