"""`python -m accel trtexec-log`: a log in trtexec's format becomes the seed's summary JSON; bad
input is named. The sample log (also the README's example) is what the fake trtexec of tests/fakes
prints when it times an engine, checked here to stay so."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from accel.__main__ import main
from tests.fakes.trtexec import ENGINE_MAGIC, VERSION
from tests.test_trtexec import DISTINCT_SECTIONS, TRT_10_DISTINCT

FAKES = Path(__file__).resolve().parent / "fakes"
SAMPLE_LOG = FAKES / "trtexec-resnet18-fp16-b4.log"
# What trtexec prints between its banner and the summary: a warm-up count that is not the sample
# count, the sample count, and per-10-run averages whose "latency" must not be read as the summary's.
TRACE = """\
[12/28/2023-10:51:13] [I] Starting inference
[12/28/2023-10:51:13] [I] Warmup completed 5 queries over 200 ms
[12/28/2023-10:51:16] [I] Timing trace has 76 queries over 3.10731 s
[12/28/2023-10:51:16] [I]
[12/28/2023-10:51:16] [I] === Trace details ===
[12/28/2023-10:51:16] [I] Trace averages of 10 runs:
[12/28/2023-10:51:16] [I] Average on 10 runs - GPU latency: 40.1 ms - Host latency: 42.2 ms (enqueue 40.0 ms)
[12/28/2023-10:51:16] [I]
"""


def test_sample_log_is_what_the_fake_trtexec_prints(tmp_path):
    (tmp_path / "resnet18_fp16.plan").write_text(ENGINE_MAGIC + json.dumps({"version": VERSION, "shapes": {"input": [4, 3, 224, 224]}}))
    (tmp_path / "summary.txt").write_text(TRACE + TRT_10_DISTINCT)
    result = subprocess.run(
        [sys.executable, str(FAKES / "trtexec.py"), "--loadEngine=resnet18_fp16.plan", "--shapes=input:4x3x224x224", "--iterations=76"],
        capture_output=True, text=True, check=True, cwd=tmp_path, env={"FAKE_TRTEXEC_LOG": str(tmp_path / "summary.txt"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.stdout == SAMPLE_LOG.read_text()


@pytest.fixture
def trtexec_log(tmp_path):
    """A copy of the sample log, as a user's saved log would be."""
    log = tmp_path / "resnet18_fp16_trtexec.txt"
    log.write_text(SAMPLE_LOG.read_text())
    return log


def run(*argv):
    return main(["trtexec-log", *map(str, argv)])


def test_log_to_summary_json(trtexec_log, tmp_path, capsys):
    out = tmp_path / "results" / "resnet18_fp16_summary.json"
    assert run(trtexec_log, "--out", out, "--model", "resnet18", "--precision", "fp16", "--batch", 4) == 0
    summary = json.loads(out.read_text())
    latency = DISTINCT_SECTIONS["latency_ms"]
    assert summary["latency_ms"] == {**{key: latency[key] for key in ("p50", "p90", "p99", "p999", "min", "max", "mean")}, "n": 76}
    assert (summary["model"], summary["backend"], summary["precision"], summary["device"], summary["batch"]) == ("resnet18", "trtexec", "fp16", "cuda", 4)
    assert summary["throughput_qps"] == 24.4584 and summary["throughput_ips"] == pytest.approx(24.4584 * 4)
    assert summary["trt_version"] == "10.3.0" and summary["log"] == str(trtexec_log)
    assert summary["breakdown_ms"]["inference"] == {"p50": 40.3651, "p99": 46.7526}
    assert summary["device_latency_ms"] == DISTINCT_SECTIONS["gpu_compute_ms"]
    assert summary["enqueue_ms"] == DISTINCT_SECTIONS["enqueue_ms"]
    assert summary["command"] == f"python -m accel trtexec-log {trtexec_log} --out {out} --model resnet18 --precision fp16 --batch 4"
    assert "p50 42.4526 ms, p99 48.812 ms" in capsys.readouterr().out


def test_missing_log_is_named(tmp_path, capsys):
    out = tmp_path / "summary.json"
    assert run(tmp_path / "nope.txt", "--out", out, "--model", "resnet18", "--precision", "fp32", "--batch", 1) == 2
    assert "no such file" in (err := capsys.readouterr().err) and "nope.txt" in err and "Traceback" not in err
    assert not out.exists()


def test_log_without_a_summary_is_named(tmp_path, capsys):
    log = tmp_path / "failed_run.txt"  # what trtexec prints when the engine fails to load
    log.write_text("&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec --loadEngine=x.plan\n[E] x.plan is not an engine file\n"
                   "&&&& FAILED TensorRT.trtexec [TensorRT v100300] # trtexec --loadEngine=x.plan\n")  # fmt: skip
    assert run(log, "--out", tmp_path / "s.json", "--model", "resnet18", "--precision", "fp32", "--batch", 1) == 2
    err = capsys.readouterr().err
    assert str(log) in err and "no 'Throughput: ... qps' line" in err


def test_log_without_latency_line_is_named(trtexec_log, tmp_path, capsys):
    log = tmp_path / "no_latency.txt"
    log.write_text("\n".join(line for line in trtexec_log.read_text().splitlines() if "] Latency:" not in line))
    assert run(log, "--out", tmp_path / "s.json", "--model", "resnet18", "--precision", "fp32", "--batch", 1) == 2
    err = capsys.readouterr().err
    assert str(log) in err and "no 'Latency:' line" in err


@pytest.mark.parametrize(("option", "value", "message"), [("--precision", "half", "one of fp32, fp16, bf16, int8; got 'half'"),
                                                          ("--batch", "0", "`--batch` must be >= 1; got 0")])  # fmt: skip
def test_bad_options_are_named(trtexec_log, tmp_path, capsys, option, value, message):
    options = {"--model": "resnet18", "--precision": "fp16", "--batch": "1", option: value}
    assert run(trtexec_log, "--out", tmp_path / "s.json", *[item for pair in options.items() for item in pair]) == 2
    assert message in capsys.readouterr().err
