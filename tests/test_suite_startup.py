"""Bad inputs stop the suite at startup, before any row runs; results files are never lost or clobbered."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ROW = ["--models", "resnet18", "--backends", "onnxruntime", "--precisions", "fp32", "--batch", "1", "--collect-only", "-q"]


def collect(tmp_path, *args, **env):
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "benchmarks"), "-p", "no:cacheprovider", *ROW, *args],
        cwd=tmp_path, env={**os.environ, "ACCEL_CACHE_DIR": str(tmp_path / "cache"), **env},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def photos(folder, count):
    folder.mkdir()
    for index in range(count):
        Image.fromarray(np.full((40, 50, 3), index, np.uint8)).save(folder / f"{index}.png")
    return folder


def test_corrupt_image_is_a_usage_error_naming_it(tmp_path):
    (photos(tmp_path / "images", 3) / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    result = collect(tmp_path, "--images", str(tmp_path / "images"))
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "broken.jpg' cannot be decoded" in result.stderr


def test_skip_warns_once_per_bad_image(tmp_path):
    (photos(tmp_path / "images", 3) / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    result = collect(tmp_path, "--images", str(tmp_path / "images"), "--on-bad-image", "skip")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (result.stdout + result.stderr).count("left out image") == 1


def test_set_too_small_for_the_evaluation_split(tmp_path):
    result = collect(tmp_path, "--images", str(photos(tmp_path / "images", 2)))
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "need at least 3 decodable images" in result.stderr and "found 2" in result.stderr


def test_val_dir_without_pretrained_weights_is_named(tmp_path):
    result = collect(tmp_path, "--val-dir", str(tmp_path))
    assert result.returncode == 0 and "--val-dir is ignored with --weights random" in result.stdout + result.stderr


def test_wrong_pretrained_checkpoint_is_a_usage_error(tmp_path):
    checkpoints = tmp_path / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "resnet18-f37072fd.pth").write_bytes(b"not resnet18")
    result = collect(tmp_path, "--weights", "pretrained", TORCH_HOME=str(tmp_path / "torch"))
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "is not the resnet18 checkpoint torchvision published" in result.stderr


def run_suite(tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "benchmarks"), "-p", "no:cacheprovider", *args],
        cwd=tmp_path, env={**os.environ, "ACCEL_CACHE_DIR": str(tmp_path / "cache")}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--benchmark-json", "/nonexistent/x/out.json"], "the folder /nonexistent/x does not exist"),
     (["--benchmark-json", "results.md"], "give the JSON a .json name"),
     (["--device", "fpga", "--fpga-clock-mhz", "0"], "`--fpga-clock-mhz`"),
     (["--rounds", "0"], "`--rounds` must be >= 1")],
)  # fmt: skip
def test_bad_options_fail_at_startup(tmp_path, args, message):
    result = run_suite(tmp_path, "--models", "digits_mlp", "--collect-only", "-q", *args)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout[-2000:] + result.stderr[-2000:]
    assert message in result.stderr


def test_a_selection_without_rows_says_which_devices_the_backend_runs_on(tmp_path):
    # torch-compile has no CPU rows: pytest's empty parameter set once crashed the row grouping
    result = run_suite(tmp_path, "--models", "digits_mlp", "--backends", "torch-compile", "--device", "cpu", "--precisions", "fp32",
                       "-k", "test_inference", "--rounds", "1", "-rs")  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "INTERNALERROR" not in result.stdout + result.stderr
    assert ("no rows in this selection (--backends torch-compile --models digits_mlp --device cpu --precisions fp32 --batch 1,8): "
            "torch-compile runs cuda fp32/fp16/bf16") in result.stdout  # fmt: skip


def test_the_table_never_replaces_a_file_the_suite_did_not_write(tmp_path):
    (tmp_path / "notes.md").write_text("my notes")
    result = run_suite(tmp_path, "--models", "digits_mlp", "--collect-only", "-q", "--benchmark-json", "notes.json")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR and "notes.md exists and was not written by accel-bench" in result.stderr
    assert (tmp_path / "notes.md").read_text() == "my notes"


@pytest.mark.slow
def test_ctrl_c_keeps_the_previous_results_and_writes_only_finished_rows_apart(tmp_path):
    (tmp_path / "out.json").write_bytes(b'{"previous": true}\n')
    (tmp_path / "out.md").write_text("<!-- written by accel-bench; it overwrites this file on the next run -->\nold table\n")
    rounds = 100_000  # a row long enough to be interrupted in the middle
    command = [sys.executable, "-m", "pytest", str(ROOT / "benchmarks"), "-p", "no:cacheprovider", "-v", "--models", "digits_mlp",
               "--backends", "onnxruntime", "--precisions", "fp32", "--device", "cpu", "--batch", "1", "--warmup", "2",
               "--rounds", str(rounds), "--benchmark-json", "out.json"]  # fmt: skip
    env = {**os.environ, "ACCEL_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    for line in process.stdout:
        output.append(line)
        if "test_inference[" in line and "PASSED" in line:  # one row finished, the next (end_to_end) is running
            time.sleep(1.0)
            process.send_signal(signal.SIGINT)
            break
    output.append(process.communicate(timeout=120)[0])
    log = "".join(output)
    assert process.returncode == pytest.ExitCode.INTERRUPTED, log[-3000:]
    assert (tmp_path / "out.json").read_bytes() == b'{"previous": true}\n'
    assert (tmp_path / "out.md").read_text().endswith("old table\n")
    interrupted = json.loads((tmp_path / "out.interrupted.json").read_text())
    assert interrupted["accel"]["interrupted"] is True
    names = [bench["name"] for bench in interrupted["benchmarks"]]
    assert any("test_inference[digits_mlp-onnxruntime-fp32-cpu-b1]" in name for name in names)
    assert not any("test_end_to_end" in name for name in names)  # the half-measured row is left out
    assert all(bench["extra_info"]["latency_ms"]["n"] == rounds for bench in interrupted["benchmarks"])
    assert (tmp_path / "out.interrupted.md").read_text().startswith("<!-- written by accel-bench")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no temporaries left
