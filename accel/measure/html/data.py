"""What each figure of the HTML report shows, taken from loaded pytest-benchmark JSON: plain data,
no plotting, so every selection rule is unit-tested without plotly."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from accel.fpga.budget import Link, default_links, sweep
from accel.matrix import DEFAULT_PREPROCESS
from accel.measure.report import TABLE_FIELDS

STAGE_ORDER = ("preprocess", "h2d", "inference", "d2h", "postprocess")
FP32_REFERENCE = "fp32"


@dataclass(frozen=True)
class Row:
    """One benchmark: its record (`extra_info`), its per-round samples in ms, and what tells it apart
    in a figure where needed: the file it came from (`source`: only when another file holds a row of
    the same identity) and its input size (`sized`: only when its model ran at several)."""

    record: Mapping[str, Any]
    samples_ms: tuple[float, ...]
    source: str = ""
    sized: bool = False

    @property
    def model(self) -> str:
        return self.record["model"]

    @property
    def kind(self) -> str:
        return self.record.get("kind", "inference")

    @property
    def batch(self) -> int:
        return self.record["batch"]

    @property
    def p50(self) -> float:
        return self.record["latency_ms"]["p50"]

    @property
    def p99(self) -> float:
        return self.record["latency_ms"]["p99"]

    @property
    def series(self) -> str:
        """Backend, precision and device (and the decode path of a GPU-preprocessed end-to-end row):
        what a colour stands for in every figure."""
        record = self.record
        size = f" s{record['input_size']}" if self.sized else ""
        path = record.get("preprocess")
        via = f" via {path}" if path not in (None, DEFAULT_PREPROCESS) else ""
        return f"{record['backend']} {record['precision']} {record['device']}{size}{via}" + (f" [{self.source}]" if self.source else "")

    @property
    def joules_per_image(self) -> float | None:
        """None where not measured, and where the record says 0 J (a counter that did not move over a
        short window, from files written before such windows were reported as unavailable)."""
        return (self.record.get("energy") or {}).get("joules_per_image") or None

    @property
    def label(self) -> str:
        return f"{self.series} b{self.batch}"


def table_ready(record: Mapping) -> bool:
    """The rows the results table shows (`report.records_from_json` warns about the others)."""
    latency = record.get("latency_ms")
    latency = latency if isinstance(latency, Mapping) else {}
    return all(name in record for name in TABLE_FIELDS) and all(latency.get(q) is not None for q in ("p50", "p99"))


def _identity(record: Mapping) -> tuple:
    return tuple(record.get(name) for name in ("model", "backend", "precision", "device", "batch", "input_size", "preprocess", "kind")) + (
        (record.get("notes") or {}).get("load"),
    )


def round_samples_ms(bench: Mapping, record: Mapping) -> tuple[float, ...]:
    """The per-round samples (ms) when the JSON holds them: pytest-benchmark's `stats.data` is the
    row's rounds only when there are `latency_ms.n` of them (a Server row stores one whole run, an
    FPGA row one simulation, a trtexec row none)."""
    data = (bench.get("stats") or {}).get("data") or []
    return tuple(value * 1e3 for value in data) if len(data) == record["latency_ms"].get("n") else ()


def rows_from_runs(runs: Sequence[tuple[str, Mapping]]) -> list[Row]:
    """Every table-ready benchmark of the (source name, loaded JSON) pairs, in file order."""
    loaded = [(source, bench, bench.get("extra_info") or {}) for source, run in runs for bench in run["benchmarks"]]
    loaded = [(source, bench, record) for source, bench, record in loaded if table_ready(record)]
    sources: dict[tuple, set[str]] = defaultdict(set)
    sizes: dict[str, set] = defaultdict(set)
    for source, _, record in loaded:
        sources[_identity(record)].add(source)
        sizes[record["model"]].add(record.get("input_size"))
    return [Row(record, round_samples_ms(bench, record), source if len(sources[_identity(record)]) > 1 else "", len(sizes[record["model"]]) > 1)
            for source, bench, record in loaded]  # fmt: skip


def by_model(rows: Iterable[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.model].append(row)
    return dict(sorted(grouped.items()))


def smallest_batch(rows: Sequence[Row]) -> list[Row]:
    """The rows at the smallest batch among them: the latency question is asked at batch 1."""
    return [row for row in rows if row.batch == min(row.batch for row in rows)] if rows else []


def distribution_rows(rows: Iterable[Row]) -> dict[str, list[Row]]:
    """Per model: inference rows with per-round samples, at the model's smallest such batch."""
    groups = by_model(row for row in rows if row.kind == "inference" and row.samples_ms)
    return {model: smallest_batch(group) for model, group in groups.items()}


def cdf_points(samples: Sequence[float], max_points: int = 512) -> tuple[list[float], list[float]]:
    """Empirical CDF (x sorted, y = fraction of samples <= x), thinned to at most `max_points`
    evenly spaced ranks; the first and last sample are always kept, so min and max stay exact."""
    values = np.sort(np.asarray(samples, dtype=float))
    ranks = np.unique(np.linspace(0, len(values) - 1, min(len(values), max_points)).round().astype(int))
    return values[ranks].tolist(), ((ranks + 1) / len(values)).tolist()


def interval(record: Mapping, quantile: str) -> tuple[float, float | None, float | None]:
    """A percentile (ms) with its 95% interval's bounds; None for a bound the samples cannot give."""
    bounds = (record.get("latency_ci_ms") or {}).get(quantile) or {}
    return record["latency_ms"][quantile], bounds.get("low"), bounds.get("high")


def interval_rows(rows: Iterable[Row]) -> dict[str, list[Row]]:
    """Per model: inference rows that carry percentile intervals, fastest p50 first."""
    groups = by_model(row for row in rows if row.kind == "inference" and row.record.get("latency_ci_ms"))
    return {model: sorted(group, key=lambda row: row.p50) for model, group in groups.items()}


def batch_series(rows: Iterable[Row]) -> dict[str, dict[str, list[Row]]]:
    """Per model, per series: inference rows at two or more batch sizes, by batch."""
    groups: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row.kind == "inference":
            groups[row.model][row.series].append(row)
    result = {}
    for model, series in sorted(groups.items()):
        kept = {name: sorted(points, key=lambda row: row.batch) for name, points in sorted(series.items()) if len({row.batch for row in points}) > 1}
        if kept:
            result[model] = kept
    return result


def energy_series(rows: Iterable[Row]) -> dict[str, dict[str, list[Row]]]:
    """Per model and series: the inference rows with a measured energy per image, by batch."""
    groups: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row.kind == "inference" and row.joules_per_image is not None:
            groups[row.model][row.series].append(row)
    return {model: {name: sorted(points, key=lambda row: row.batch) for name, points in sorted(series.items())}
            for model, series in sorted(groups.items())}  # fmt: skip


def energy_unavailable(rows: Iterable[Row]) -> list[str]:
    """Why rows have no energy figure, as their records say (one entry per distinct reason)."""
    reasons = ((row.record.get("energy") or {}).get("unavailable") for row in rows if row.kind == "inference")
    return sorted({reason for reason in reasons if reason})


def stages(record: Mapping) -> list[str]:
    """The record's breakdown stages in pipeline order (unknown stages last, as recorded)."""
    breakdown = record.get("breakdown_ms") or {}
    return [stage for stage in STAGE_ORDER if stage in breakdown] + [stage for stage in breakdown if stage not in STAGE_ORDER]


def breakdown_rows(rows: Iterable[Row]) -> dict[str, list[Row]]:
    """Per model: end-to-end rows with a per-stage breakdown."""
    groups = by_model(row for row in rows if row.kind == "end_to_end" and row.record.get("breakdown_ms"))
    return {model: sorted(group, key=lambda row: (row.batch, row.p50)) for model, group in groups.items()}


@dataclass(frozen=True)
class QualityPoint:
    row: Row
    latency_ms: float
    quality: float
    reference: bool  # an fp32 row: the drift reference itself, agreement 1 by definition


@dataclass(frozen=True)
class QualitySet:
    metric: str
    points: tuple[QualityPoint, ...]


def quality_points(rows: Iterable[Row]) -> dict[str, QualitySet]:
    """Per model, inference rows at its smallest batch against a quality measure: top-1 accuracy on
    real labels where the model has it, else top-1 agreement with the fp32 reference (fp32 rows,
    the reference, count 1). A model with no measured quality at all is left out."""
    result = {}
    for model, group in by_model(row for row in rows if row.kind == "inference").items():
        candidates = smallest_batch(group)
        if any(row.record.get("accuracy") for row in candidates):
            points = [QualityPoint(row, row.p50, row.record["accuracy"]["top1"], False) for row in candidates if row.record.get("accuracy")]
            result[model] = QualitySet("top-1 accuracy (real labels)", tuple(points))
        elif any(row.record.get("drift") for row in candidates):
            agreements = [_agreement(row) for row in candidates]
            result[model] = QualitySet("top-1 agreement with fp32", tuple(point for point in agreements if point is not None))
    return result


def _agreement(row: Row) -> QualityPoint | None:
    drift = row.record.get("drift")
    if drift:
        return QualityPoint(row, row.p50, drift["top1_agreement"], False)
    return QualityPoint(row, row.p50, 1.0, True) if row.record["precision"] == FP32_REFERENCE else None


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point dominates, lower x (latency) and higher y (quality)
    being better, ordered by x. Equal points do not dominate each other: ties all stay."""

    def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return a[0] <= b[0] and a[1] >= b[1] and (a[0] < b[0] or a[1] > b[1])

    front = [i for i, point in enumerate(points) if not any(dominates(other, point) for other in points)]
    return sorted(front, key=lambda i: (points[i][0], -points[i][1]))


def load_series(rows: Iterable[Row]) -> dict[str, dict[str, list[Row]]]:
    """Per model, per series and batch: Server rows (with a load curve), by offered QPS."""
    groups: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row.record.get("load_curve"):
            groups[row.model][row.label].append(row)
    return {model: {name: sorted(points, key=lambda row: row.record["load_curve"]["offered_qps"]) for name, points in sorted(series.items())}
            for model, series in sorted(groups.items())}  # fmt: skip


def measured_p99(rows: Iterable[Row]) -> list[tuple[float, float, float | None, float | None]]:
    """(offered QPS, p99, its interval's low and high) of Server rows; None for a missing bound."""
    p99s = [(row.record["load_curve"]["offered_qps"], row.record["load_curve"]["response_ms"]["p99"]) for row in rows]
    return [(qps, p99["value"], p99.get("low"), p99.get("high")) for qps, p99 in p99s]


def predicted_p99(rows: Iterable[Row]) -> dict[str, list[tuple[float, float]]]:
    """Per queueing model, (offered QPS, predicted p99) where it predicts one (None: unstable)."""
    predictions: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        curve = row.record["load_curve"]
        for queue_model, value in curve["predicted_p99_ms"].items():
            if value is not None:
                predictions[queue_model].append((curve["offered_qps"], value))
    return dict(sorted(predictions.items()))


@dataclass(frozen=True)
class FpgaBudget:
    """The budget sweep for the FPGA rows' design, and each FPGA row placed on it."""

    model: str
    host: Row
    sweep: tuple[dict, ...]
    measured: tuple[tuple[Row, float, float], ...]  # (row, link bytes/s, speedup vs host)


def fpga_budget(rows: Sequence[Row]) -> FpgaBudget | str:
    """The offload budget (accel.fpga.budget) for the design the FPGA rows ran, against the fastest
    host row of the same model at batch 1; or why there is none."""
    fpga = [row for row in rows if row.record["backend"] == "fpga"]
    if not fpga:
        return "no FPGA row (backend fpga) in the given JSON"
    designed = [row for row in fpga if {"mlp_cycles", "clock_mhz"} <= set(row.record.get("notes") or {})]
    if not designed:
        return "the FPGA rows do not record the design's cycles and clock (notes.mlp_cycles, notes.clock_mhz)"
    model = designed[0].model
    hosts = [row for row in rows if row.model == model and row.record["backend"] != "fpga" and row.kind == "inference" and row.batch == 1]
    if not hosts:
        return f"no host row of {model} at batch 1 (inference) to compare the FPGA with"
    host = min(hosts, key=lambda row: row.p50)
    notes = designed[0].record["notes"]
    rows_of_sweep = sweep(default_links(), notes["mlp_cycles"], notes["clock_mhz"] * 1e6, host.p50 * 1e-3, 0.0, 0.0)
    measured = tuple((row, Link.uart(row.record["notes"]["baud"]).bytes_per_s, host.p50 / row.p50) for row in fpga if row.record["notes"].get("baud"))
    return FpgaBudget(model, host, tuple(rows_of_sweep), measured)


def machine_summary(run: Mapping) -> list[tuple[str, str]]:
    """The run's system info as (key, text) pairs: pytest-benchmark's and accel's `machine_info`
    (less py-cpuinfo's raw dump, whose flags `cpu_flags` sums up), the commit and the command."""
    info = [(key, _text(value)) for key, value in (run.get("machine_info") or {}).items() if key != "cpu"]
    commit = run.get("commit_info") or {}
    extra = [("datetime", run.get("datetime")), ("commit", " ".join(str(commit[k]) for k in ("id", "branch") if commit.get(k)) + (" (dirty)" if commit.get("dirty") else "")),
             ("command", (run.get("accel") or {}).get("command")), ("pytest-benchmark", run.get("version"))]  # fmt: skip
    return info + [(key, _text(value)) for key, value in extra if value]


def machine_columns(runs: Sequence[tuple[str, Mapping]]) -> tuple[list[str], list[list[str]]]:
    """Side by side, one column per file: every key any file has, '-' where one lacks it."""
    summaries = [dict(machine_summary(run)) for _, run in runs]
    keys = list(dict.fromkeys(key for summary in summaries for key in summary))
    return ["", *(source for source, _ in runs)], [[key, *(summary.get(key, "-") for summary in summaries)] for key in keys]


def _text(value: object) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={_text(item)}" for key, item in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(item) for item in value) or "-"
    return "-" if value is None else str(value)


def skipped_rows(runs: Sequence[tuple[str, Mapping]]) -> list[dict]:
    """The rows the runs generated but did not run, with their reasons."""
    return [row for _, run in runs for row in (run.get("accel") or {}).get("skipped", [])]
