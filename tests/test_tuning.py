"""Tuning: the space each backend declares, the variants measured, the winner rule, the tuning
file, and how a tuned config reaches the runner and the record."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from accel.backends.onnxruntime.session import cuda_provider_options, session_options
from accel.backends.openvino.plugin import compile_config
from accel.backends.registry import runner_key
from accel.backends.torch.fold import fold_batchnorm
from accel.errors import UsageError
from accel.matrix import BACKENDS, Combination
from accel.measure.record import RecordContractError, Timing, benchmark_record, check_record
from accel.measure.report import config_cell
from accel.measure.stats import Stats
from accel.quality.drift import DriftGateError
from accel.quality.gates import assess, enforce
from accel.tuning.file import TuningFile, Tuned, open_tuning
from accel.tuning.search import MIN_GAIN, Variant, choose, interleaved_samples, tune_row
from accel.tuning.space import variants
from tests.fakes.runner import EchoRunner

ORT_CPU = Combination("resnet18", "onnxruntime", "fp32", "cpu", 1)
TORCH_CUDA = Combination("resnet18", "torch", "fp16", "cuda", 1)


def test_every_timed_backend_but_trtexec_and_fpga_declares_a_space():
    spaced = {name for name, spec in BACKENDS.items() if spec.tuning}
    assert spaced == {name for name, spec in BACKENDS.items() if spec.timed_by_runner}
    for spec in BACKENDS.values():
        for device, knobs in spec.tuning.items():
            assert device in spec.precisions_by_device
            assert all(len(values) >= 2 and len(set(map(repr, values))) == len(values) for values in knobs.values())


def test_variants_are_the_default_then_every_other_grid_point():
    found = variants(ORT_CPU)
    assert found[0].config == () and len(found) == 2 * 2 * 3
    assert len({combo.config for combo in found}) == len(found)
    assert all(combo.test_id == ORT_CPU.test_id for combo in found)
    # a config names only the knobs it moves off their default
    assert (("intra_op_threads", 1),) in [combo.config for combo in found]
    assert all(dict(combo.config).get("execution_mode") != "sequential" for combo in found)


def test_knobs_are_the_config_over_the_defaults():
    assert ORT_CPU.knobs == {"intra_op_threads": 0, "execution_mode": "sequential", "graph_optimization_level": "all"}
    tuned = ORT_CPU.with_config({"graph_optimization_level": "basic"})
    assert tuned.knobs["graph_optimization_level"] == "basic" and tuned.knobs["intra_op_threads"] == 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"prefer_nhwc": True}, "has no knob 'prefer_nhwc'"),  # a CUDA knob on a CPU row
        ({"intra_op_threads": 3}, "must be one of 0, 1; got 3"),
        ({"intra_op_threads": True}, "got True"),  # True == 1 in Python, but not a thread count
    ],
)
def test_configs_outside_the_space_are_refused(settings, message):
    with pytest.raises(UsageError, match=message):
        ORT_CPU.with_config(settings, source="tuning.json")


def test_rows_with_different_configs_never_share_a_runner():
    assert runner_key(ORT_CPU) != runner_key(ORT_CPU.with_config({"intra_op_threads": 1}))
    assert runner_key(ORT_CPU) == runner_key(ORT_CPU.with_config({}))


def variant(samples_ms, config=None, rejected=None):
    return Variant(config or {}, Stats(np.asarray(samples_ms) * 1e-3), rejected)


def spread(center, n=400, width=0.01):
    return center * (1 + np.linspace(-width, width, n))


def test_the_default_keeps_its_place_unless_clearly_beaten():
    default = variant(spread(10.0))
    assert choose([default, variant(spread(9.0), {"a": 1})]).config == {"a": 1}
    assert choose([default, variant(spread(10.0 * (1 - MIN_GAIN)), {"a": 1})]).config == {"a": 1}  # exactly the gain: enough
    # just under the minimum gain: the default stays, however separated the intervals
    assert choose([default, variant(spread(10.0 * (1 - MIN_GAIN) + 0.01), {"a": 1})]) is default
    # faster at p50 but too noisy to tell apart: intervals overlap
    assert choose([default, variant(spread(9.0, n=30, width=0.5), {"a": 1})]) is default
    # a rejected variant never wins, however fast
    assert choose([default, variant(spread(1.0), {"a": 1}, rejected="drift")]) is default


def test_interleaved_samples_take_blocks_in_turn_and_skip_warmup():
    calls = []
    targets = [lambda: calls.append("a"), lambda: calls.append("b")]
    samples = interleaved_samples(targets, rounds=5, warmup=1, block=2)
    assert [len(s) for s in samples] == [5, 5]
    assert "".join(calls) == "ab" + "aabb" + "aabb" + "ab"


class FakeRunner(EchoRunner):
    closed_configs: list = []

    def close(self):
        FakeRunner.closed_configs.append(self.combo.config)


def test_tune_row_rejects_broken_variants_and_closes_every_runner():
    FakeRunner.closed_configs = []
    combos = variants(Combination("digits_mlp", "openvino", "fp32", "cpu", 1, 8))
    assert len(combos) == 4

    def create(combo):
        if dict(combo.config).get("num_streams") == 1 and "performance_hint" not in dict(combo.config):
            raise RuntimeError("streams refused")
        return FakeRunner(combo)

    def judge(runner):
        return "drift too large" if dict(runner.combo.config).get("performance_hint") == "THROUGHPUT" else None

    winner, found = tune_row(combos, create, judge, np.zeros((1, 64), np.float32), rounds=10, warmup=0, progress=lambda _: None)
    assert winner is found[0]
    assert [v.rejected for v in found] == [None, "drift too large", "RuntimeError: streams refused", "drift too large"]
    assert [v.stats is not None for v in found] == [True, False, False, False]
    assert sorted(map(str, FakeRunner.closed_configs)) == sorted(map(str, [c.config for c in combos if dict(c.config) != {"num_streams": 1}]))


def test_a_variant_that_is_the_default_under_another_name_is_never_built_twice():
    """channels_last 'auto' resolves to 'on' for a CUDA fp16 conv row: the 'on' variant is the
    default again and must be neither judged nor prepared (a second torch.compile)."""
    combos = variants(Combination("resnet18", "torch-compile-cudagraph", "fp16", "cuda", 1))
    assert [dict(c.config) for c in combos] == [{}, {"channels_last": "on"}, {"channels_last": "off"}]
    judged, prepared = [], []

    class AutoIsOn(FakeRunner):
        def effective_knobs(self):
            return {"channels_last": "on" if self.combo.knobs["channels_last"] in ("auto", "on") else "off"}

        def prepare(self, batch):
            prepared.append(dict(self.combo.config))

    def judge(runner):
        judged.append(dict(runner.combo.config))

    FakeRunner.closed_configs = []
    winner, found = tune_row(combos, AutoIsOn, judge, np.zeros((1, 64), np.float32), rounds=4, warmup=0, progress=lambda _: None)
    assert [v.rejected for v in found] == [None, "same configuration as default", None]
    assert judged == prepared == [{}, {"channels_last": "off"}]
    assert len(FakeRunner.closed_configs) == 3


def test_torch_runners_resolve_channels_last_auto():
    from accel.backends.torch.eager import TorchEagerRunner

    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3))
    for config, layout, expected in [({}, True, "on"), ({}, False, "off"), ({"channels_last": "off"}, False, "off")]:
        runner = TorchEagerRunner(Combination("resnet18", "torch", "fp32", "cpu", 1).with_config(config), module, layout)
        assert runner.effective_knobs() == {"channels_last": expected, "fold_bn": False}
    assert EchoRunner(ORT_CPU).effective_knobs() == ORT_CPU.knobs


def test_tune_row_refuses_a_default_that_fails_its_gate():
    FakeRunner.closed_configs = []
    combos = variants(Combination("digits_mlp", "openvino", "fp32", "cpu", 1, 8))
    with pytest.raises(ValueError, match="untuned default fails its quality gate"):
        tune_row(combos, FakeRunner, lambda runner: "drift", np.zeros((1, 64), np.float32), 5, 0, lambda _: None)


def test_tuning_file_round_trip_per_machine(tmp_path):
    path = tmp_path / "tuning.json"
    tuning = TuningFile(path)
    tuning.put("machine-a", {"cpu_model": "A"}, ORT_CPU.test_id, {"config": {"intra_op_threads": 1}, "speedup": 1.2})
    tuning.put("machine-b", {"cpu_model": "B"}, ORT_CPU.test_id, {"config": {"execution_mode": "parallel"}})
    reread = TuningFile(path)
    assert reread.apply(ORT_CPU, "machine-a").config == (("intra_op_threads", 1),)
    assert reread.apply(ORT_CPU, "machine-b").config == (("execution_mode", "parallel"),)
    assert reread.apply(ORT_CPU, "machine-c") == ORT_CPU  # never tuned on this machine: untuned
    assert reread.apply(Combination("resnet18", "onnxruntime", "int8", "cpu", 1), "machine-a").config == ()  # another row
    tuned = Tuned(reread, "machine-c")
    assert "no section for this machine" in tuned.summary([ORT_CPU])
    other = Combination("mobilenet_v3_small", "onnxruntime", "fp32", "cpu", 1)
    assert Tuned(reread, "machine-a").summary([ORT_CPU, other]) == f"tuning: 1 of 2 rows run tuned configs from {path}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"format": 0, "machines": {}}), "not a tuning file of format 1"),
        (json.dumps({"format": 1, "machines": {"k": {"rows": {"x": {}}}}}), "machine k has no 'rows'"),
    ],
)
def test_bad_tuning_files_are_named(tmp_path, text, message):
    path = tmp_path / "tuning.json"
    path.write_text(text)
    with pytest.raises(UsageError, match=f"--tuning {path}: .*{message}"):
        TuningFile(path)


def test_a_config_the_space_does_not_allow_names_the_file(tmp_path):
    path = tmp_path / "tuning.json"
    TuningFile(path).put("m", {}, ORT_CPU.test_id, {"config": {"intra_op_threads": 7}})
    with pytest.raises(UsageError, match=f"--tuning {path}: resnet18-onnxruntime-fp32-cpu-b1 knob intra_op_threads"):
        TuningFile(path).apply(ORT_CPU, "m")


def test_open_tuning(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCEL_CACHE_DIR", str(tmp_path))
    assert open_tuning("off") is None and open_tuning("auto") is None  # no file yet: untuned, no error
    TuningFile(tmp_path / "tuning.json").put("m", {}, ORT_CPU.test_id, {"config": {}})
    assert open_tuning("auto").path == tmp_path / "tuning.json"
    with pytest.raises(UsageError, match="`--tuning` /nonexistent.json: no such file"):
        open_tuning("/nonexistent.json")


def test_a_batch_without_its_own_entry_runs_the_nearest_tuned_batch(tmp_path):
    tuning = TuningFile(tmp_path / "tuning.json")
    row = Combination("resnet18", "onnxruntime-cudagraph", "fp16", "cuda", 1)
    tuning.put("m", {}, row.test_id, {"config": {"prefer_nhwc": True}})
    tuning.put("m", {}, replace(row, batch=256).test_id, {"config": {"cudnn_conv_algo_search": "HEURISTIC"}})
    tuning.put("m", {}, replace(row, precision="fp32", batch=16).test_id, {"config": {"prefer_nhwc": False}})  # another precision
    at = {batch: tuning.apply(replace(row, batch=batch), "m") for batch in (1, 8, 15, 16, 17, 32, 128, 256, 512)}
    # log2 distance: 8 is 3 from 1 and 5 from 256; 16 is exactly between 1 and 256 (tie: the larger); 17 and up nearer 256
    assert {b: c.tuned_from.rsplit("-", 1)[1] for b, c in at.items()} == {
        1: "b1", 8: "b1", 15: "b1", 16: "b256", 17: "b256", 32: "b256", 128: "b256", 256: "b256", 512: "b256"}
    assert at[8].config == (("prefer_nhwc", True),) and at[32].config == (("cudnn_conv_algo_search", "HEURISTIC"),)
    assert tuning.apply(replace(row, model="efficientnet_b0", batch=8), "m").config == ()  # another model
    tuning.put("m", {}, replace(row, model="efficientnet_b0", batch=4).test_id, {"config": {"prefer_nhwc": True}})
    assert tuning.apply(replace(row, model="efficientnet_b0", batch=8), "m").tuned_from.endswith("-b4")  # b0 of its name is no batch
    assert tuning.apply(replace(row, batch=8, preprocess="torchvision-cuda"), "m").config == ()  # another row id
    assert tuning.apply(replace(row, batch=8), "other-machine").config == ()
    summary = Tuned(tuning, "m").summary([row, replace(row, batch=8), replace(row, model="mobilenet_v3_small")])
    assert summary.endswith("2 of 3 rows run tuned configs from " + str(tmp_path / "tuning.json") + " (1 of them the config of the nearest tuned batch)")
    assert config_cell(record_for(at[8])) == "tuned at b1: prefer_nhwc=True"
    assert config_cell(record_for(at[256])) == "tuned: cudnn_conv_algo_search=HEURISTIC"
    assert record_for(at[8])["config"]["tuned_from"] == row.test_id


def record_for(combo):
    timing = Timing.from_samples([0.001, 0.002], 1)
    return benchmark_record(combo, "inference", "random", timing, dict.fromkeys(("runner_rss_mb", "peak_rss_above_baseline_mb",
                            "process_peak_rss_mb", "rss_scoped", "runner_device_mb", "peak_device_above_baseline_mb")), {}, 0)  # fmt: skip


def test_records_carry_the_config_they_ran():
    tuned = record_for(ORT_CPU.with_config({"intra_op_threads": 1}))
    assert tuned["config"] == {"knobs": {**ORT_CPU.knobs, "intra_op_threads": 1}, "tuned": {"intra_op_threads": 1}, "tuned_from": None}
    assert config_cell(tuned) == "tuned: intra_op_threads=1"
    assert config_cell(record_for(ORT_CPU)) == "default"
    assert config_cell(record_for(Combination("digits_mlp", "fpga", "int8", "fpga", 1, 8))) == "-"
    del tuned["config"]
    with pytest.raises(RecordContractError, match="missing \\['config'\\]"):
        check_record(tuned)


def test_ort_knobs_reach_the_session_and_the_provider():
    import onnxruntime

    options = session_options(None, {"graph_optimization_level": "basic", "execution_mode": "parallel", "intra_op_threads": 1})
    assert options.graph_optimization_level == onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    assert options.execution_mode == onnxruntime.ExecutionMode.ORT_PARALLEL and options.intra_op_num_threads == 1
    assert session_options(3, {"intra_op_threads": 0}).intra_op_num_threads == 3  # 0: --threads decides
    assert session_options(None).graph_optimization_level == onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    provider = cuda_provider_options(None, False, {"prefer_nhwc": True, "cudnn_conv_algo_search": "HEURISTIC"})
    assert provider["prefer_nhwc"] == "1" and provider["cudnn_conv_algo_search"] == "HEURISTIC"
    assert "prefer_nhwc" not in cuda_provider_options(None, False, TORCH_CUDA.__class__("resnet18", "onnxruntime", "fp16", "cuda", 1).knobs)


def test_openvino_knobs_reach_the_compile_config():
    assert compile_config("fp32", None, "THROUGHPUT", 1) == {"PERFORMANCE_HINT": "THROUGHPUT", "INFERENCE_PRECISION_HINT": "f32", "NUM_STREAMS": "1"}
    assert "NUM_STREAMS" not in compile_config("fp32", None, "LATENCY", 0)


def test_fold_bn_removes_batchnorm_and_keeps_the_output():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.ReLU()).eval()
    net[1].running_mean.uniform_(-1, 1)
    net[1].running_var.uniform_(0.5, 2)
    folded = fold_batchnorm(net)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())  # the original is untouched
    x = torch.randn(2, 3, 16, 16)
    torch.testing.assert_close(folded(x), net(x), rtol=1e-5, atol=1e-5)


REFERENCE = np.eye(4, 10) * 5 + 0.1
LABELS = np.arange(4)
NAMES = [f"img{i}" for i in range(4)]


def test_tuned_fp32_rows_are_held_to_rounding():
    same = assess(REFERENCE.copy(), LABELS, REFERENCE, "fp32", NAMES, tuned=True)
    enforce(same, None, None, "fp32", "row", "t.toml", tuned=True)  # identical output is fine for a tuned fp32 row
    assert assess(REFERENCE.copy(), LABELS, REFERENCE, "fp32", NAMES).drift is None  # untuned fp32: nothing to compare
    off = REFERENCE.copy()
    off[2, 3] += 1.0  # cosine of row 2 drops to ~0.98
    with pytest.raises(DriftGateError, match="cosine_min=0.9"):
        enforce(assess(off, LABELS, REFERENCE, "fp32", NAMES, tuned=True), None, None, "fp32", "row", "t.toml", tuned=True)
