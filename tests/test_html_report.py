"""The HTML report's data selection, Pareto front, page assembly and wiring (CLI, suite outputs),
on small synthetic runs; the page in a real browser: test_html_report_browser.py."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from accel.__main__ import main
from accel.errors import UsageError
from accel.fpga.budget import Link, default_links, sweep
from accel.measure.html import data, tables
from accel.measure.html.page import ReportUnavailable, require_plotly
from accel.measure.output_files import MARKER, plan_outputs, write_atomically
from accel.measure.report import markdown_table, skipped_table

ROOT = Path(__file__).resolve().parents[1]


def bench(model="digits_mlp", backend="onnxruntime", precision="fp32", batch=1, kind="inference", samples_ms=(1.0, 2.0, 4.0), **extra):
    """A saved benchmark as pytest-benchmark writes it: the record, and the rounds in seconds."""
    samples = np.asarray(samples_ms)
    latency = {"p50": float(np.percentile(samples, 50)), "p99": float(np.percentile(samples, 99)), "n": len(samples)}
    record = {"model": model, "backend": backend, "precision": precision, "device": "cpu", "batch": batch, "input_size": 8, "kind": kind,
              "notes": {}, "config": {"knobs": {}, "tuned": {}}, "latency_ms": latency, "throughput_ips": batch * 1e3 / samples.mean(), **extra}  # fmt: skip
    return {"name": f"test_{kind}[{model}-{backend}-{precision}-cpu-b{batch}]", "extra_info": record, "stats": {"data": [s * 1e-3 for s in samples_ms]}}


def run(*benches, skipped=(), machine=None):
    return {"machine_info": machine or {"cpu_model": "Test CPU", "cores_logical": 2}, "benchmarks": list(benches), "accel": {"skipped": list(skipped)}}


def rows(*benches):
    return data.rows_from_runs([("out.json", run(*benches))])


SERVER_CURVE = {"offered_qps": 50.0, "utilisation": 0.5, "response_ms": {"p99": {"value": 9.0, "low": 8.0, "high": None}},
                "predicted_p99_ms": {"M/M/1": 12.0, "M/D/1": 8.5, "M/G/1": None}}  # fmt: skip


def test_rows_keep_table_rows_and_only_per_round_samples():
    server = bench(kind="server", samples_ms=(1.0,), load_curve=SERVER_CURVE)
    server["extra_info"]["latency_ms"]["n"] = 1600  # one stored "round": the whole run, not the queries
    incomplete = {"extra_info": {"model": "digits_mlp"}, "stats": {"data": [0.001]}}
    got = rows(bench(samples_ms=(2.0, 1.0, 4.0)), server, incomplete)
    assert [row.kind for row in got] == ["inference", "server"]
    assert got[0].samples_ms == pytest.approx((2.0, 1.0, 4.0))  # seconds in the JSON, ms here
    assert got[1].samples_ms == ()


def test_source_is_named_only_where_two_files_hold_the_same_row():
    before, after = run(bench(), bench(backend="torch")), run(bench())
    got = data.rows_from_runs([("before.json", before), ("after.json", after)])
    assert [row.label for row in got] == ["onnxruntime fp32 cpu [before.json] b1", "torch fp32 cpu b1", "onnxruntime fp32 cpu [after.json] b1"]


def test_input_size_is_named_only_where_a_model_ran_at_several():
    small = bench(model="resnet18")
    small["extra_info"]["input_size"] = 160
    got = rows(bench(model="resnet18"), small, bench())
    assert [row.label for row in got] == ["onnxruntime fp32 cpu s8 b1", "onnxruntime fp32 cpu s160 b1", "onnxruntime fp32 cpu b1"]


def test_gpu_preprocess_paths_are_rows_of_their_own():
    pil, gpu = bench(kind="end_to_end", preprocess="pil"), bench(kind="end_to_end", preprocess="torchvision-cuda")
    got = rows(pil, gpu, bench(kind="inference", preprocess=None))
    # same model, backend, precision, batch: the path alone tells them apart (no file name needed)
    assert [row.label for row in got] == ["onnxruntime fp32 cpu b1", "onnxruntime fp32 cpu via torchvision-cuda b1", "onnxruntime fp32 cpu b1"]


def energy(joules_per_image, **more):
    return {"energy": {"joules_per_image": joules_per_image, "avg_power_w": 100.0, "source": "nvml energy counter", "unavailable": None, **more}}


def test_energy_series_per_model_and_series_by_batch():
    got = data.energy_series(rows(
        bench(batch=8, **energy(0.002)), bench(batch=1, **energy(0.01)), bench(backend="torch", **energy(0.02)),
        bench(batch=32, **{"energy": {"joules_per_image": None, "unavailable": "no RAPL"}}),  # no meter: left out
        bench(batch=64, **energy(0.0)),  # a counter that did not move: not a measurement
        bench(kind="end_to_end", **energy(0.5)), bench(model="resnet18", **energy(1.0)),  # end-to-end rows are not plotted
    ))  # fmt: skip
    assert {model: {name: [row.batch for row in points] for name, points in series.items()} for model, series in got.items()} == {
        "digits_mlp": {"onnxruntime fp32 cpu": [1, 8], "torch fp32 cpu": [1]}, "resnet18": {"onnxruntime fp32 cpu": [1]}}
    assert got["digits_mlp"]["onnxruntime fp32 cpu"][1].joules_per_image == 0.002
    reasons = data.energy_unavailable(rows(bench(**{"energy": {"unavailable": "no RAPL"}}), bench(**{"energy": {"unavailable": "no RAPL"}}), bench()))
    assert reasons == ["no RAPL"]


def test_cdf_points_exact_and_thinned():
    assert data.cdf_points([3.0, 1.0, 2.0]) == ([1.0, 2.0, 3.0], pytest.approx([1 / 3, 2 / 3, 1.0]))
    samples = np.random.default_rng(0).exponential(size=5000)
    x, y = data.cdf_points(samples, max_points=100)
    assert len(x) == len(y) <= 100
    assert x[0] == samples.min() and x[-1] == samples.max() and y[-1] == 1.0
    assert x == sorted(x) and y == sorted(y)


def test_pareto_front_keeps_only_undominated_points():
    # (latency ms, quality): lower latency and higher quality are better.
    points = [(1.0, 0.90), (2.0, 0.95), (3.0, 0.93), (1.0, 0.80), (4.0, 0.99)]
    assert data.pareto_front(points) == [0, 1, 4]  # (3, .93) loses to (2, .95); (1, .80) to (1, .90)


def test_pareto_front_direction():
    # A wrong direction on either axis picks a different front.
    assert data.pareto_front([(1.0, 0.5), (2.0, 0.9)]) == [0, 1]
    assert data.pareto_front([(1.0, 0.9), (2.0, 0.5)]) == [0]
    assert data.pareto_front([(2.0, 0.9), (1.0, 0.9)]) == [1]


def test_pareto_front_ties_stay():
    assert data.pareto_front([(1.0, 0.9), (1.0, 0.9), (2.0, 0.8)]) == [0, 1]


def test_quality_prefers_accuracy_then_drift_with_fp32_as_reference():
    accuracy = {"top1": 0.97, "top5": 1.0, "n": 540}
    labelled = rows(bench(accuracy=accuracy), bench(precision="int8", accuracy={**accuracy, "top1": 0.96}), bench(batch=8, accuracy=accuracy))
    quality = data.quality_points(labelled)["digits_mlp"]
    assert quality.metric.startswith("top-1 accuracy") and [p.quality for p in quality.points] == [0.97, 0.96]  # batch 1 only
    drift = {"top1_agreement": 0.9, "top5_overlap": 1.0, "cosine_mean": 1.0, "cosine_min": 1.0, "max_abs": 0.1}
    unlabelled = rows(bench(model="resnet18"), bench(model="resnet18", precision="int8", drift=drift), bench(model="resnet18", precision="fp16"))
    quality = data.quality_points(unlabelled)["resnet18"]
    assert quality.metric.startswith("top-1 agreement")
    assert [(p.row.record["precision"], p.quality, p.reference) for p in quality.points] == [("fp32", 1.0, True), ("int8", 0.9, False)]
    assert data.quality_points(rows(bench(), bench(backend="torch"))) == {}  # nothing measured: no figure


def test_batch_series_needs_two_batch_sizes():
    got = data.batch_series(rows(bench(batch=8), bench(batch=1), bench(backend="torch"), bench(model="resnet18")))
    assert list(got) == ["digits_mlp"] and list(got["digits_mlp"]) == ["onnxruntime fp32 cpu"]
    assert [row.batch for row in got["digits_mlp"]["onnxruntime fp32 cpu"]] == [1, 8]


def test_breakdown_stages_in_pipeline_order():
    record = {"breakdown_ms": {"postprocess": {}, "inference": {}, "d2h": {}, "preprocess": {}, "h2d": {}, "custom": {}}}
    assert data.stages(record) == ["preprocess", "h2d", "inference", "d2h", "postprocess", "custom"]


def test_load_series_sorted_by_offered_load():
    slow = {**SERVER_CURVE, "offered_qps": 80.0}
    got = data.load_series(rows(bench(kind="server", load_curve=slow), bench(kind="server", load_curve=SERVER_CURVE), bench()))
    points = got["digits_mlp"]["onnxruntime fp32 cpu b1"]
    assert [row.record["load_curve"]["offered_qps"] for row in points] == [50.0, 80.0]
    assert data.measured_p99(points) == [(50.0, 9.0, 8.0, None), (80.0, 9.0, 8.0, None)]
    assert data.predicted_p99(points) == {"M/D/1": [(50.0, 8.5), (80.0, 8.5)], "M/M/1": [(50.0, 12.0), (80.0, 12.0)]}  # M/G/1: unstable


def test_fpga_budget_against_the_fastest_host_row():
    fpga_notes = {"mlp_cycles": 2453, "clock_mhz": 100.0, "baud": 115200}
    fpga = bench(backend="fpga", precision="int8", samples_ms=(9.83, 9.83, 9.83), notes=fpga_notes)
    fast, slow = bench(samples_ms=(0.004,) * 3), bench(backend="torch", samples_ms=(0.02,) * 3)
    budget = data.fpga_budget(rows(fpga, slow, fast, bench(samples_ms=(0.001,) * 3, batch=8)))
    assert budget.host.record["backend"] == "onnxruntime" and budget.host.batch == 1
    assert list(budget.sweep) == sweep(default_links(), 2453, 100e6, 0.004e-3, 0.0, 0.0)
    [(row, bytes_per_s, speedup)] = budget.measured
    assert bytes_per_s == Link.uart(115200).bytes_per_s and speedup == pytest.approx(0.004 / 9.83)
    assert data.fpga_budget(rows(fast)) == "no FPGA row (backend fpga) in the given JSON"
    assert "no host row of digits_mlp" in data.fpga_budget(rows(fpga))


def test_machine_columns_side_by_side():
    header, cells = data.machine_columns([("a.json", run(machine={"cpu_model": "A", "gpus": []})), ("b.json", run(machine={"cpu_model": "B", "packages": {"torch": "2.14"}}))])
    assert header == ["", "a.json", "b.json"]
    assert cells == [["cpu_model", "A", "B"], ["gpus", "-", "-"], ["packages", "-", "torch=2.14"]]


def test_markdown_cells_round_trip_the_results_table():
    records = [row.record for row in rows(bench(), bench(backend="torch", batch=8))]
    header, cells = tables.markdown_cells(markdown_table(records))
    assert header[:3] == ["Model", "Backend", "Precision"] and len(cells) == 2
    assert all(len(row) == len(header) for row in cells)
    _, skipped = tables.markdown_cells(skipped_table([{"id": "x-b1", "test": "test_inference", "reason": "needs a | pipe"}]))
    assert skipped == [["x-b1", "test_inference", "needs a | pipe"]]  # the last column keeps its text


def test_missing_plotly_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "plotly", None)
    with pytest.raises(ReportUnavailable, match=r"pip install plotly"):
        require_plotly()


def test_cli_without_plotly_writes_nothing(monkeypatch, tmp_path, capsys):
    (tmp_path / "out.json").write_text(json.dumps(run(bench())))
    monkeypatch.setitem(sys.modules, "plotly", None)
    assert main(["report", str(tmp_path / "out.json"), "--html", str(tmp_path / "report.html")]) == 2
    assert "pip install plotly" in capsys.readouterr().err and not (tmp_path / "report.html").exists()


def test_cli_html_destination_checked_first(tmp_path, capsys):
    (tmp_path / "out.json").write_text(json.dumps(run(bench())))
    assert main(["report", str(tmp_path / "out.json"), "--html", str(tmp_path / "missing" / "r.html")]) == 2
    assert "--html" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "out.json"), "--html", str(tmp_path)]) == 2
    assert f"--html {tmp_path} is a folder" in capsys.readouterr().err


def test_suite_outputs_plan_the_html_beside_the_json(tmp_path):
    outputs = plan_outputs(tmp_path / "run.json")
    assert outputs.html == tmp_path / "report.html" and outputs.interrupted().html == tmp_path / "report.interrupted.html"
    (tmp_path / "report.html").write_text("<html>mine</html>")
    with pytest.raises(UsageError, match="report.html exists and was not written by accel-bench"):
        plan_outputs(tmp_path / "run.json")
    assert plan_outputs(tmp_path / "run.json", html=False).json == tmp_path / "run.json"
    write_atomically(tmp_path / "report.html", f"{MARKER}\n<html>suite's</html>")
    assert plan_outputs(tmp_path / "run.json").html == tmp_path / "report.html"


@pytest.fixture
def page_of():
    pytest.importorskip("plotly", reason="the HTML report needs plotly (pip install plotly; in .[dev])")
    from accel.measure.html.page import html_report

    return lambda *benches, **kw: html_report([("out.json", run(*benches, **kw))])


def test_sections_without_data_are_omitted_with_their_reason(page_of):
    from accel.measure.html.figures import sections

    only_b1 = rows(bench(), bench(backend="torch"))
    by_anchor = {section.anchor: section for section in sections(only_b1)}
    assert by_anchor["distributions"].figures and not by_anchor["distributions"].omitted
    for anchor, reason in (("batch", "two or more batch sizes"), ("breakdown", "breakdown_ms"), ("pareto", "accuracy or drift"),
                           ("load", "--scenarios server"), ("fpga", "no FPGA row"), ("intervals", "latency_ci_ms"),
                           ("energy", "no inference row has a readable energy meter")):  # fmt: skip
        assert not by_anchor[anchor].figures and reason in by_anchor[anchor].omitted
    page = page_of(bench(), bench(backend="torch"))
    assert page.count("Omitted: ") == 7 and "Omitted: no Server rows (load_curve)" in page
    assert 'id="load-0"' not in page and 'id="distributions-0"' in page


def test_page_is_self_contained_and_marked(page_of):
    ci = {"confidence": 0.95, "tolerance": 0.05, "p99_tight": False, "p50": {"low": 1.0, "high": 4.0, "above": 1}, "p99": {"low": 4.0, "high": None, "above": 0}}
    page = page_of(bench(latency_ci_ms=ci), bench(batch=8, latency_ci_ms=ci), skipped=[{"id": "x-b1", "test": "test_inference", "reason": "no <GPU>"}])
    assert page.startswith(MARKER + "\n<!DOCTYPE html>")
    assert page.count('class="plotly-graph-div"') == 3  # CDF, interval bars, throughput vs batch: nothing else has data
    assert not re.search(r"<script[^>]*\ssrc=", page) and page.count("<script") == 1 + 3 + 1  # plotly.js inline, 3 plots, table sorting
    assert "no &lt;GPU&gt;" in page  # table text is escaped


def run_suite(workdir, env=None):
    args = ["--models", "digits_mlp", "--backends", "torch", "--precisions", "fp32", "--batch", "1", "-k", "test_inference",
            "--rounds", "5", "--warmup", "1", "--benchmark-json", "out.json"]  # fmt: skip
    return subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "benchmarks"), "-p", "no:cacheprovider", *args], cwd=workdir,
                          env={**os.environ, "ACCEL_CACHE_DIR": str(workdir / "cache"), **(env or {})}, capture_output=True, text=True, timeout=600)  # fmt: skip


@pytest.mark.slow
def test_suite_writes_the_report_beside_the_json(tmp_path):
    pytest.importorskip("plotly", reason="the HTML report needs plotly (pip install plotly; in .[dev])")
    result = run_suite(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "[accel] HTML report written to report.html" in result.stdout
    page = (tmp_path / "report.html").read_text()
    assert page.startswith(MARKER) and "<td>digits_mlp</td><td>torch</td><td>fp32</td>" in page and 'id="distributions-0"' in page


@pytest.mark.slow
def test_suite_without_plotly_says_why_and_passes(tmp_path):
    shadow = tmp_path / "shadow" / "plotly"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('plotly is hidden by this test')\n")
    result = run_suite(tmp_path, {"PYTHONPATH": os.pathsep.join([str(tmp_path / "shadow"), str(ROOT)])})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "[accel] no HTML report: the HTML report needs plotly" in result.stdout and "pip install plotly" in result.stdout
    assert (tmp_path / "out.json").exists() and (tmp_path / "out.md").exists() and not (tmp_path / "report.html").exists()


def test_energy_figure_plots_millijoules_per_image_against_p50(page_of):
    from accel.measure.html.figures import energy_vs_latency

    got = rows(bench(batch=1, samples_ms=(1.0, 2.0, 3.0), **energy(0.004)), bench(batch=8, samples_ms=(4.0, 5.0, 6.0), **energy(0.001)))
    section = energy_vs_latency(got, {"onnxruntime fp32 cpu": "#000"})
    (figure,) = section.figures
    (trace,) = figure.data
    assert list(trace.x) == [2.0, 5.0] and list(trace.y) == pytest.approx([4.0, 1.0]) and list(trace.text) == ["b1", "b8"]
    assert 'id="energy-0"' in page_of(bench(**energy(0.004)))
