"""`python -m accel loadgen-compare`: the suite's open-loop Server generator against MLPerf LoadGen.

Both drive the same server, one query at a time, first come first served, at the same target QPS:
LoadGen (`mlcommons-loadgen`) with its own Poisson schedule, issue thread and latency accounting
(read from `mlperf_log_summary.txt`), the suite with `accel.measure.server`. Runs alternate per
rate so a drift of the machine hits both alike. The server is a row's runner, or (`SleepService`)
a synthetic one that sleeps a fixed time per query: its queue is M/D/1, so both drivers can also be
checked against the theory, free of the model's own noise. This is the evidence that the suite's
generator (which runs where LoadGen cannot be installed, e.g. an offline GPU box) measures what
LoadGen does.
"""

from __future__ import annotations

import queue
import re
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from accel.errors import UsageError
from accel.measure.queueing import predictions
from accel.measure.server import BatchingPolicy, WallClock
from accel.measure.service import BatchService
from accel.measure.serving import ServerPlan, run_server
from accel.measure.stats import Stats
from accel.measure.timing import time_calls

SUMMARY_FIELDS = {
    "p50": r"50\.00 percentile latency \(ns\)\s*:\s*(\d+)",
    "p90": r"90\.00 percentile latency \(ns\)\s*:\s*(\d+)",
    "p99": r"99\.00 percentile latency \(ns\)\s*:\s*(\d+)",
    "mean": r"Mean latency \(ns\)\s*:\s*(\d+)",
}
QPS_FIELDS = {"completed_qps": r"Completed samples per second\s*:\s*([\d.]+)", "scheduled_qps": r"Scheduled samples per second\s*:\s*([\d.]+)"}
SAMPLE_LIBRARY = 64  # query samples LoadGen chooses from; the suite serves the same batch for each


class SleepService:
    """A synthetic server: every query takes `service_s` of sleep (plus the OS's wake-up delay)."""

    def __init__(self, service_s: float) -> None:
        self.service_s = service_s

    def execute(self, size: int) -> None:
        time.sleep(self.service_s * size)

    def back_to_back_s(self, size: int, seconds: float) -> np.ndarray:
        return np.asarray(time_calls(lambda: self.execute(size), max(10, int(seconds / self.service_s)), warmup=1))


def parse_summary(text: str) -> dict[str, float]:
    """Latency percentiles (ms) and rates from LoadGen's `mlperf_log_summary.txt`."""
    values: dict[str, float] = {}
    for name, pattern in SUMMARY_FIELDS.items():
        found = re.search(pattern, text)
        if found is None:
            raise UsageError(f"LoadGen summary has no {name!r} line (pattern {pattern!r})")
        values[name] = int(found.group(1)) * 1e-6
    for name, pattern in QPS_FIELDS.items():
        found = re.search(pattern, text)
        values[name] = float(found.group(1)) if found else float("nan")
    return values


def loadgen_server(service: BatchService | SleepService, rate_qps: float, duration_s: float, seed: int) -> dict[str, float]:
    """One LoadGen Server run (PerformanceOnly) at `rate_qps` for `duration_s`; its summary, parsed."""
    try:
        import mlperf_loadgen as lg
    except ImportError:
        raise UsageError("loadgen-compare needs MLPerf LoadGen: pip install mlcommons-loadgen") from None
    waiting: queue.Queue = queue.Queue()

    def worker() -> None:
        while (sample := waiting.get()) is not None:
            service.execute(1)
            lg.QuerySamplesComplete([lg.QuerySampleResponse(sample.id, 0, 0)])

    def issue(samples) -> None:
        for sample in samples:
            waiting.put(sample)

    settings = lg.TestSettings()
    settings.scenario = lg.TestScenario.Server
    settings.mode = lg.TestMode.PerformanceOnly
    settings.server_target_qps = rate_qps
    settings.server_target_latency_ns = 10**10  # validity only; it does not change the schedule
    settings.min_duration_ms = int(duration_s * 1e3)
    settings.max_duration_ms = int(duration_s * 1e3 * 3)
    settings.min_query_count = 1
    settings.schedule_rng_seed = seed
    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(SAMPLE_LIBRARY, SAMPLE_LIBRARY, lambda indices: None, lambda indices: None)
    with tempfile.TemporaryDirectory() as logs:
        log_settings = lg.LogSettings()
        log_settings.log_output.outdir = logs
        log_settings.log_output.copy_summary_to_stdout = False
        try:
            lg.StartTestWithLogSettings(sut, qsl, settings, log_settings)
        finally:
            waiting.put(None)
            thread.join()
            lg.DestroyQSL(qsl)
            lg.DestroySUT(sut)
        summary = (Path(logs) / "mlperf_log_summary.txt").read_text()
    return parse_summary(summary)


def suite_server(service: BatchService | SleepService, rate_qps: float, duration_s: float, seed: int) -> dict[str, object]:
    """The suite's generator at the same rate and length, with p99's interval."""
    trace = run_server(rate_qps, BatchingPolicy(), service.execute, ServerPlan(duration_s, seed=seed, until_tight=False), WallClock())
    stats = Stats(trace.response_s)
    p99 = stats.interval("p99")
    return {"p50": stats.p50, "p90": stats.p90, "p99": stats.p99, "mean": stats.mean, "p99_low": p99.low, "p99_high": p99.high,
            "completed_qps": trace.achieved_qps, "queries": len(trace.response_s), "utilisation": trace.utilisation}  # fmt: skip


def compare(
    service: BatchService | SleepService, rates_qps: list[float], duration_s: float, repeats: int, seed: int, service_samples_s: np.ndarray
) -> list[dict[str, object]]:
    """Alternating LoadGen and suite runs at each rate; ratios suite / LoadGen per percentile, and
    the queueing models' p99 from the back-to-back service times."""
    rows = []
    for repeat in range(repeats):
        for rate in rates_qps:
            loadgen = loadgen_server(service, rate, duration_s, seed + repeat)
            suite = suite_server(service, rate, duration_s, seed + repeat)
            ratios = {name: suite[name] / loadgen[name] for name in ("p50", "p90", "p99", "mean")}
            try:
                models = {p.model: p.p99_ms for p in predictions(rate, service_samples_s, seed=seed)}
            except UsageError:  # the back-to-back service time says this rate overloads the server
                models = {}
            rows.append({"target_qps": rate, "repeat": repeat, "loadgen_ms": loadgen, "suite_ms": suite, "suite_over_loadgen": ratios,
                         "predicted_p99_ms": models})  # fmt: skip
    return rows


def _models(p99_ms: dict[str, float]) -> str:
    return f"{p99_ms['M/D/1']:.2f}, {p99_ms['M/G/1']:.2f}" if p99_ms else "unstable"


def markdown(rows: list[dict[str, object]]) -> str:
    lines = ["| target QPS | run | LoadGen p50 / p90 / p99 (ms) | suite p50 / p90 / p99 (ms) | suite p99 95% CI | suite / LoadGen p50, p90, p99 "
             "| M/D/1, M/G/1 p99 (ms) |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in rows:
        lg, ours, ratio = row["loadgen_ms"], row["suite_ms"], row["suite_over_loadgen"]
        interval = f"{ours['p99_low']:.1f}-{ours['p99_high']:.1f}" if ours["p99_high"] is not None else f"{ours['p99_low']:.1f}-unbounded"
        lines.append(f"| {row['target_qps']:g} | {row['repeat']} | {lg['p50']:.2f} / {lg['p90']:.2f} / {lg['p99']:.2f} | "
                     f"{ours['p50']:.2f} / {ours['p90']:.2f} / {ours['p99']:.2f} | {interval} | "
                     f"{ratio['p50']:.2f}, {ratio['p90']:.2f}, {ratio['p99']:.2f} | {_models(row['predicted_p99_ms'])} |")  # fmt: skip
    means = {name: float(np.mean([row["suite_over_loadgen"][name] for row in rows])) for name in ("p50", "p90", "p99")}
    lines.append(f"\nmean ratio suite / LoadGen: p50 {means['p50']:.3f}, p90 {means['p90']:.3f}, p99 {means['p99']:.3f}")
    return "\n".join(lines) + "\n"
