"""The regression gate on raw samples: the bootstrap, the verdict rule, matching rows and machines, the CLI."""

import gzip
import json

import numpy as np
import pytest

from accel.__main__ import main
from accel.errors import UsageError
from accel.measure.bootstrap import percentile_ratio, resampled_percentiles
from accel.measure.compare import (
    FASTER, REGRESSION, SLOWER_NOT_SIGNIFICANT, TOO_FEW, WITHIN, Threshold, compare_row, compare_runs, minimum_rounds,
    parse_fail_spec, render, run_from_json, verdict,
)  # fmt: skip
from accel.measure.intervals import order_statistic_ranks

ROW = "benchmarks/test_latency.py::test_inference[digits_mlp-onnxruntime-fp32-cpu-b1]"
OTHER = "benchmarks/test_latency.py::test_end_to_end[digits_mlp-onnxruntime-fp32-cpu-b1]"
P50_5, P99_10 = Threshold("p50", 0.05), Threshold("p99", 0.10)


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
    comparison = compare_runs(run_from_json(baseline, "a.json"), run_from_json(candidate, "b.json"), parse_fail_spec(spec))
    return {(row.row, row.statistic): row.verdict for row in comparison.rows}


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
    first = percentile_ratio(samples, 1.5 * samples, 50)
    assert first.ratio == pytest.approx(1.5) and first.low < 1.5 < first.high
    assert percentile_ratio(samples, 1.5 * samples, 50) == first  # fixed seed: the same files give the same interval


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
    row = compare_row(ROW, samples, 1.04 * samples, P50_5)
    assert row.low > 1 and row.verdict == WITHIN  # significant (the interval is above 1) but 4% < 5%


def test_a_large_change_on_few_samples_is_not_significant():
    baseline = 1e-3 * np.array([1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0])
    row = compare_row(ROW, baseline, 1.3 * baseline[::-1], P50_5)
    assert row.ratio == pytest.approx(1.3) and row.low < 1 and row.verdict == SLOWER_NOT_SIGNIFICANT


def test_a_percentile_the_samples_cannot_bound_is_not_gated():
    baseline = latencies(0, 367)
    row = compare_row(ROW, baseline, 2 * baseline, P99_10)
    assert row.verdict == TOO_FEW and row.low is None and row.ratio == pytest.approx(2)
    assert compare_row(ROW, latencies(0, 368), 2 * latencies(0, 368), P99_10).verdict == REGRESSION


@pytest.mark.parametrize("statistic", ["p50", "p90", "p99", "p999"])
def test_minimum_rounds_is_where_order_statistics_first_bound_the_percentile(statistic):
    q = {"p50": 0.5, "p90": 0.9, "p99": 0.99, "p999": 0.999}[statistic]
    n = minimum_rounds(statistic)
    assert None in order_statistic_ranks(n - 1, q) and None not in order_statistic_ranks(n, q)


def test_runs_of_different_machines_are_not_compared():
    with pytest.raises(UsageError, match="AMD EPYC, 2 cores, no GPU.*Intel Xeon, 2 cores, no GPU.*not compared"):
        verdicts(document({ROW: latencies(0)}), document({ROW: 1.5 * latencies(1)}, cpu="Intel Xeon"))


def test_host_name_and_library_versions_do_not_make_another_machine():
    comparison = compare_runs(run_from_json(document({ROW: latencies(0)}), "a.json"),
                              run_from_json(document({ROW: latencies(1)}, node="ci-7", onnxruntime="1.33.0"), "b.json"), [P50_5])  # fmt: skip
    assert len(comparison.rows) == 1 and "onnxruntime 1.32.0 -> 1.33.0" in render(comparison)


def test_rows_in_one_run_only_are_listed_not_failed():
    comparison = compare_runs(run_from_json(document({ROW: latencies(0), OTHER: latencies(2)}), "a.json"),
                              run_from_json(document({ROW: latencies(1)}), "b.json"), [P50_5])  # fmt: skip
    assert [row.row for row in comparison.rows] == [ROW] and comparison.only_baseline == [OTHER] and not comparison.regressions
    assert "only in baseline (not compared): test_end_to_end[digits_mlp-onnxruntime-fp32-cpu-b1]" in render(comparison)


def test_rows_measured_on_a_busy_machine_say_so():
    busy = document({ROW: latencies(1), OTHER: latencies(3)})
    busy["benchmarks"][0]["extra_info"] = {"system_load": {"busy": "load average 4.12 > 2 cores"}}
    table = render(compare_runs(run_from_json(document({ROW: latencies(0), OTHER: latencies(2)}), "a.json"), run_from_json(busy, "b.json"), [P50_5]))
    assert "| ok; busy machine in candidate |" in table.splitlines()[-4] and table.splitlines()[-3].endswith("| ok |")


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


@pytest.mark.parametrize("folder", ["quiet", "busy"])
def test_committed_false_alarm_tables_are_what_the_tool_prints_from_the_runs(folder):
    from pathlib import Path

    from accel.tools.false_alarms import false_alarm_report

    results = Path(__file__).resolve().parents[1] / "docs" / "results" / "compare"
    runs = sorted(str(path) for path in (results / folder).glob("run-*.json.gz"))
    readme = set((results / "README.md").read_text().splitlines())
    missing = [line for line in false_alarm_report(runs).splitlines() if line and line not in readme]
    assert len(runs) >= 11 and not missing, f"{folder}: lines absent from (or different in) README.md: {missing[:3]}"
