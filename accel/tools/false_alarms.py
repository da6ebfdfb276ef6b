"""False alarms of regression rules on unchanged reruns: each consecutive pair of runs is compared
as baseline and candidate, and every alarm is false because nothing changed between them.

    python -m accel.tools.false_alarms docs/results/compare/quiet/run-*.json.gz

Rules: the gate of `python -m accel compare` with its default `--fail p99:10%,p50:5%` (ratio and
the bootstrap interval's lower bound above 1 + threshold); a lenient variant of it (ratio above
1 + threshold, lower bound above 1); the gate on p50 alone at pytest-benchmark's 10%, beside
pytest-benchmark's `--benchmark-compare-fail=median:10%` (candidate median > 1.10 x baseline
median, computed from the same samples), which shows what the interval adds at the same threshold.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from accel.measure.compare import DEFAULT_FAIL, REGRESSION, Comparison, RowComparison, compare_runs, load_run, parse_fail_spec, short_name

OLD_RULE_FRACTION = 0.10
SAME_THRESHOLD_SPEC = "p50:10%"
RULES = (
    ("gate", f"gate `--fail {DEFAULT_FAIL}` (ratio and CI lower bound > 1 + t)"),
    ("lenient", "lenient variant, same thresholds (ratio > 1 + t, CI lower bound > 1)"),
    ("gate10", f"gate `--fail {SAME_THRESHOLD_SPEC}` (pytest-benchmark's threshold, plus the interval)"),
    ("old", "pytest-benchmark `--benchmark-compare-fail=median:10%`"),
)


def lenient_alarm(row: RowComparison) -> bool:
    return row.low is not None and row.ratio > 1 + row.threshold and row.low > 1


def old_rule_alarms(comparison: Comparison) -> list[str]:
    """Rows whose candidate median exceeds the baseline's by more than 10%, as pytest-benchmark decides."""
    base, cand = comparison.baseline.samples, comparison.candidate.samples
    return [row for row in cand if row in base and np.median(cand[row]) > (1 + OLD_RULE_FRACTION) * np.median(base[row])]


def false_alarm_report(paths: Sequence[str]) -> str:
    """Markdown: one line per consecutive pair, one per row and statistic, then each rule's rate."""
    if len(paths) < 2:
        raise SystemExit("false_alarms: give at least two run files")
    thresholds, same_threshold = parse_fail_spec(DEFAULT_FAIL), parse_fail_spec(SAME_THRESHOLD_SPEC)
    runs = [load_run(path) for path in paths]
    pair_lines = [
        "| pair | busy rows (base/cand) | gate alarms | lenient alarms | gate p50:10% alarms | median:10% alarms | largest p50 ratio | largest p99 ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    alarms: dict[str, list[set]] = {key: [] for key, _ in RULES}  # per pair: the (row, statistic) that alarmed
    ratios: dict[tuple[str, str], list[float]] = {}
    totals = dict.fromkeys(alarms, 0)
    for baseline, candidate in zip(runs, runs[1:]):
        comparison = compare_runs(baseline, candidate, thresholds)
        alarms["gate"].append({(row.row, row.statistic) for row in comparison.rows if row.verdict == REGRESSION})
        alarms["lenient"].append({(row.row, row.statistic) for row in comparison.rows if lenient_alarm(row)})
        alarms["gate10"].append({(row.row, "p50") for row in compare_runs(baseline, candidate, same_threshold).rows if row.verdict == REGRESSION})
        alarms["old"].append({(row, "median") for row in old_rule_alarms(comparison)})
        rows = len({row.row for row in comparison.rows})
        totals.update(gate=totals["gate"] + len(comparison.rows), lenient=totals["lenient"] + len(comparison.rows),
                      gate10=totals["gate10"] + rows, old=totals["old"] + rows)  # fmt: skip
        for row in comparison.rows:
            ratios.setdefault((row.row, row.statistic), []).append(row.ratio)
        largest = {stat: max(row.ratio for row in comparison.rows if row.statistic == stat) for stat in ("p50", "p99")}
        pair_lines.append(f"| {Path(baseline.source).name} -> {Path(candidate.source).name} | {len(baseline.busy)}/{len(candidate.busy)} | "
                          + " | ".join(str(len(alarms[key][-1])) for key, _ in RULES)
                          + f" | {largest['p50']:.3f} | {largest['p99']:.3f} |")  # fmt: skip
    pairs = len(runs) - 1
    row_lines = ["| row | statistic | gate alarms | median:10% alarms | ratio min | ratio max |", "|---|---|---|---|---|---|"]
    for (name, statistic), values in ratios.items():
        old = sum((name, "median") in found for found in alarms["old"]) if statistic == "p50" else "-"
        row_lines.append(f"| {short_name(name)} | {statistic} | {sum((name, statistic) in found for found in alarms['gate'])} of {pairs} | "
                         f"{old if old == '-' else f'{old} of {pairs}'} | {min(values):.3f} | {max(values):.3f} |")  # fmt: skip
    summary = []
    for key, label in RULES:
        failing = sum(bool(found) for found in alarms[key])
        total = totals[key]
        count = sum(len(found) for found in alarms[key])
        summary.append(f"- {label}: {failing} of {pairs} pairs failed ({failing / pairs:.0%}); {count} of {total} comparisons alarmed ({count / total:.1%})")
    return "\n".join(pair_lines + [""] + row_lines + [""] + summary) + "\n"


if __name__ == "__main__":
    sys.stdout.write(false_alarm_report(sys.argv[1:]))
