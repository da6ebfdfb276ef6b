"""Results table (markdown) from benchmark records or a saved pytest-benchmark JSON file."""

from __future__ import annotations

import gzip
import json
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

from accel.errors import UsageError
from accel.matrix import BATCH_IN_ID

HEADER = ("Model", "Backend", "Precision", "Device", "Batch", "Input", "p50 (ms)", "p99 (ms)", "Throughput (img/s)", "Config", "Notes")
STAGE_LABELS = {"preprocess": "pre", "inference": "infer", "postprocess": "post"}  # h2d / d2h keep their names
KIND_ORDER = {"inference": 0, "end_to_end": 1}
NOTE_KEYS = (
    "provider", "engine", "performance_hint", "inference_precision", "int8_recipe", "intra_op_threads", "torch_threads",
    "inference_num_threads",
)  # fmt: skip


def load_json(path: str | Path) -> dict:
    """A pytest-benchmark JSON file (or .json.gz) as a dict; a clear error naming the file otherwise
    (every command that reads results uses it: report, compare, metrics, queue-sim)."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        data = json.loads(raw)
    except FileNotFoundError:
        raise UsageError(f"no such file {str(path)!r}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise UsageError(f"{str(path)!r} is not JSON ({exc})") from None
    if not isinstance(data, dict) or "benchmarks" not in data:
        raise UsageError(f"{str(path)!r} is not a pytest-benchmark JSON file (no 'benchmarks' list)")
    return data


TABLE_FIELDS = ("model", "backend", "precision", "device", "batch", "latency_ms", "throughput_ips")


class IncompleteRecordWarning(UserWarning):
    """A saved benchmark lacks a field the results table needs; it is left out of the table."""


def records_from_json(path: str | Path) -> list[dict]:
    """The `extra_info` records of a pytest-benchmark JSON file that the table can show; each one
    that lacks a field is left out with a warning naming the benchmark and the field."""
    records = []
    for bench in load_json(path)["benchmarks"]:
        info = bench.get("extra_info") or {}
        latency = info.get("latency_ms") if isinstance(info.get("latency_ms"), dict) else {}
        missing = [name for name in TABLE_FIELDS if name not in info] + [f"latency_ms.{q}" for q in ("p50", "p99") if latency.get(q) is None]
        if missing:
            warnings.warn(f"{path}: {bench.get('name', '?')} left out of the table: no {', '.join(missing)}", IncompleteRecordWarning, stacklevel=2)
            continue
        records.append(info)
    return records


def skipped_from_json(path: str | Path) -> list[dict]:
    """The rows a run generated but did not run (empty for files written before the list existed)."""
    return list(load_json(path).get("accel", {}).get("skipped", []))


def format_number(value: float) -> str:
    """Three or four significant digits: enough to compare rows, few enough to read a table."""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def notes(record: Mapping) -> str:
    """Short per-row notes: kind, stage breakdown or provider, drift, accuracy."""
    parts = []
    busy = (record.get("system_load") or {}).get("busy")
    if busy:
        parts.append(f"BUSY MACHINE ({busy})")
    intervals = record.get("latency_ci_ms")
    if intervals and not intervals["p99_tight"]:
        parts.append(loose_p99(intervals, record["latency_ms"]["n"]))
    breakdown = record.get("breakdown_ms")
    if breakdown:
        stages = " / ".join(f"{STAGE_LABELS.get(stage, stage)} {format_number(values['p50'])}" for stage, values in breakdown.items())
        path = record.get("preprocess")
        parts.append(f"end-to-end p50 ms{f' ({path} preprocessing)' if path not in (None, 'pil') else ''}: {stages}")
    else:
        parts.append(record.get("kind", "inference"))
    if record.get("load_curve"):
        parts.append(load_curve_note(record["load_curve"]))
    for key in NOTE_KEYS:
        value = record.get("notes", {}).get(key)
        if value is not None:
            parts.append(f"{key}={value}")
    device = record.get("device_latency_ms")
    if device:
        parts.append(f"CUDA-event p50 {format_number(device['p50'])} ms")
    drift = record.get("drift")
    if drift:
        parts.append(f"top1 agree {drift['top1_agreement']:.3f}, cos min {drift['cosine_min']:.4f}")
    accuracy = record.get("accuracy")
    if accuracy:
        parts.append(f"top1 {accuracy['top1']:.3f} (n={accuracy['n']})")
    energy = record.get("energy") or {}
    if energy.get("joules_per_image"):  # 0 J: a counter that did not move (files written before that was reported as unavailable)
        parts.append(f"{format_number(energy['joules_per_image'] * 1e3)} mJ/image at {format_number(energy['avg_power_w'])} W")
    return "; ".join(parts)


def loose_p99(intervals: Mapping, samples: int) -> str:
    """A p99 whose 95% interval is wider than the plan's tolerance, said so with the interval."""
    p99 = intervals["p99"]
    high = format_number(p99["high"]) if p99["high"] is not None else "unbounded"
    low = format_number(p99["low"]) if p99["low"] is not None else "unbounded"
    return f"p99 LOOSE (95% CI {low}-{high} ms from {samples} samples, {p99['above']} above p99; target ±{intervals['tolerance']:.0%})"


def load_curve_note(curve: Mapping) -> str:
    """Offered load, utilisation, and the models' p99 beside the measured one (Server rows)."""
    peak = curve.get("peak")
    head = f"peak under p99 {format_number(peak['p99_bound_ms'])} ms{'' if peak.get('final_met_bound', True) else ' (its full run missed it)'}: " if peak else ""
    predicted = " / ".join(f"{model} {format_number(value)}" for model, value in curve["predicted_p99_ms"].items() if value is not None)
    # Against the arrivals the run drew: a short Poisson run draws a few percent fewer queries than
    # the target rate by chance, which is no backlog.
    arrived = curve.get("arrived_qps", curve["offered_qps"])
    overloaded = f"OVERLOADED (served {format_number(curve['achieved_qps'])} of {format_number(arrived)} QPS arrived); " if curve["achieved_qps"] < 0.95 * arrived else ""
    return (f"{overloaded}{head}{format_number(curve['offered_qps'])} QPS offered, utilisation {curve['utilisation']:.2f}, mean batch "
            f"{curve['mean_batch']:.2f}; p99 predicted ms: {predicted or 'unstable without batching'}")  # fmt: skip


def config_cell(record: Mapping) -> str:
    """'tuned: knob=value, ...', 'default' for an untuned row of a tunable backend, '-' otherwise."""
    config = record.get("config") or {}
    if config.get("tuned"):
        settings = ", ".join(f"{name}={value}" for name, value in sorted(config["tuned"].items()))
        borrowed = BATCH_IN_ID.search(config.get("tuned_from") or "")
        if borrowed and int(borrowed[1]) != record.get("batch"):
            return f"tuned at b{borrowed[1]}: {settings}"
        return "tuned: " + settings
    return "default" if config.get("knobs") else "-"


def input_cell(record: Mapping) -> str:
    """The square input side (`--input-size`), so the rows of a size sweep tell apart; '-' in records
    written before it was recorded."""
    size = record.get("input_size")
    return "-" if size is None else str(size)


def sort_key(record: Mapping) -> tuple:
    kind = KIND_ORDER.get(record.get("kind", ""), 2)
    return (record["model"], record["device"], kind, record["batch"], record.get("input_size") or 0, record["backend"], record["precision"])


def markdown_table(records: Iterable[Mapping]) -> str:
    """The seed documents' results table, one line per benchmark record."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
    for record in sorted(records, key=sort_key):
        latency = record["latency_ms"]
        cells = (
            record["model"], record["backend"], record["precision"], record["device"], str(record["batch"]), input_cell(record),
            format_number(latency["p50"]), format_number(latency["p99"]), format_number(record["throughput_ips"]), config_cell(record), notes(record),
        )  # fmt: skip
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def skipped_table(skipped: Iterable[Mapping]) -> str:
    """Generated rows that did not run, with their reasons (empty string when there are none)."""
    rows = sorted(skipped, key=lambda row: (row["id"], row["test"]))
    if not rows:
        return ""
    lines = ["| Skipped row | Test | Reason |", "|---|---|---|"]
    lines += [f"| {row['id']} | {row['test']} | {row['reason']} |" for row in rows]
    return "\n".join(lines) + "\n"


def render(records: Iterable[Mapping], skipped: Iterable[Mapping] = ()) -> str:
    """The results table, then the skipped rows: the terminal summary, out.md and `accel report`."""
    table = markdown_table(records)
    rows = skipped_table(skipped)
    return f"{table}\n{rows}" if rows else table
