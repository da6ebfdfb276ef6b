"""False alarms of regression rules on unchanged reruns: every alarm is false because nothing changed.

    python -m accel.tools.false_alarms docs/results/compare/quiet/run-*.json.gz             # consecutive pairs
    python -m accel.tools.false_alarms --trials docs/results/compare/multi-run/*.json.gz    # trial-NN-aK / -bK runs
    python -m accel.tools.false_alarms --windows 6 docs/results/compare/quiet/run-*.json.gz # ABABAB windows

Pairs: each consecutive pair of runs is compared as baseline and candidate. Rules: the gate of
`python -m accel compare` with its default `--fail p99:10%,p50:5%` (ratio and the bootstrap
interval's lower bound above 1 + threshold); a lenient variant of it (ratio above 1 + threshold,
lower bound above 1); the gate on p50 alone at pytest-benchmark's 10%, beside pytest-benchmark's
`--benchmark-compare-fail=median:10%` (candidate median > 1.10 x baseline median, computed from the
same samples), which shows what the interval adds at the same threshold.

Trials (the protocol of `.ci/run`): baseline runs a1..ak interleaved with candidate runs b1..bk, the
gate given all k a side, beside the one-run rules on the same data, pair by pair (a_i -> b_i): the
gate with one run each, and `median:10%`. Windows apply the trial protocol to a series of single
runs: each window of consecutive runs, alternately baseline and candidate (overlapping windows, so
not independent trials).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from accel.measure.compare import DEFAULT_FAIL, REGRESSION, Comparison, RowComparison, Run, compare_runs, load_run, parse_fail_spec, short_name

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
    base, cand = comparison.baseline[0].samples, comparison.candidate[0].samples
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
        comparison = compare_runs([baseline], [candidate], thresholds)
        alarms["gate"].append({(row.row, row.statistic) for row in comparison.rows if row.verdict == REGRESSION})
        alarms["lenient"].append({(row.row, row.statistic) for row in comparison.rows if lenient_alarm(row)})
        alarms["gate10"].append({(row.row, "p50") for row in compare_runs([baseline], [candidate], same_threshold).rows if row.verdict == REGRESSION})
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


TRIAL_FILE = re.compile(r"trial-(?P<trial>\d+)-(?P<side>[ab])(?P<run>\d+)\.json(\.gz)?$")


@dataclass(frozen=True)
class Trial:
    """Baseline and candidate runs of unchanged code, in the order they ran (a1, b1, a2, b2, ...)."""

    label: str
    baseline: list[str]
    candidate: list[str]


def trials_from_files(paths: Sequence[str]) -> list[Trial]:
    """trial-NN-aK.json.gz (baseline run K) and trial-NN-bK.json.gz (candidate run K), grouped by NN."""
    found: dict[str, dict[str, dict[int, str]]] = {}
    for path in paths:
        match = TRIAL_FILE.search(Path(path).name)
        if match is None:
            raise SystemExit(f"false_alarms: {path} is not named trial-NN-aK.json[.gz] or trial-NN-bK.json[.gz]")
        found.setdefault(match["trial"], {"a": {}, "b": {}})[match["side"]][int(match["run"])] = path
    trials = [Trial(f"trial-{trial}", [sides["a"][k] for k in sorted(sides["a"])], [sides["b"][k] for k in sorted(sides["b"])])
              for trial, sides in sorted(found.items())]  # fmt: skip
    for trial in trials:
        if not trial.baseline or len(trial.baseline) != len(trial.candidate):
            raise SystemExit(f"false_alarms: {trial.label} has {len(trial.baseline)} baseline and {len(trial.candidate)} candidate runs")
    return trials


def windows_of_runs(paths: Sequence[str], size: int) -> list[Trial]:
    """Every window of `size` consecutive runs, the 1st, 3rd, ... as baseline and the 2nd, 4th, ... as candidate."""
    if size < 2 or size % 2:
        raise SystemExit(f"false_alarms: --windows takes an even number of runs >= 2; got {size}")
    if len(paths) < size:
        raise SystemExit(f"false_alarms: {len(paths)} runs make no window of {size}")
    return [Trial(f"{_stem(paths[start])}..{_stem(paths[start + size - 1])}", list(paths[start:start + size:2]),
                  list(paths[start + 1:start + size:2])) for start in range(len(paths) - size + 1)]  # fmt: skip


def _stem(path: str) -> str:
    return Path(path).name.split(".")[0]


def without_rows(run: Run, exclude: Sequence[str]) -> Run:
    """`run` less the rows whose name contains any of `exclude` (as `.ci/run` leaves the harness row out)."""
    keep = {row: samples for row, samples in run.samples.items() if not any(text in row for text in exclude)}
    return replace(run, samples=keep, busy=frozenset(row for row in run.busy if row in keep))


def trial_report(trials: Sequence[Trial], unit: str = "trial", exclude: Sequence[str] = ()) -> str:
    """Markdown: one line per trial, one per row and statistic, then each rule's rate: the gate on all runs of a
    trial, and the one-run gate and median:10% on each baseline -> candidate pair of it. `unit` names a trial
    ('window' for overlapping windows, whose pairs recur from window to window); rows whose name contains any
    of `exclude` are left out of every rule."""
    if not trials:
        raise SystemExit("false_alarms: no trial")
    thresholds = parse_fail_spec(DEFAULT_FAIL)
    loaded: dict[str, Run] = {}
    many = "/".join(sorted({f"{len(trial.baseline)}v{len(trial.candidate)}" for trial in trials}))
    lines = [
        f"| {unit} | {many} gate alarms | {many} p50 ratios | {many} p99 ratios | 1v1 gate: pairs failed | 1v1 gate alarms | "
        "median:10%: pairs failed | median:10% alarms |",
        "|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    alarms: dict[str, Counter] = {"gate": Counter(), "pair": Counter(), "old": Counter()}  # per (row, statistic); per row for old
    failed: Counter[str] = Counter()  # per rule: trials or pairs that failed
    compared: Counter[str] = Counter()  # per rule: comparisons made
    ratios: dict[tuple[str, str], list[float]] = {}
    trial_alarmed: list[bool] = []
    for trial in trials:
        for path in (*trial.baseline, *trial.candidate):
            if path not in loaded:  # windows overlap: each run is read once
                loaded[path] = without_rows(load_run(path), exclude)
        baseline, candidate = [loaded[path] for path in trial.baseline], [loaded[path] for path in trial.candidate]
        comparison = compare_runs(baseline, candidate, thresholds)
        found = [row for row in comparison.rows if row.verdict == REGRESSION]
        trial_alarmed.append(bool(found))
        alarms["gate"].update((row.row, row.statistic) for row in found)
        failed["gate"] += bool(found)
        compared["gate"] += len(comparison.rows)
        for row in comparison.rows:
            ratios.setdefault((row.row, row.statistic), []).append(row.ratio)
        pair_found, old_found = [], []
        for base, cand in zip(baseline, candidate):
            pair = compare_runs([base], [cand], thresholds)
            pair_found.append([(row.row, row.statistic) for row in pair.rows if row.verdict == REGRESSION])
            old_found.append(old_rule_alarms(pair))
            compared["pair"] += len(pair.rows)
            compared["old"] += len({row.row for row in pair.rows})
        for key, per_pair in (("pair", pair_found), ("old", old_found)):
            alarms[key].update(item for items in per_pair for item in items)
            failed[key] += sum(map(bool, per_pair))
        spans = {stat: [row.ratio for row in comparison.rows if row.statistic == stat] for stat in ("p50", "p99")}
        listed = ", ".join(f"{short_name(row.row)} {row.statistic} {row.ratio:.3f}, CI {row.low:.3f}-{row.high:.3f}" for row in found)
        lines.append(f"| {trial.label} | {len(found)}{f' ({listed})' if found else ''} | {min(spans['p50']):.3f}-{max(spans['p50']):.3f} | "
                     f"{min(spans['p99']):.3f}-{max(spans['p99']):.3f} | {sum(map(bool, pair_found))} of {len(pair_found)} | "
                     f"{sum(map(len, pair_found))} | {sum(map(bool, old_found))} of {len(old_found)} | {sum(map(len, old_found))} |")  # fmt: skip
    n, pairs = len(trials), sum(len(trial.baseline) for trial in trials)
    row_lines = [f"| row | statistic | {many} gate alarms | {many} ratio min | {many} ratio max | 1v1 gate alarms | median:10% alarms |",
                 "|---|---|---|---|---|---|---|"]  # fmt: skip
    for (name, statistic), values in ratios.items():
        old = f"{alarms['old'][name]} of {pairs}" if statistic == "p50" else "-"
        row_lines.append(f"| {short_name(name)} | {statistic} | {alarms['gate'][name, statistic]} of {n} | {min(values):.3f} | {max(values):.3f} | "
                         f"{alarms['pair'][name, statistic]} of {pairs} | {old} |")  # fmt: skip
    rules = (("gate", f"gate `--fail {DEFAULT_FAIL}` on all {many} runs of a {unit}", n, f"{unit}s"),
             ("pair", f"gate `--fail {DEFAULT_FAIL}` on one run each (each a_i -> b_i)", pairs, "pairs"),
             ("old", "pytest-benchmark `--benchmark-compare-fail=median:10%` (each a_i -> b_i)", pairs, "pairs"))  # fmt: skip
    summary = [f"- {label}: {failed[key]} of {total} {unit} failed ({failed[key] / total:.0%}); {alarms[key].total()} of {compared[key]} "
               f"comparisons alarmed ({alarms[key].total() / compared[key]:.1%})" for key, label, total, unit in rules]  # fmt: skip
    if unit == "trial" and n > 1:  # windows overlap: consecutive windows are not independent retries
        both = sum(first and second for first, second in zip(trial_alarmed, trial_alarmed[1:]))
        summary.append(f"- as `.ci/run` gates (a trial that alarms runs once more; CI fails when both alarm): {both} of {n - 1} "
                       "consecutive pairs of trials would have failed CI")  # fmt: skip
    return "\n".join(lines + [""] + row_lines + [""] + summary) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m accel.tools.false_alarms", description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--trials", action="store_true", help="files named trial-NN-aK / trial-NN-bK: the gate on each trial's runs")
    mode.add_argument("--windows", type=int, metavar="N", help="the trial protocol on every window of N consecutive runs (ABAB...)")
    parser.add_argument("--exclude", action="append", default=[], metavar="TEXT",
                        help="with --trials or --windows: leave out rows whose name contains TEXT (repeatable)")
    parser.add_argument("runs", nargs="+", help="pytest-benchmark JSON files with raw samples, in the order they ran")
    args = parser.parse_args(argv)
    if args.exclude and not (args.trials or args.windows is not None):
        parser.error("--exclude goes with --trials or --windows")
    if args.trials:
        report = trial_report(trials_from_files(args.runs), exclude=args.exclude)
    elif args.windows is not None:
        report = trial_report(windows_of_runs(args.runs, args.windows), "window", args.exclude)
    else:
        report = false_alarm_report(args.runs)
    sys.stdout.write(report)


if __name__ == "__main__":
    main()
