"""The trtexec log parser on summaries in the real formats of TensorRT 8.4, 8.6/10 and 7.x."""

import pytest

from accel.backends.tensorrt.trtexec_log import TrtexecLogError, benchmark_command, build_command, parse_log, record_fields

TRT_84 = """\
[09/11/2022-22:54:32] [I] === Performance summary ===
[09/11/2022-22:54:32] [I] Throughput: 1004.27 qps
[09/11/2022-22:54:32] [I] Latency: min = 1.17474 ms, max = 4.4541 ms, mean = 1.20348 ms, median = 1.1897 ms, percentile(99%) = 1.50061 ms
[09/11/2022-22:54:32] [I] Enqueue Time: min = 0.303711 ms, max = 4.79843 ms, mean = 0.336177 ms, median = 0.337891 ms, percentile(99%) = 0.387817 ms
[09/11/2022-22:54:32] [I] H2D Latency: min = 0.198151 ms, max = 0.228271 ms, mean = 0.201239 ms, median = 0.200623 ms, percentile(99%) = 0.213379 ms
[09/11/2022-22:54:32] [I] GPU Compute Time: min = 0.965637 ms, max = 4.24448 ms, mean = 0.993252 ms, median = 0.97998 ms, percentile(99%) = 1.29016 ms
[09/11/2022-22:54:32] [I] D2H Latency: min = 0.00549316 ms, max = 0.0202637 ms, mean = 0.00898109 ms, median = 0.00891113 ms, percentile(99%) = 0.0114746 ms
[09/11/2022-22:54:32] [I] Total Host Walltime: 3.0022 s
[09/11/2022-22:54:32] [I] Total GPU Compute Time: 2.99465 s
&&&& PASSED TensorRT.trtexec [TensorRT v8401] # ./tensorrt/bin/trtexec --loadEngine=yolov7-fp16-1x8x8.engine
"""

TRT_10 = """\
[12/28/2023-10:51:16] [I] === Performance summary ===
[12/28/2023-10:51:16] [I] Throughput: 24.4584 qps
[12/28/2023-10:51:16] [I] Latency: min = 39.4309 ms, max = 48.812 ms, mean = 42.6834 ms, median = 42.4526 ms, percentile(90%) = 45.2621 ms, percentile(95%) = 47.5834 ms, percentile(99%) = 48.812 ms
[12/28/2023-10:51:16] [I] Enqueue Time: min = 37.2709 ms, max = 49.4214 ms, mean = 40.5248 ms, median = 40.3695 ms, percentile(90%) = 44.2222 ms, percentile(95%) = 45.3137 ms, percentile(99%) = 49.4214 ms
[12/28/2023-10:51:16] [I] H2D Latency: min = 0.69458 ms, max = 0.765869 ms, mean = 0.743482 ms, median = 0.743408 ms, percentile(90%) = 0.750488 ms, percentile(95%) = 0.754883 ms, percentile(99%) = 0.765869 ms
[12/28/2023-10:51:16] [I] GPU Compute Time: min = 37.3687 ms, max = 46.7526 ms, mean = 40.6098 ms, median = 40.3651 ms, percentile(90%) = 43.1836 ms, percentile(95%) = 45.4991 ms, percentile(99%) = 46.7526 ms
[12/28/2023-10:51:16] [I] D2H Latency: min = 1.08813 ms, max = 1.42346 ms, mean = 1.33012 ms, median = 1.32031 ms, percentile(90%) = 1.37573 ms, percentile(95%) = 1.38623 ms, percentile(99%) = 1.42346 ms
[12/28/2023-10:51:16] [I] Total Host Walltime: 3.10731 s
&&&& PASSED TensorRT.trtexec [TensorRT v100300] # trtexec --loadEngine=model.plan
"""

# The TRT 10 format as `benchmark_command` asks for it (--percentile=90,95,99,99.9), numbers edited so
# that no two fields of a line are equal and no line repeats another: a field read into the wrong key
# (p90/p99 swapped, p99.9 written over p99, mean taken for the median) changes a value.
TRT_10_DISTINCT = """\
[12/28/2023-10:51:16] [I] === Performance summary ===
[12/28/2023-10:51:16] [I] Throughput: 24.4584 qps
[12/28/2023-10:51:16] [I] Latency: min = 39.4309 ms, max = 49.9013 ms, mean = 42.6834 ms, median = 42.4526 ms, percentile(90%) = 45.2621 ms, percentile(95%) = 47.5834 ms, percentile(99%) = 48.812 ms, percentile(99.9%) = 49.7705 ms
[12/28/2023-10:51:16] [I] Enqueue Time: min = 37.2709 ms, max = 49.6611 ms, mean = 40.5248 ms, median = 40.3695 ms, percentile(90%) = 44.2222 ms, percentile(95%) = 45.3137 ms, percentile(99%) = 49.4214 ms, percentile(99.9%) = 49.5502 ms
[12/28/2023-10:51:16] [I] H2D Latency: min = 0.69458 ms, max = 0.781006 ms, mean = 0.743482 ms, median = 0.743408 ms, percentile(90%) = 0.750488 ms, percentile(95%) = 0.754883 ms, percentile(99%) = 0.765869 ms, percentile(99.9%) = 0.77417 ms
[12/28/2023-10:51:16] [I] GPU Compute Time: min = 37.3687 ms, max = 47.9932 ms, mean = 40.6098 ms, median = 40.3651 ms, percentile(90%) = 43.1836 ms, percentile(95%) = 45.4991 ms, percentile(99%) = 46.7526 ms, percentile(99.9%) = 47.6203 ms
[12/28/2023-10:51:16] [I] D2H Latency: min = 1.08813 ms, max = 1.45117 ms, mean = 1.33012 ms, median = 1.32031 ms, percentile(90%) = 1.37573 ms, percentile(95%) = 1.38623 ms, percentile(99%) = 1.42346 ms, percentile(99.9%) = 1.44019 ms
[12/28/2023-10:51:16] [I] Total Host Walltime: 3.10731 s
&&&& PASSED TensorRT.trtexec [TensorRT v100300] # trtexec --loadEngine=model.plan --percentile=90,95,99,99.9
"""
DISTINCT_SECTIONS = {
    "latency_ms": {"min": 39.4309, "max": 49.9013, "mean": 42.6834, "p50": 42.4526, "p90": 45.2621, "p95": 47.5834, "p99": 48.812, "p999": 49.7705},
    "enqueue_ms": {"min": 37.2709, "max": 49.6611, "mean": 40.5248, "p50": 40.3695, "p90": 44.2222, "p95": 45.3137, "p99": 49.4214, "p999": 49.5502},
    "h2d_ms": {"min": 0.69458, "max": 0.781006, "mean": 0.743482, "p50": 0.743408, "p90": 0.750488, "p95": 0.754883, "p99": 0.765869, "p999": 0.77417},
    "gpu_compute_ms": {"min": 37.3687, "max": 47.9932, "mean": 40.6098, "p50": 40.3651, "p90": 43.1836, "p95": 45.4991, "p99": 46.7526, "p999": 47.6203},
    "d2h_ms": {"min": 1.08813, "max": 1.45117, "mean": 1.33012, "p50": 1.32031, "p90": 1.37573, "p95": 1.38623, "p99": 1.42346, "p999": 1.44019},
}  # fmt: skip

TRT_7 = """\
[I] Throughput: 5947.16 qps
[I] Latency: min = 0.161621 ms, max = 0.233398 ms, mean = 0.164381 ms, median = 0.163818 ms, percentile: 0.202759 ms at 99%
[I] GPU Compute Time: min = 0.161621 ms, max = 0.233398 ms, mean = 0.164381 ms, median = 0.163818 ms, percentile: 0.202759 ms at 99%
"""


def test_trt_84_format():
    summary = parse_log(TRT_84)
    assert summary.throughput_qps == 1004.27 and summary.trt_version == "8.4.1"
    assert summary.sections["latency_ms"] == {"min": 1.17474, "max": 4.4541, "mean": 1.20348, "p50": 1.1897, "p99": 1.50061}
    assert summary.sections["gpu_compute_ms"]["p50"] == 0.97998
    assert summary.sections["h2d_ms"]["p99"] == 0.213379 and summary.sections["d2h_ms"]["mean"] == 0.00898109
    assert summary.sections["enqueue_ms"]["p50"] == 0.337891


def test_trt_10_format_with_three_percentiles():
    summary = parse_log(TRT_10)
    assert summary.trt_version == "10.3.0"
    latency = summary.sections["latency_ms"]
    assert (latency["p90"], latency["p95"], latency["p99"]) == (45.2621, 47.5834, 48.812)
    fields = record_fields(summary, batch=8)
    assert fields["throughput_ips"] == pytest.approx(24.4584 * 8)
    assert fields["latency_ms"]["p50"] == 42.4526
    assert set(fields["breakdown_ms"]) == {"h2d", "inference", "d2h"}
    assert fields["breakdown_ms"]["inference"] == {"p50": 40.3651, "p99": 46.7526}


def test_every_field_maps_to_its_own_number():
    numbers = [value for section in DISTINCT_SECTIONS.values() for value in section.values()]
    assert len(set(numbers)) == len(numbers)  # the sample itself: no two fields share a number
    summary = parse_log(TRT_10_DISTINCT)
    assert summary.sections == DISTINCT_SECTIONS


def test_record_takes_each_statistic_from_its_own_field():
    fields = record_fields(parse_log(TRT_10_DISTINCT), batch=4)
    latency = DISTINCT_SECTIONS["latency_ms"]
    assert fields["latency_ms"] == {key: latency[key] for key in ("p50", "p90", "p99", "p999", "min", "max", "mean")}
    assert fields["breakdown_ms"] == {
        "h2d": {"p50": 0.743408, "p99": 0.765869},
        "inference": {"p50": 40.3651, "p99": 46.7526},
        "d2h": {"p50": 1.32031, "p99": 1.42346},
    }
    assert fields["device_latency_ms"] == DISTINCT_SECTIONS["gpu_compute_ms"]
    assert fields["enqueue_ms"] == DISTINCT_SECTIONS["enqueue_ms"]


def test_trt_7_percentile_form():
    summary = parse_log(TRT_7)
    assert summary.sections["latency_ms"]["p99"] == 0.202759 and summary.trt_version is None


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("Throughput", "no 'Throughput: ... qps' line"),
        ("GPU Compute Time", "no 'GPU Compute Time:' line"),
        ("] Latency", "no 'Latency:' line"),
    ],
)
def test_missing_fields_are_named(drop, message):
    log = "\n".join(line for line in TRT_10.splitlines() if drop not in line)
    with pytest.raises(TrtexecLogError, match=message):
        parse_log(log)


def test_missing_percentile_is_named():
    log = TRT_84.replace(", percentile(99%) = 1.50061 ms", "")
    with pytest.raises(TrtexecLogError, match="'Latency' line has no percentile"):
        parse_log(log)


def test_commands(tmp_path):
    build = build_command(tmp_path / "m.onnx", tmp_path / "m.plan", "int8", True, "input", (8, 3, 224, 224), 2048, 3, tmp_path / "t.cache")
    assert "--stronglyTyped" in build and "--shapes=input:8x3x224x224" in build and "--memPoolSize=workspace:2048M" in build
    assert "--int8" not in build and "--fp16" not in build
    bench = benchmark_command(tmp_path / "m.plan", "input", (1, 3, 224, 224), 500, 1000, cuda_graph=True)
    assert bench[0] == "trtexec" and "--useCudaGraph" in bench and "--iterations=1000" in bench and "--warmUp=500" in bench
    assert "--percentile=90,95,99,99.9" in bench  # the percentiles the record's p90, p99 and p999 read
