"""docs/metrics.md: the metrics table the seed documents ask for (model, precision, batch,
mean/p50/p99, throughput, workspace MB, TensorRT version, GPU name), generated from committed
pytest-benchmark JSON files so that it is rebuilt and checked by a test, never edited by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from accel.measure.report import format_number, input_cell, load_json

HEADER = ("Model", "Backend", "Precision", "Device", "Batch", "Input", "Mean (ms)", "p50 (ms)", "p99 (ms)",
          "Throughput (img/s)", "Memory (MB)", "Workspace (MB)", "TensorRT", "GPU")  # fmt: skip
NOT_A_MODEL = ("harness",)  # the harness floor row times a no-op
RUNTIME_PACKAGES = ("torch", "onnxruntime", "onnxruntime-gpu", "openvino", "tensorrt")

COLUMNS = """\
One line per inference row (the runner alone on a preprocessed batch; end-to-end rows and their
stage breakdown are in each file's own table, `python -m accel report FILE`). Mean, p50 and p99
are per inference of one batch, throughput is batch / mean; a p99 marked (loose) has a 95%
interval wider than its run's tolerance (the file's own table gives the interval). **Memory** is
what the row's runner added, from the record's `memory` section (device memory on CUDA, host RSS
otherwise); `-` where the file was written before that section existed. **Workspace** and
**TensorRT** are the builder workspace and version of TensorRT rows (`notes.workspace_mb`,
`notes.trt_version`). **GPU** is the CUDA device from the file's `machine_info`.
"""
NO_TENSORRT = """\
No row below ran TensorRT, so Workspace and TensorRT are empty: TensorRT was not installed where
these files were made (no `tensorrt` module, no `trtexec`; its wheels come from NVIDIA's index
only), and its rows were skipped with that reason. Its code is tested against fakes instead
(README, "TensorRT without TensorRT").
"""


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def memory_mb(record: Mapping) -> float | None:
    """What the runner added on its device: device memory on CUDA, host RSS elsewhere."""
    memory = record.get("memory") or {}
    return memory.get("runner_device_mb") if record["device"] == "cuda" else memory.get("runner_rss_mb")


def gpu_names(data: Mapping) -> str:
    return ", ".join(sorted({gpu["name"] for gpu in data.get("machine_info", {}).get("gpus") or []})) or "-"


def inference_records(data: Mapping) -> list[Mapping]:
    """The file's inference rows of real models, sorted as the results table sorts them."""
    records = [bench.get("extra_info") or {} for bench in data["benchmarks"]]
    rows = [r for r in records if r.get("kind") == "inference" and r.get("backend") not in NOT_A_MODEL and r.get("latency_ms")]
    return sorted(rows, key=lambda r: (r["model"], r["device"], r["backend"], r["precision"], r["batch"], r.get("input_size") or 0))


def p99_cell(record: Mapping) -> str:
    """The p99, marked when its 95% interval is wider than the run's tolerance (reported, not hidden)."""
    intervals = record.get("latency_ci_ms")
    loose = intervals is not None and not intervals["p99_tight"]
    return format_number(record["latency_ms"]["p99"]) + (" (loose)" if loose else "")


def metrics_line(record: Mapping, gpu: str) -> str:
    latency, notes = record["latency_ms"], record.get("notes") or {}
    memory = memory_mb(record)
    cells = (
        record["model"], record["backend"], record["precision"], record["device"], str(record["batch"]), input_cell(record),
        format_number(latency["mean"]), format_number(latency["p50"]), p99_cell(record),
        format_number(record["throughput_ips"]), "-" if memory is None else f"{round(memory, 1) + 0.0:.1f}",  # -0.0 is noise
        _cell(notes.get("workspace_mb")), _cell(notes.get("trt_version")), gpu if record["device"] == "cuda" else "-",
    )  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def source_section(path: str, data: Mapping) -> tuple[str, list[Mapping]]:
    """One file: where it ran, the command, and its table."""
    machine = data.get("machine_info", {})
    packages = machine.get("packages") or {}
    versions = ", ".join(f"{name} {packages[name]}" for name in RUNTIME_PACKAGES if name in packages)
    gpu = gpu_names(data)
    where = f"{machine.get('cpu_model', '?')} ({machine.get('cores_logical', '?')} cores)" + (f", {gpu}" if gpu != "-" else "")
    records = inference_records(data)
    lines = [f"## `{path}`", "", f"{where}; {versions}; {str(data.get('datetime', '?'))[:10]}. Command:", "",
             f"`{data.get('accel', {}).get('command', '?')}`", "",
             "| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|",
             *(metrics_line(record, gpu) for record in records)]  # fmt: skip
    return "\n".join(lines) + "\n", records


def render_metrics(paths: Sequence[str], command: str) -> str:
    """docs/metrics.md from the files at `paths` (shown as given), stating `command` as its source."""
    sections, records = [], []
    for path in paths:
        section, rows = source_section(path, load_json(path))
        sections.append(section)
        records += rows
    ran_tensorrt = any((record.get("notes") or {}).get("trt_version") for record in records)
    head = ["# Metrics", "", f"Generated from committed results by `{command}`; do not edit by hand",
            "(`tests/test_metrics.py` fails when this file and its sources disagree).", "", COLUMNS]  # fmt: skip
    if not ran_tensorrt:
        head.append(NO_TENSORRT)
    return "\n".join(head) + "\n" + "\n".join(sections)
