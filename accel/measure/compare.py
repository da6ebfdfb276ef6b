"""Regression gate on raw samples: is a candidate run slower than its baseline, beyond noise?

pytest-benchmark's `--benchmark-compare-fail=median:10%` compares two point estimates, so run-to-run
noise alone trips it, and it has no percentile but the median. Here each row's percentile is
compared by the ratio candidate / baseline with a percentile-bootstrap 95% interval
(`accel.measure.bootstrap`), and a row regresses only when the slowdown is significantly larger
than its threshold:

    REGRESSION  iff  ratio > 1 + threshold  and  the interval's lower bound > 1 + threshold

(not merely above 1: the interval sees only each run's own rounds and is far narrower than the
shifts between whole runs, and on the unchanged reruns of docs/results/compare/ a lower bound above
1 let 21 false alarms through where this rule let 16).

Rows are matched by the benchmark's fullname, and only between runs of one machine (CPU model,
usable cores, GPUs; not the host name, not library versions, which are what a gate compares). A
percentile the samples cannot bound (fewer than 368 rounds for p99, the order-statistic limit the
suite's own intervals use) is reported as such, never gated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accel.errors import UsageError
from accel.measure.bootstrap import RESAMPLES, SEED, percentile_ratio
from accel.measure.intervals import CONFIDENCE
from accel.measure.report import load_json
from accel.measure.stats import PERCENTILES

DEFAULT_FAIL = "p99:10%,p50:5%"
SPEC_ITEM = re.compile(r"^(?P<statistic>[a-z0-9]+):(?P<percent>\d+(?:\.\d*)?|\.\d+)%$")
# Verdicts; only REGRESSION fails the gate.
REGRESSION = "REGRESSION"
SLOWER_NOT_SIGNIFICANT = "slower, not significant"  # above the threshold, but its interval reaches below it
WITHIN = "ok"
FASTER = "faster"
TOO_FEW = "too few samples"


@dataclass(frozen=True)
class Threshold:
    """Fail when `statistic` (one of stats.PERCENTILES) grows by more than `fraction` (0.1: 10%)."""

    statistic: str
    fraction: float


def parse_fail_spec(spec: str, option: str = "--fail") -> tuple[Threshold, ...]:
    """'p99:10%,p50:5%' -> thresholds; a percent sign is required (pytest-benchmark's 'mean:0.001' means seconds)."""
    thresholds: list[Threshold] = []
    for item in (part.strip() for part in spec.split(",")):
        match = SPEC_ITEM.match(item)
        if match is None or match["statistic"] not in PERCENTILES:
            raise UsageError(f"`{option}` takes STATISTIC:PERCENT% items separated by commas (e.g. {DEFAULT_FAIL}), "
                             f"STATISTIC one of {', '.join(PERCENTILES)}; got {item!r} in {spec!r}")  # fmt: skip
        if match["statistic"] in (threshold.statistic for threshold in thresholds):
            raise UsageError(f"`{option}` names {match['statistic']} twice in {spec!r}")
        if not float(match["percent"]) > 0:
            raise UsageError(f"`{option}` thresholds must be > 0%; got {item!r}")
        thresholds.append(Threshold(match["statistic"], float(match["percent"]) / 100))
    return tuple(thresholds)


def machine_fingerprint(machine_info: Mapping) -> dict[str, object]:
    """What decides whether two runs' latencies are comparable. Plain pytest-benchmark files lack the
    suite's fields; py-cpuinfo's brand and count stand in."""
    cpu = machine_info.get("cpu") or {}
    return {
        "cpu": machine_info.get("cpu_model") or cpu.get("brand_raw") or machine_info.get("processor") or "unknown",
        "cores": machine_info.get("cpu_affinity") or cpu.get("count"),
        "gpus": [gpu.get("name") for gpu in machine_info.get("gpus", [])],
    }


def describe_machine(fingerprint: Mapping) -> str:
    gpus = ", ".join(fingerprint["gpus"]) or "no GPU"
    return f"{fingerprint['cpu']}, {fingerprint['cores']} cores, {gpus}"


@dataclass(frozen=True)
class Run:
    """One run's raw samples (seconds) per row, keyed by the benchmark's fullname, and the rows the
    suite measured on a busy machine (load above the cores: `system_load.busy`)."""

    source: str
    machine: dict
    packages: dict
    commit: str
    samples: dict[str, np.ndarray]
    busy: frozenset[str] = frozenset()


def run_from_json(data: Mapping, source: str) -> Run:
    """A parsed pytest-benchmark JSON document; every row must carry its samples (`stats.data`)."""
    samples, busy = {}, set()
    for bench in data.get("benchmarks", []):
        raw = (bench.get("stats") or {}).get("data")
        if "fullname" not in bench:
            raise UsageError(f"{source}: a benchmark without a 'fullname' is not a pytest-benchmark row: {str(bench)[:120]}")
        if not raw:
            raise UsageError(f"{source}: row {bench.get('fullname', '?')} has no raw samples (stats.data): write runs with "
                             "--benchmark-json, or save them with --benchmark-save plus --benchmark-save-data")  # fmt: skip
        samples[bench["fullname"]] = np.asarray(raw, dtype=np.float64)
        if ((bench.get("extra_info") or {}).get("system_load") or {}).get("busy"):
            busy.add(bench["fullname"])
    machine_info = data.get("machine_info") or {}
    commit = str((data.get("commit_info") or {}).get("id") or "unknown")
    return Run(source, machine_fingerprint(machine_info), dict(machine_info.get("packages") or {}),
               commit[:10] if len(commit) == 40 else commit, samples, frozenset(busy))  # fmt: skip


def load_run(path: str | Path) -> Run:
    """A pytest-benchmark JSON file (.json or .json.gz)."""
    return run_from_json(load_json(path), str(path))


@dataclass(frozen=True)
class RowComparison:
    row: str
    statistic: str
    threshold: float
    n_baseline: int
    n_candidate: int
    baseline_ms: float
    candidate_ms: float
    ratio: float
    low: float | None
    high: float | None
    verdict: str


def verdict(ratio: float, low: float, high: float, threshold: float) -> str:
    """The rule of the module docstring; its mirror image names a significant speed-up."""
    if ratio > 1 + threshold and low > 1 + threshold:
        return REGRESSION
    if ratio > 1 + threshold:
        return SLOWER_NOT_SIGNIFICANT
    if ratio < 1 - threshold and high < 1 - threshold:
        return FASTER
    return WITHIN


def minimum_rounds(statistic: str) -> int:
    """Fewest samples whose order statistics bound the percentile on both sides with 95% confidence
    (`accel.measure.intervals`): the top sample lies above the q-quantile with chance 1 - q^n, so
    q^n <= 0.025 (p50: 6, p90: 36, p99: 368, p999: 3688)."""
    q = PERCENTILES[statistic] / 100
    return math.ceil(math.log((1 - CONFIDENCE) / 2) / math.log(max(q, 1 - q)))


def compare_row(row: str, baseline: np.ndarray, candidate: np.ndarray, threshold: Threshold,
                resamples: int = RESAMPLES, seed: int = SEED) -> RowComparison:  # fmt: skip
    q = PERCENTILES[threshold.statistic]
    base_ms, cand_ms = float(np.percentile(baseline, q)) * 1e3, float(np.percentile(candidate, q)) * 1e3
    common = (row, threshold.statistic, threshold.fraction, len(baseline), len(candidate), base_ms, cand_ms)
    if min(len(baseline), len(candidate)) < minimum_rounds(threshold.statistic):
        return RowComparison(*common, cand_ms / base_ms, None, None, TOO_FEW)
    interval = percentile_ratio(baseline, candidate, q, resamples, seed)
    return RowComparison(*common, interval.ratio, interval.low, interval.high,
                         verdict(interval.ratio, interval.low, interval.high, threshold.fraction))  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    baseline: Run
    candidate: Run
    rows: list[RowComparison]
    only_baseline: list[str]
    only_candidate: list[str]

    @property
    def regressions(self) -> list[RowComparison]:
        return [row for row in self.rows if row.verdict == REGRESSION]


def compare_runs(baseline: Run, candidate: Run, thresholds: Sequence[Threshold]) -> Comparison:
    """Every row of both runs under every threshold; refuses runs of different machines or with no row in common."""
    if baseline.machine != candidate.machine:
        raise UsageError(f"{baseline.source} ran on {describe_machine(baseline.machine)} but {candidate.source} on "
                         f"{describe_machine(candidate.machine)}: latencies of different machines are not compared")  # fmt: skip
    common = [row for row in candidate.samples if row in baseline.samples]
    if not common:
        raise UsageError(f"{baseline.source} and {candidate.source} have no row in common (baseline: "
                         f"{_some(baseline.samples)}; candidate: {_some(candidate.samples)})")  # fmt: skip
    rows = [compare_row(row, baseline.samples[row], candidate.samples[row], threshold) for row in common for threshold in thresholds]
    return Comparison(
        baseline, candidate, rows,
        only_baseline=[row for row in baseline.samples if row not in candidate.samples],
        only_candidate=[row for row in candidate.samples if row not in baseline.samples],
    )  # fmt: skip


def _some(rows: Mapping[str, object]) -> str:
    names = list(rows)
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "") if names else "none"


def short_name(fullname: str) -> str:
    """test_inference[resnet18-onnxruntime-fp32-cpu-b1] from the fullname's path::name."""
    return fullname.rsplit("::", 1)[-1]


def render(comparison: Comparison) -> str:
    """Markdown table plus the rows only one run has, the machine, and a one-line summary."""
    base, cand = comparison.baseline, comparison.candidate
    lines = [
        f"baseline:  {base.source} (commit {base.commit})",
        f"candidate: {cand.source} (commit {cand.commit})",
        f"machine:   {describe_machine(base.machine)}",
    ]
    changed = sorted(name for name in set(base.packages) | set(cand.packages) if base.packages.get(name) != cand.packages.get(name))
    if changed:
        lines.append("packages:  " + ", ".join(f"{name} {base.packages.get(name, '-')} -> {cand.packages.get(name, '-')}" for name in changed))
    lines += [
        f"rule:      REGRESSION when the ratio and its whole 95% percentile-bootstrap interval lie above 1 + threshold "
        f"({RESAMPLES} resamples per run, seed {SEED})",
        "",
        "| Row | Statistic | Threshold | n (base/cand) | Baseline (ms) | Candidate (ms) | Ratio | 95% CI | Verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in comparison.rows:
        interval = f"{row.low:.3f}-{row.high:.3f}" if row.low is not None else "-"
        note = f" ({row.statistic} needs {minimum_rounds(row.statistic)} rounds)" if row.verdict == TOO_FEW else ""
        busy = [label for label, run in (("baseline", base), ("candidate", cand)) if row.row in run.busy]
        note += f"; busy machine in {' and '.join(busy)}" if busy else ""
        lines.append(f"| {short_name(row.row)} | {row.statistic} | {row.threshold * 100:g}% | {row.n_baseline}/{row.n_candidate} | "
                     f"{row.baseline_ms:.4g} | {row.candidate_ms:.4g} | {row.ratio:.3f} | {interval} | {row.verdict}{note} |")  # fmt: skip
    for label, rows in (("only in baseline (not compared)", comparison.only_baseline), ("only in candidate (not compared)", comparison.only_candidate)):
        if rows:
            lines += ["", f"{label}: " + ", ".join(short_name(row) for row in rows)]
    regressions = comparison.regressions
    summary = f"{len(regressions)} regression(s)" if regressions else "no regression"
    lines += ["", f"{summary} in {len(comparison.rows)} comparisons"]
    return "\n".join(lines) + "\n"
