"""Regression gate on raw samples: is a candidate slower than its baseline, beyond noise?

pytest-benchmark's `--benchmark-compare-fail=median:10%` compares two point estimates, so run-to-run
noise alone trips it, and it has no percentile but the median. Here each side is one or more runs
(pytest-benchmark JSON with raw samples); each row's percentile is averaged over a side's runs and
compared by the ratio candidate / baseline, with a 95% two-level bootstrap interval
(`accel.measure.bootstrap`: runs resampled, then each drawn run's rounds), and a row regresses only
when the slowdown is significantly larger than its threshold:

    REGRESSION  iff  ratio > 1 + threshold  and  the interval's lower bound > 1 + threshold

(not merely above 1: on the unchanged one-run pairs of docs/results/compare/ a lower bound above 1
let 21 false alarms through where this rule let 16). Whole runs land faster or slower by more than
the thresholds on a shared machine, even a quiet one, and an interval from one run's rounds cannot
see that; only several runs a side, interleaved (baseline, candidate, baseline, ...), put the spread
between runs into the interval. One run a side still works, and the table says what it misses.

Rows are matched by the benchmark's fullname, and only between runs of one machine (CPU model,
usable cores, GPUs; not the host name, not library versions, which are what a gate compares). Rows
not in every run are listed, not compared. A percentile the samples cannot bound (fewer than 368
rounds for p99 in any run, the order-statistic limit the suite's own intervals use) is reported as
such, never gated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accel.errors import UsageError
from accel.measure.bootstrap import RESAMPLES, SEED, runs_percentile_ratio
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
    """One row and statistic; the times are the mean over a side's runs of each run's percentile."""

    row: str
    statistic: str
    threshold: float
    n_baseline: tuple[int, ...]  # rounds per run
    n_candidate: tuple[int, ...]
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


def compare_row(row: str, baseline: Sequence[np.ndarray], candidate: Sequence[np.ndarray], threshold: Threshold,
                resamples: int = RESAMPLES, seed: int = SEED) -> RowComparison:  # fmt: skip
    """One row's samples, one array per run and side."""
    q = PERCENTILES[threshold.statistic]
    base_ms, cand_ms = (float(np.mean([np.percentile(run, q) for run in runs])) * 1e3 for runs in (baseline, candidate))
    common = (row, threshold.statistic, threshold.fraction, tuple(map(len, baseline)), tuple(map(len, candidate)), base_ms, cand_ms)
    if min(map(len, (*baseline, *candidate))) < minimum_rounds(threshold.statistic):
        return RowComparison(*common, cand_ms / base_ms, None, None, TOO_FEW)
    interval = runs_percentile_ratio(baseline, candidate, q, resamples, seed)
    return RowComparison(*common, interval.ratio, interval.low, interval.high,
                         verdict(interval.ratio, interval.low, interval.high, threshold.fraction))  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    baseline: tuple[Run, ...]
    candidate: tuple[Run, ...]
    rows: list[RowComparison]
    not_in_every_run: dict[str, list[str]]  # row -> the runs (sources) that lack it

    @property
    def regressions(self) -> list[RowComparison]:
        return [row for row in self.rows if row.verdict == REGRESSION]


def compare_runs(baseline: Sequence[Run], candidate: Sequence[Run], thresholds: Sequence[Threshold]) -> Comparison:
    """Every row all runs share, under every threshold; refuses runs of different machines or with no row in common."""
    if not baseline or not candidate:
        raise UsageError("a comparison needs at least one baseline run and one candidate run")
    runs = [*baseline, *candidate]
    reference = runs[0]
    for run in runs[1:]:
        if run.machine != reference.machine:
            raise UsageError(f"{reference.source} ran on {describe_machine(reference.machine)} but {run.source} on "
                             f"{describe_machine(run.machine)}: latencies of different machines are not compared")  # fmt: skip
    every = [row for row in candidate[0].samples if all(row in run.samples for run in runs)]
    if not every:
        raise UsageError(f"{_and(run.source for run in runs)} have no row in common ("
                         + "; ".join(f"{run.source}: {_some(run.samples)}" for run in runs) + ")")  # fmt: skip
    seen = list(dict.fromkeys(row for run in runs for row in run.samples))
    rows = [compare_row(row, [run.samples[row] for run in baseline], [run.samples[row] for run in candidate], threshold)
            for row in every for threshold in thresholds]  # fmt: skip
    missing = {row: [run.source for run in runs if row not in run.samples] for row in seen if row not in every}
    return Comparison(tuple(baseline), tuple(candidate), rows, missing)


def _and(names: Iterable[str]) -> str:
    listed = list(names)
    return ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else listed[0]


def _some(rows: Mapping[str, object]) -> str:
    names = list(rows)
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "") if names else "none"


def short_name(fullname: str) -> str:
    """test_inference[resnet18-onnxruntime-fp32-cpu-b1] from the fullname's path::name."""
    return fullname.rsplit("::", 1)[-1]


def _rounds(counts: tuple[int, ...]) -> str:
    """2000 for one run; 3x1990-2010 for three."""
    if len(counts) == 1:
        return str(counts[0])
    return f"{len(counts)}x{min(counts)}" + (f"-{max(counts)}" if max(counts) != min(counts) else "")


def _versions(runs: Sequence[Run], name: str) -> str:
    return "/".join(dict.fromkeys(str(run.packages.get(name, "-")) for run in runs))


def _busy_note(row: str, base: Sequence[Run], cand: Sequence[Run]) -> str:
    """'; busy machine in candidate', or with several runs a side '; busy machine in baseline (2 of 3 runs)'."""
    sides = []
    for label, runs in (("baseline", base), ("candidate", cand)):
        busy = sum(row in run.busy for run in runs)
        if busy:
            sides.append(label if len(runs) == 1 else f"{label} ({busy} of {len(runs)} runs)")
    return f"; busy machine in {' and '.join(sides)}" if sides else ""


def render(comparison: Comparison) -> str:
    """Markdown table plus the rows not compared, the machine, what the interval covers, and a one-line summary."""
    base, cand = comparison.baseline, comparison.candidate
    lines = []
    for label, runs in (("baseline: ", base), ("candidate:", cand)):
        lines += [f"{label if i == 0 else ' ' * len(label)} {run.source} (commit {run.commit})" for i, run in enumerate(runs)]
    lines.append(f"machine:   {describe_machine(base[0].machine)}")
    names = sorted({name for run in (*base, *cand) for name in run.packages})
    changed = [name for name in names if _versions(base, name) != _versions(cand, name)]
    if changed:
        lines.append("packages:  " + ", ".join(f"{name} {_versions(base, name)} -> {_versions(cand, name)}" for name in changed))
    lines += [
        f"runs:      {len(base)} baseline, {len(cand)} candidate; each side's value is the mean of its runs' percentiles",
        f"rule:      REGRESSION when the ratio and its whole 95% two-level bootstrap interval (runs, then each run's rounds) "
        f"lie above 1 + threshold ({RESAMPLES} resamples, seed {SEED})",
    ]
    if min(len(base), len(cand)) == 1:
        lines.append("note:      one run on a side: the interval resamples that run's rounds only, so run-to-run noise (whole runs "
                     "landing faster or slower) is not in it; for a gate that weighs it, compare several interleaved runs a side "
                     "(python -m accel compare --baseline RUN... --candidate RUN...)")  # fmt: skip
    lines += [
        "",
        "| Row | Statistic | Threshold | n (base/cand) | Baseline (ms) | Candidate (ms) | Ratio | 95% CI | Verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in comparison.rows:
        interval = f"{row.low:.3f}-{row.high:.3f}" if row.low is not None else "-"
        note = f" ({row.statistic} needs {minimum_rounds(row.statistic)} rounds in every run)" if row.verdict == TOO_FEW else ""
        note += _busy_note(row.row, base, cand)
        lines.append(f"| {short_name(row.row)} | {row.statistic} | {row.threshold * 100:g}% | {_rounds(row.n_baseline)}/{_rounds(row.n_candidate)} | "
                     f"{row.baseline_ms:.4g} | {row.candidate_ms:.4g} | {row.ratio:.3f} | {interval} | {row.verdict}{note} |")  # fmt: skip
    if comparison.not_in_every_run:
        lines += ["", "not in every run (not compared): "
                  + ", ".join(f"{short_name(row)} (missing from {_and(sources)})" for row, sources in comparison.not_in_every_run.items())]  # fmt: skip
    regressions = comparison.regressions
    summary = f"{len(regressions)} regression(s)" if regressions else "no regression"
    lines += ["", f"{summary} in {len(comparison.rows)} comparisons"]
    return "\n".join(lines) + "\n"
