"""The per-benchmark record (`extra_info`) contract that reports and regression gates rely on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from accel.matrix import Combination
from accel.measure.memory import PeakMemory
from accel.measure.stats import Stats

BREAKDOWN_FIELDS = ("p50", "p99")


def breakdown(stage_samples: Mapping[str, Sequence[float]]) -> dict[str, dict[str, float]]:
    """Per-stage p50/p99 in ms from per-stage samples in seconds."""
    return {stage: Stats(samples).as_dict(BREAKDOWN_FIELDS) for stage, samples in stage_samples.items()}


def benchmark_record(
    combo: Combination,
    kind: str,
    weights: str,
    samples_s: Sequence[float],
    notes: Mapping[str, object],
    memory: PeakMemory,
    warmup: int,
    stage_samples: Mapping[str, Sequence[float]] | None = None,
) -> dict[str, object]:
    """Everything one benchmark row stores, under the contract's names."""
    stats = Stats(samples_s)
    record: dict[str, object] = {
        "model": combo.model,
        "backend": combo.backend,
        "precision": combo.precision,
        "device": combo.device,
        "batch": combo.batch,
        "input_size": combo.input_size,
        "kind": kind,
        "weights": weights,
        "notes": dict(notes),
        "warmup_rounds": warmup,
        "latency_ms": stats.as_dict(),
        "throughput_ips": stats.throughput(combo.batch),
        "peak_rss_mb": memory.rss_mb,
        "peak_rss_scoped": memory.rss_is_scoped,
        "gpu_peak_mb": memory.gpu_mb,
    }
    if memory.gpu_used_mb is not None:
        record["gpu_used_mb"] = memory.gpu_used_mb
    if stage_samples is not None:
        record["breakdown_ms"] = breakdown(stage_samples)
    return record
