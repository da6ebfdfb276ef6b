"""The regression gate on raw samples: the two-level bootstrap, the verdict rule, matching rows and machines, the CLI."""

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest

from accel.__main__ import main
from accel.errors import UsageError
from accel.measure.bootstrap import resampled_percentiles, runs_percentile_ratio
from accel.measure.compare import (
    FASTER, REGRESSION, SLOWER_NOT_SIGNIFICANT, TOO_FEW, WITHIN, Threshold, compare_row, compare_runs, minimum_rounds,
    parse_fail_spec, render, run_from_json, verdict,
)  # fmt: skip
from accel.measure.intervals import order_statistic_ranks
from accel.measure.stats import PERCENTILES

ROW = "benchmarks/test_latency.py::test_inference[digits_mlp-onnxruntime-fp32-cpu-b1]"
OTHER = "benchmarks/test_latency.py::test_end_to_end[digits_mlp-onnxruntime-fp32-cpu-b1]"
P50_5, P99_10 = Threshold("p50", 0.05), Threshold("p99", 0.10)
BASELINE_SHIFTS, CANDIDATE_SHIFTS = [0.91, 0.94, 1.04], [1.09, 1.06, 0.99]  # unchanged code, whole runs faster or slower


def latencies(seed: int, n: int = 2000) -> np.ndarray:
    """Seconds, about 1 ms with a right tail, like a real row."""
    return 1e-3 * (1 + np.random.default_rng(seed).gamma(2.0, 0.05, n))


def document(rows: dict, cpu: str = "AMD EPYC", node: str = "vm", onnxruntime: str = "1.32.0") -> dict:
    return {
        "machine_info": {"node": node, "cpu_model": cpu, "cpu_affinity": 2, "gpus": [], "packages": {"onnxruntime": onnxruntime}},
        "commit_info": {"id": "0123456789" * 4},
        "benchmarks": [{"name": row.split("::")[1], "fullname": row, "stats": {"data": list(samples)}} for row, samples in rows.items()],
    }


def verdicts(baseline: dict, candidate: dict, spec: str = "p99:10%,p50:5%") -> dict:
    comparison = compare_runs([run_from_json(baseline, "a.json")], [run_from_json(candidate, "b.json")], parse_fail_spec(spec))
    return {(row.row, row.statistic): row.verdict for row in comparison.rows}


def shifted_runs(seed: int, factors: list[float], n: int = 4000) -> list[np.ndarray]:
    """Runs of unchanged code on a shared machine: lognormal rounds (about 1 ms), each whole run scaled by its own factor."""
    rng = np.random.default_rng(seed)
    return [factor * 1e-3 * rng.lognormal(0, 0.3, n) for factor in factors]


def single_level_interval(baseline: np.ndarray, candidate: np.ndarray, q: float) -> tuple[float, float, float]:
    """The gate's interval before it took several runs: each run's rounds resampled on their own, candidate drawn first."""
    rng = np.random.default_rng(0)
    replicates = resampled_percentiles(candidate, q, 2000, rng) / resampled_percentiles(baseline, q, 2000, rng)
    tail = (1 - 0.95) / 2 * 100  # 2.4999999999999982, as the gate always computed it
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return float(np.percentile(candidate, q) / np.percentile(baseline, q)), float(low), float(high)


@pytest.mark.parametrize("n", [7, 50, 400])
@pytest.mark.parametrize("q", [50.0, 90.0, 99.0])
def test_bootstrap_replicates_have_the_distribution_of_brute_force_resampling(n, q):
    samples = np.random.default_rng(n).lognormal(0, 0.5, n)
    # Rounded: the same interpolation computed two ways differs in the last bits, which would split atoms.
    fast = np.round(resampled_percentiles(samples, q, 20_000, np.random.default_rng(1)), 9)
    brute = np.round(np.percentile(samples[np.random.default_rng(2).integers(0, n, (20_000, n))], q, axis=1), 9)
    grid = np.unique(np.concatenate([fast, brute]))
    distance = np.abs(np.searchsorted(np.sort(fast), grid, side="right") - np.searchsorted(np.sort(brute), grid, side="right")).max() / 20_000
    assert distance < 0.025  # Kolmogorov distance: at most 0.015 here; an off-by-one in a rank or Beta parameter gives 0.1-0.4


def test_ratio_of_scaled_samples_is_the_scale_with_a_fixed_seed():
    samples = latencies(0)
    first = runs_percentile_ratio([samples], [1.5 * samples], 50)
    assert first.ratio == pytest.approx(1.5) and first.low < 1.5 < first.high
    assert runs_percentile_ratio([samples], [1.5 * samples], 50) == first  # fixed seed: the same files give the same interval


@pytest.mark.parametrize("statistic", ["p50", "p90", "p99"])
@pytest.mark.parametrize(("n_baseline", "n_candidate"), [(2000, 2000), (400, 5000)])
def test_one_run_a_side_is_exactly_the_single_level_interval(statistic, n_baseline, n_candidate):
    baseline, candidate = latencies(0, n_baseline), 1.07 * latencies(1, n_candidate)
    expected = single_level_interval(baseline, candidate, PERCENTILES[statistic])
    interval = runs_percentile_ratio([baseline], [candidate], PERCENTILES[statistic])
    row = compare_row(ROW, [baseline], [candidate], Threshold(statistic, 0.05))
    assert (interval.ratio, interval.low, interval.high) == expected == (row.ratio, row.low, row.high)


def test_interval_widens_with_the_spread_between_runs():
    """Runs, not only rounds, are resampled: the same rounds scaled run by run give a wider interval the more runs differ."""
    rounds = shifted_runs(0, [1.0] * 6)
    widths = []
    for spread in (0.0, 0.04, 0.12):
        factors = [1 - spread, 1.0, 1 + spread]
        interval = runs_percentile_ratio([f * run for f, run in zip(factors, rounds[:3])], [f * run for f, run in zip(factors[::-1], rounds[3:])], 50)
        assert interval.ratio == pytest.approx(1.0, abs=0.02)
        widths.append(interval.high - interval.low)
    assert widths[0] < 0.04 and widths[1] > 2 * widths[0] and widths[2] > 2.5 * widths[1], widths


@pytest.mark.parametrize(
    ("ratio", "low", "high", "expected"),
    [
        (1.20, 1.11, 1.30, REGRESSION),
        (1.20, 1.10, 1.30, SLOWER_NOT_SIGNIFICANT),  # the interval must clear 1 + threshold, not touch it
        (1.12, 1.01, 1.20, SLOWER_NOT_SIGNIFICANT),  # significant, but not significantly beyond 10%
        (1.10, 1.105, 1.20, WITHIN),  # the ratio itself must exceed 1 + threshold
        (1.05, 1.02, 1.08, WITHIN),
        (0.85, 0.80, 0.89, FASTER),
        (0.85, 0.80, 0.90, WITHIN),
    ],
)
def test_verdict_rule(ratio, low, high, expected):
    assert verdict(ratio, low, high, 0.10) == expected


def test_a_1_5x_slowdown_fails_the_gate():
    result = verdicts(document({ROW: latencies(0)}), document({ROW: 1.5 * latencies(1)}))
    assert result == {(ROW, "p99"): REGRESSION, (ROW, "p50"): REGRESSION}


def test_swapped_baseline_and_candidate_is_a_speed_up_not_a_regression():
    result = verdicts(document({ROW: 1.5 * latencies(1)}), document({ROW: latencies(0)}))
    assert result == {(ROW, "p99"): FASTER, (ROW, "p50"): FASTER}


@pytest.mark.parametrize("candidate", [latencies(0), np.random.default_rng(5).choice(latencies(0), 2000), latencies(1)],
                         ids=["identical", "resampled", "same-distribution"])  # fmt: skip
def test_noise_alone_passes(candidate):
    assert set(verdicts(document({ROW: latencies(0)}), document({ROW: candidate})).values()) <= {WITHIN}


def test_a_significant_slowdown_below_the_threshold_passes():
    samples = latencies(0, 20_000)
    row = compare_row(ROW, [samples], [1.04 * samples], P50_5)
    assert row.low > 1 and row.verdict == WITHIN  # significant (the interval is above 1) but 4% < 5%


def test_a_large_change_on_few_samples_is_not_significant():
    baseline = 1e-3 * np.array([1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0])
    row = compare_row(ROW, [baseline], [1.3 * baseline[::-1]], P50_5)
    assert row.ratio == pytest.approx(1.3) and row.low < 1 and row.verdict == SLOWER_NOT_SIGNIFICANT


def test_a_percentile_the_samples_cannot_bound_is_not_gated():
    baseline = latencies(0, 367)
    row = compare_row(ROW, [baseline], [2 * baseline], P99_10)
    assert row.verdict == TOO_FEW and row.low is None and row.ratio == pytest.approx(2)
    assert compare_row(ROW, [latencies(0, 368)], [2 * latencies(0, 368)], P99_10).verdict == REGRESSION
    several = compare_row(ROW, [latencies(0), latencies(1, 367)], [2 * latencies(2), 2 * latencies(3)], P99_10)
    assert several.verdict == TOO_FEW and several.n_baseline == (2000, 367)  # one short run is enough to leave p99 unjudged


def test_run_level_noise_of_unchanged_code_passes_with_three_runs_a_side_but_not_pooled_or_one_to_one():
    """Same code, each run shifted as a whole by 0.9-1.1 (as on the shared VM): the candidate's runs happen to be the slower
    ones, by more than the thresholds. Three runs a side show that spread; their rounds pooled, or one run each, do not."""
    baseline, candidate = shifted_runs(1, BASELINE_SHIFTS), shifted_runs(2, CANDIDATE_SHIFTS)
    for threshold in (P50_5, P99_10):
        row = compare_row(ROW, baseline, candidate, threshold)
        assert row.ratio > 1 + threshold.fraction and row.low < 1 + threshold.fraction and row.verdict == SLOWER_NOT_SIGNIFICANT
    assert compare_row(ROW, [np.concatenate(baseline)], [np.concatenate(candidate)], P50_5).verdict == REGRESSION
    assert [compare_row(ROW, [base], [cand], P50_5).verdict for base, cand in zip(baseline, candidate)] == [REGRESSION, REGRESSION, WITHIN]


def test_a_1_5x_slowdown_across_three_runs_a_side_fails_the_gate():
    baseline, candidate = shifted_runs(1, BASELINE_SHIFTS), [1.5 * run for run in shifted_runs(2, CANDIDATE_SHIFTS)]
    assert {compare_row(ROW, baseline, candidate, threshold).verdict for threshold in (P50_5, P99_10)} == {REGRESSION}


@pytest.mark.parametrize("statistic", ["p50", "p90", "p99", "p999"])
def test_minimum_rounds_is_where_order_statistics_first_bound_the_percentile(statistic):
    q = {"p50": 0.5, "p90": 0.9, "p99": 0.99, "p999": 0.999}[statistic]
    n = minimum_rounds(statistic)
    assert None in order_statistic_ranks(n - 1, q) and None not in order_statistic_ranks(n, q)


def test_runs_of_different_machines_are_not_compared():
    with pytest.raises(UsageError, match="AMD EPYC, 2 cores, no GPU.*Intel Xeon, 2 cores, no GPU.*not compared"):
        verdicts(document({ROW: latencies(0)}), document({ROW: 1.5 * latencies(1)}, cpu="Intel Xeon"))


def test_a_baseline_run_of_another_machine_is_named():
    baseline = [run_from_json(document({ROW: latencies(0)}), "a1.json"), run_from_json(document({ROW: latencies(1)}, cpu="Intel Xeon"), "a2.json"),
                run_from_json(document({ROW: latencies(2)}), "a3.json")]  # fmt: skip
    with pytest.raises(UsageError, match="a1.json ran on AMD EPYC, 2 cores, no GPU but a2.json on Intel Xeon, 2 cores, no GPU"):
        compare_runs(baseline, [run_from_json(document({ROW: latencies(3)}), "b1.json")], [P50_5])


def test_host_name_and_library_versions_do_not_make_another_machine():
    comparison = compare_runs([run_from_json(document({ROW: latencies(0)}), "a.json")],
                              [run_from_json(document({ROW: latencies(1)}, node="ci-7", onnxruntime="1.33.0"), "b.json")], [P50_5])  # fmt: skip
    assert len(comparison.rows) == 1 and "onnxruntime 1.32.0 -> 1.33.0" in render(comparison)


def test_rows_in_one_run_only_are_listed_not_failed():
    comparison = compare_runs([run_from_json(document({ROW: latencies(0), OTHER: latencies(2)}), "a.json")],
                              [run_from_json(document({ROW: latencies(1)}), "b.json")], [P50_5])  # fmt: skip
    assert [row.row for row in comparison.rows] == [ROW] and comparison.not_in_every_run == {OTHER: ["b.json"]} and not comparison.regressions
    assert "not in every run (not compared): test_end_to_end[digits_mlp-onnxruntime-fp32-cpu-b1] (missing from b.json)" in render(comparison)


def test_only_rows_every_run_has_are_compared():
    baseline = [run_from_json(document({ROW: latencies(0), OTHER: latencies(1)}), "a1.json"), run_from_json(document({ROW: latencies(2)}), "a2.json")]
    candidate = [run_from_json(document({ROW: latencies(3), OTHER: latencies(4)}), f"b{i}.json") for i in (1, 2)]
    comparison = compare_runs(baseline, candidate, [P50_5])
    assert [(row.row, row.n_baseline, row.n_candidate) for row in comparison.rows] == [(ROW, (2000, 2000), (2000, 2000))]
    assert comparison.not_in_every_run == {OTHER: ["a2.json"]}
    table = render(comparison)
    assert "| test_inference[digits_mlp-onnxruntime-fp32-cpu-b1] | p50 | 5% | 2x2000/2x2000 |" in table
    assert "runs:      2 baseline, 2 candidate" in table and "baseline:  a1.json (commit 0123456789)\n           a2.json" in table
    assert "one run on a side" not in table  # the warning that run-to-run noise is not in the interval


def test_one_run_a_side_says_the_interval_misses_run_to_run_noise():
    comparison = compare_runs([run_from_json(document({ROW: latencies(0)}), f"a{i}.json") for i in (1, 2, 3)],
                              [run_from_json(document({ROW: latencies(1)}), "b.json")], [P50_5])  # fmt: skip
    table = render(comparison)
    assert "runs:      3 baseline, 1 candidate" in table
    assert "one run on a side: the interval resamples that run's rounds only, so run-to-run noise" in table and "--baseline RUN... --candidate RUN..." in table


def test_rows_measured_on_a_busy_machine_say_so():
    busy = document({ROW: latencies(1), OTHER: latencies(3)})
    busy["benchmarks"][0]["extra_info"] = {"system_load": {"busy": "load average 4.12 > 2 cores"}}
    table = render(compare_runs([run_from_json(document({ROW: latencies(0), OTHER: latencies(2)}), "a.json")], [run_from_json(busy, "b.json")], [P50_5]))
    assert "| ok; busy machine in candidate |" in table.splitlines()[-4] and table.splitlines()[-3].endswith("| ok |")
    several = render(compare_runs([run_from_json(busy, "a1.json"), run_from_json(document({ROW: latencies(0), OTHER: latencies(2)}), "a2.json")],
                                  [run_from_json(busy, "b.json")], [P50_5]))  # fmt: skip
    assert "| ok; busy machine in baseline (1 of 2 runs) and candidate |" in several.splitlines()[-4]


def test_no_row_in_common_is_an_error_naming_both_files():
    with pytest.raises(UsageError, match="a.json and b.json have no row in common"):
        verdicts(document({ROW: latencies(0)}), document({OTHER: latencies(1)}))


def test_rows_without_raw_samples_are_refused():
    saved_without_data = document({ROW: latencies(0)})
    del saved_without_data["benchmarks"][0]["stats"]["data"]
    with pytest.raises(UsageError, match="a.json: row .* no raw samples.*--benchmark-save-data"):
        run_from_json(saved_without_data, "a.json")


@pytest.mark.parametrize("spec", ["p98:10%", "p99:10", "p99", "mean:0.001", "p99:10%,,p50:5%", "p99:10%;p50:5%", ""])
def test_bad_fail_specs_name_the_valid_statistics(spec):
    with pytest.raises(UsageError, match=r"`--fail` takes STATISTIC:PERCENT%.*one of p50, p90, p99, p999"):
        parse_fail_spec(spec)


@pytest.mark.parametrize(("spec", "message"), [("p99:10%,p99:5%", "names p99 twice"), ("p99:0%", "must be > 0%")])
def test_contradictory_fail_specs_are_refused(spec, message):
    with pytest.raises(UsageError, match=message):
        parse_fail_spec(spec)


def test_fail_spec_parses_percentages():
    assert parse_fail_spec("p99:10%, p50:2.5%") == (Threshold("p99", 0.10), Threshold("p50", 0.025))


def write(path, data):
    raw = json.dumps(data).encode()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return str(path)


def test_cli_exits_non_zero_on_a_regression_and_reads_gzip(tmp_path, capsys):
    baseline = write(tmp_path / "a.json.gz", document({ROW: latencies(0)}))
    assert main(["compare", baseline, write(tmp_path / "b.json", document({ROW: 1.5 * latencies(1)}))]) == 1
    out = capsys.readouterr().out
    assert "| test_inference[digits_mlp-onnxruntime-fp32-cpu-b1] | p99 | 10% | 2000/2000 |" in out and "2 regression(s) in 2 comparisons" in out
    assert main(["compare", baseline, write(tmp_path / "c.json", document({ROW: latencies(1)})), "--fail", "p50:5%"]) == 0
    assert "no regression in 1 comparisons" in capsys.readouterr().out


def test_cli_names_a_file_that_is_not_pytest_benchmark_json(tmp_path, capsys):
    baseline = write(tmp_path / "a.json", document({ROW: latencies(0)}))
    assert main(["compare", baseline, write(tmp_path / "b.json", {"rows": []})]) == 2
    assert "b.json' is not a pytest-benchmark JSON file" in capsys.readouterr().err
    assert main(["compare", baseline, baseline, "--fail", "median:10%"]) == 2
    assert "one of p50, p90, p99, p999; got 'median:10%'" in capsys.readouterr().err


def shifted_files(tmp_path, prefix: str, runs: list[np.ndarray]) -> list[str]:
    return [write(tmp_path / f"{prefix}{i}.json.gz", document({ROW: run})) for i, run in enumerate(runs, 1)]


def test_cli_gates_three_runs_a_side(tmp_path, capsys):
    baseline = shifted_files(tmp_path, "a", shifted_runs(1, BASELINE_SHIFTS))
    unchanged = shifted_files(tmp_path, "b", shifted_runs(2, CANDIDATE_SHIFTS))
    assert main(["compare", "--baseline", *baseline, "--candidate", *unchanged, "--fail", "p99:10%,p50:5%"]) == 0
    out = capsys.readouterr().out
    assert "runs:      3 baseline, 3 candidate" in out and "| p50 | 5% | 3x4000/3x4000 |" in out and "no regression in 2 comparisons" in out
    slower = shifted_files(tmp_path, "c", [1.5 * run for run in shifted_runs(2, CANDIDATE_SHIFTS)])
    assert main(["compare", "--baseline", *baseline, "--candidate", *slower, "--fail", "p99:10%,p50:5%"]) == 1
    assert "2 regression(s) in 2 comparisons" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a.json", "b.json", "--baseline", "c.json", "--candidate", "d.json"], "either BASELINE CANDIDATE .* or --baseline RUN... --candidate RUN.*not both"),
        (["a.json", "--candidate", "d.json"], "not both"),
        (["a.json"], "needs a candidate run after the baseline"),
        (["--baseline", "a.json", "b.json"], "--baseline and --candidate go together"),
        (["--candidate", "a.json"], "--baseline and --candidate go together"),
        ([], "compare needs BASELINE CANDIDATE"),
    ],
)
def test_cli_usage_errors_name_the_two_forms(args, message, capsys):
    assert main(["compare", *args]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_cli_names_the_baseline_run_of_another_machine(tmp_path, capsys):
    baseline = shifted_files(tmp_path, "a", shifted_runs(1, [1.0, 1.0]))
    baseline.append(write(tmp_path / "a3.json", document({ROW: latencies(0)}, cpu="Intel Xeon")))
    assert main(["compare", "--baseline", *baseline, "--candidate", *shifted_files(tmp_path, "b", shifted_runs(2, [1.0, 1.0, 1.0]))]) == 2
    assert f"{baseline[0]} ran on AMD EPYC, 2 cores, no GPU but {baseline[2]} on Intel Xeon" in capsys.readouterr().err


def saved_run(path, fullname: str, samples: list) -> str:
    """A pytest-benchmark storage file of this machine, as --benchmark-save --benchmark-save-data writes it."""
    from pytest_benchmark.stats import Stats

    from accel.measure import sysinfo

    stats = Stats()
    for sample in samples:
        stats.update(sample)
    bench = {"group": None, "name": fullname.split("::")[1], "fullname": fullname, "params": None, "param": None, "extra_info": {},
             "options": {}, "stats": {**stats.as_dict(), "data": samples, "iterations": 1}}  # fmt: skip
    machine = {"cpu_model": sysinfo.cpu_model(), "cpu_affinity": sysinfo.usable_cores(), "gpus": sysinfo.gpu_info()}
    return write(path, {"machine_info": machine, "commit_info": {}, "benchmarks": [bench], "datetime": "2026-12-02T00:00:00", "version": "5.3.1"})


@pytest.mark.slow
@pytest.mark.parametrize(("baseline_s", "exit_code", "summary"), [(1e-7, 1, "1 regression(s) in 1 comparisons"), (1.0, 0, "no regression in 1 comparisons")],
                         ids=["baseline-100ns", "baseline-1s"])  # fmt: skip
def test_pytest_option_gates_the_run_against_the_baseline_benchmark_compare_picks(tmp_path, baseline_s, exit_code, summary):
    from tests.test_suite_smoke import run_pytest

    baseline = saved_run(tmp_path / "0001_saved.json", ROW, [baseline_s * (1 + i / 400) for i in range(400)])
    args = ["--models", "digits_mlp", "--backends", "onnxruntime", "--precisions", "fp32", "--batch", "1", "-k", "test_inference",
            "--rounds", "400", "--warmup", "2", f"--benchmark-compare={baseline}", "--accel-compare-fail", "p50:5%"]  # fmt: skip
    result = run_pytest(args, tmp_path / "cache", tmp_path)
    assert result.returncode == exit_code, result.stdout[-3000:] + result.stderr[-3000:]
    assert "regression gate (--accel-compare-fail p50:5%)" in result.stdout and f"baseline:  {baseline}" in result.stdout
    assert f"| {ROW.split('::')[1]} | p50 | 5% | 400/400 |" in result.stdout and summary in result.stdout


@pytest.mark.slow
def test_pytest_option_pools_every_saved_run_benchmark_compare_matches(tmp_path):
    from tests.test_suite_smoke import run_pytest

    store = tmp_path / "store"
    store.mkdir()
    saved = [saved_run(store / f"000{i}_base.json", ROW, [1e-7 * (1 + i / 100) * (1 + k / 400) for k in range(400)]) for i in (1, 2)]
    args = ["--models", "digits_mlp", "--backends", "onnxruntime", "--precisions", "fp32", "--batch", "1", "-k", "test_inference",
            "--rounds", "400", "--warmup", "2", f"--benchmark-storage=file://{store}", "--benchmark-compare=*_base", "--accel-compare-fail", "p50:5%"]  # fmt: skip
    result = run_pytest(args, tmp_path / "cache", tmp_path)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count("regression gate (--accel-compare-fail p50:5%)") == 1  # one comparison, not one per saved run
    assert f"baseline:  {Path(saved[0]).name} " in result.stdout and f"           {Path(saved[1]).name} " in result.stdout
    assert "runs:      2 baseline, 1 candidate" in result.stdout and "one run on a side" in result.stdout
    assert f"| {ROW.split('::')[1]} | p50 | 5% | 2x400/400 |" in result.stdout and "1 regression(s) in 1 comparisons" in result.stdout


@pytest.mark.parametrize(("mode", "folder"), [("pairs", "quiet"), ("pairs", "busy"), ("windows", "quiet"), ("windows", "busy"), ("trials", "multi-run"),
                                             ("trials", "no-harness"), ("trials", "ci"), ("trials-without-harness", "multi-run")])  # fmt: skip
def test_committed_false_alarm_tables_are_what_the_tool_prints_from_the_runs(mode, folder):
    from accel.tools.false_alarms import false_alarm_report, trial_report, trials_from_files, windows_of_runs

    results = Path(__file__).resolve().parents[1] / "docs" / "results" / "compare"
    runs = sorted(str(path) for path in (results / folder).glob("*.json.gz"))
    report = {"pairs": lambda: false_alarm_report(runs), "windows": lambda: trial_report(windows_of_runs(runs, 6), "window"),
              "trials": lambda: trial_report(trials_from_files(runs)),
              "trials-without-harness": lambda: trial_report(trials_from_files(runs), exclude=["test_harness"])}[mode]()  # fmt: skip
    readme = set((results / "README.md").read_text().splitlines())
    lines = report.splitlines() if mode != "trials-without-harness" else [line for line in report.splitlines() if line.startswith("- ")]
    missing = [line for line in lines if line and line not in readme]
    assert len(runs) >= (60 if mode.startswith("trials") else 11) and not missing, f"{folder}: lines absent from (or different in) README.md: {missing[:3]}"


def test_trial_report_leaves_out_excluded_rows_and_counts_ci_retries(tmp_path):
    """Trials 1 and 2 alarm on the noisy row only, trial 3 on nothing: without that row no trial alarms;
    with it two consecutive trials alarm, which is what would fail CI's one retry."""
    from accel.tools.false_alarms import Trial, trial_report

    noisy, steady = "benchmarks/test_harness.py::test_harness_overhead", ROW

    def trial(number, noisy_factor):
        files = {}
        for side, factor in (("a", 1.0), ("b", noisy_factor)):
            runs = shifted_runs(number * 10 + (side == "b"), [1.0, 1.0, 1.0])
            files[side] = [write(tmp_path / f"trial-{number}-{side}{i}.json", document({noisy: factor * run, steady: run}))
                           for i, run in enumerate(runs, 1)]  # fmt: skip
        return Trial(f"trial-{number}", files["a"], files["b"])

    trials = [trial(1, 1.5), trial(2, 1.5), trial(3, 1.0)]
    full = trial_report(trials)
    assert "- gate `--fail p99:10%,p50:5%` on all 3v3 runs of a trial: 2 of 3 trials failed (67%)" in full
    assert "1 of 2 consecutive pairs of trials would have failed CI" in full
    without = trial_report(trials, exclude=["test_harness"])
    assert "test_harness_overhead" not in without and "0 of 3 trials failed" in without
    assert "0 of 2 consecutive pairs of trials would have failed CI" in without
    assert "consecutive" not in trial_report(trials, "window")  # overlapping windows are no retries

