"""The per-benchmark record (`extra_info`) contract that reports and regression gates rely on, and
the one builder every row goes through, which refuses a record that breaks it.

Also the contract of a skipped row: generated, not run, listed in the JSON with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accel.errors import AccelError
from accel.matrix import Combination
from accel.measure.energy import ENERGY_FIELDS
from accel.measure.intervals import PercentileInterval
from accel.measure.stats import LATENCY_FIELDS, PERCENTILES, Stats

# preprocess: the path of an end-to-end photo row (`pil`, `torchvision-cuda`, `dali`); None on rows that time no photo preprocessing.
IDENTITY_FIELDS = ("model", "backend", "precision", "device", "batch", "input_size", "preprocess", "kind", "weights")
REQUIRED_FIELDS = (*IDENTITY_FIELDS, "config", "notes", "warmup_rounds", "latency_ms", "throughput_ips", "memory")
# Where they apply: end-to-end and trtexec rows, GPU rows, trtexec rows, lower precisions, real labels,
# rows measured through accel.measure.row (load before/after), rows with samples (percentile intervals),
# Server rows (load curve), Offline rows (batch sweep), rows of a GPU preprocessing path (its check against PIL).
OPTIONAL_FIELDS = ("breakdown_ms", "device_latency_ms", "enqueue_ms", "drift", "accuracy", "system_load", "latency_ci_ms", "load_curve",
                   "offline", "energy", "gpu_state", "preprocess_check")
MEMORY_FIELDS = (
    "runner_rss_mb", "peak_rss_above_baseline_mb", "process_peak_rss_mb", "rss_scoped",
    "runner_device_mb", "peak_device_above_baseline_mb",
)  # fmt: skip
BREAKDOWN_FIELDS = ("p50", "p99")
SECTION_FIELDS = {
    "latency_ms": LATENCY_FIELDS,
    "device_latency_ms": LATENCY_FIELDS,
    "memory": MEMORY_FIELDS,
    "system_load": ("loadavg_1m", "cpu_mhz", "other_gpu_processes", "cores", "busy"),
    "drift": ("top1_agreement", "top5_overlap", "cosine_mean", "cosine_min", "max_abs"),
    "accuracy": ("top1", "top5", "n"),
    "latency_ci_ms": ("confidence", "tolerance", "p99_tight", "p99_half_width", *PERCENTILES),
    "load_curve": ("scenario", "policy", "offered_qps", "achieved_qps", "utilisation", "queries", "response_ms", "service_ms",
                   "queueing_ms", "predicted_p99_ms", "predicted_mean_ms"),
    "offline": ("best_batch", "batch_sweep_ips"),
    "energy": ENERGY_FIELDS,  # all None but `unavailable` where the device has no readable meter
    "gpu_state": ("before", "after"),  # CUDA rows: SM clock, temperature, power (accel.measure.energy)
    # knobs: every knob of the backend's tuning space at the value the row ran; tuned: the ones a
    # tuning file set away from their default ({} for an untuned row); tuned_from: the tuning file's row
    # they were measured on (this row's id, or the nearest tuned batch's; None when untuned).
    "config": ("knobs", "tuned", "tuned_from"),
    # pixels in 8-bit levels against PIL on the same JPEG bytes; drift: the row's runner on both batches,
    # drift_bound: the yardstick's (accel.quality.preprocessing)
    "preprocess_check": ("reference", "images", "pixel_max_abs", "pixel_mean_abs", "pixel_tolerance", "drift", "drift_bound"),
}
SKIPPED_FIELDS = ("id", "test", "model", "backend", "precision", "device", "batch", "input_size", "preprocess", "reason")


class RecordContractError(AccelError):
    """A record lacks a contract field, or carries one the contract does not name."""


@dataclass(frozen=True)
class Timing:
    """A row's latency statistics (ms, the LATENCY_FIELDS) and throughput (items per second)."""

    latency_ms: Mapping[str, float | int | None]
    throughput_ips: float
    intervals: Mapping[str, PercentileInterval] = field(default_factory=dict)  # none from a summary

    @classmethod
    def from_samples(cls, samples_s: Sequence[float], items_per_round: int) -> Timing:
        """From per-round samples in seconds: throughput is items / mean round time."""
        stats = Stats(samples_s)
        return cls(stats.as_dict(), stats.throughput(items_per_round), stats.intervals())

    @classmethod
    def from_summary(cls, latency_ms: Mapping[str, float], throughput_ips: float) -> Timing:
        """From a tool that reports statistics, not samples (trtexec)."""
        return cls(complete_latency(latency_ms), throughput_ips)


def complete_latency(values: Mapping[str, float]) -> dict[str, float | None]:
    """Exactly the LATENCY_FIELDS; None for a statistic the source does not report."""
    return {name: values.get(name) for name in LATENCY_FIELDS}


def breakdown(stage_samples: Mapping[str, Sequence[float]]) -> dict[str, dict[str, float]]:
    """Per-stage p50/p99 in ms from per-stage samples in seconds."""
    return {stage: Stats(samples).as_dict(BREAKDOWN_FIELDS) for stage, samples in stage_samples.items()}


def check_record(record: Mapping[str, Any]) -> None:
    """Raise RecordContractError unless `record` has every required field, no unnamed one, and
    every section it carries has that section's fields."""
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    unknown = [name for name in record if name not in REQUIRED_FIELDS and name not in OPTIONAL_FIELDS]
    if missing or unknown:
        raise RecordContractError(f"record breaks the contract: missing {missing}, not in the contract {unknown}")
    for section, names in SECTION_FIELDS.items():
        values = record.get(section)
        if values is not None and (absent := [name for name in names if name not in values]):
            raise RecordContractError(f"record's {section} lacks {absent}")
    for stage, values in (record.get("breakdown_ms") or {}).items():
        if set(values) != set(BREAKDOWN_FIELDS):
            raise RecordContractError(f"record's breakdown_ms[{stage!r}] must have {BREAKDOWN_FIELDS}; got {sorted(values)}")


def benchmark_record(
    combo: Combination,
    kind: str,
    weights: str,
    timing: Timing,
    memory: Mapping[str, object],
    notes: Mapping[str, object],
    warmup: int,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """Everything one benchmark row stores, under the contract's names, checked."""
    record: dict[str, object] = {
        "model": combo.model,
        "backend": combo.backend,
        "precision": combo.precision,
        "device": combo.device,
        "batch": combo.batch,
        "input_size": combo.input_size,
        "preprocess": combo.preprocess,
        "kind": kind,
        "weights": weights,
        "config": {"knobs": combo.knobs, "tuned": dict(combo.config), "tuned_from": combo.tuned_from if combo.config else None},
        "notes": dict(notes),
        "warmup_rounds": warmup,
        "latency_ms": dict(timing.latency_ms),
        "throughput_ips": timing.throughput_ips,
        "memory": dict(memory),
        **(extra or {}),
    }
    check_record(record)
    return record


def skipped_row(combo: Combination, test: str, reason: str) -> dict[str, object]:
    """A generated row that did not run, and why."""
    return {"id": combo.test_id, "test": test, "model": combo.model, "backend": combo.backend, "precision": combo.precision,
            "device": combo.device, "batch": combo.batch, "input_size": combo.input_size, "preprocess": combo.preprocess,
            "reason": reason}  # fmt: skip
