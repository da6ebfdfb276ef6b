"""pytest plugin of the suite: command-line options and session hooks (no fixtures, no measurement).

Options are parsed into accel objects once, in pytest_configure; a bad value is a usage error
that lists the valid values. Collection puts the rows of one runner next to each other and counts
them, so the runner pool closes each runner after its last row. Rows that are generated but skipped
are collected with their reasons: pytest-benchmark stores no skipped test, so the JSON's `accel`
section lists them. The results table and the skipped rows are printed at the end and written
beside the JSON, with the HTML report (`--no-html-report` leaves it out).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

import accel
from accel import matrix
from accel.artifacts.calibration import CALIB_METHODS, DEFAULT_CALIB_METHOD, DEFAULT_CALIB_SIZE, validate_calib_options
from accel.backends.options import CHANNELS_LAST, RunnerOptions
from accel.backends.registry import runner_key
from accel.backends.tensorrt.engine import DEFAULT_OPT_LEVEL, DEFAULT_WORKSPACE_MB, TRT_MODES, BuilderOptions
from accel.errors import UsageError, invalid_choice
from accel.fpga.uart import check_fpga_options
from accel.inputs.images import ON_BAD_IMAGE, validate_on_bad_image
from accel.inputs.validation import DEFAULT_VAL_LIMIT, image_folder, ineffective_validation_options
from accel.inputs.workloads import LabelledFiles, check_image_set
from accel.matrix import Combination
from accel.measure.compare import Threshold, compare_runs, parse_fail_spec, run_from_json
from accel.measure.compare import render as render_comparison
from accel.measure.output_files import OutputPaths, complete_benchmarks, discard_empty_placeholder, plan_outputs, table_file_text, write_atomically
from accel.measure.pool import RunnerPool, grouped
from accel.measure.record import skipped_row
from accel.measure.serving import DEFAULT_LOADS, SCENARIOS, ServerOptions, ServerPlan, parse_loads
from accel.measure.timing import RoundPolicy
from accel.quality.thresholds import load_thresholds
from accel.tuning.file import Tuned, open_tuning
from accel.tuning.machine import fingerprint, machine_key
from accel.zoo import models

DEFAULT_THRESHOLDS = Path(__file__).with_name("drift_thresholds.toml")
SELECTION = pytest.StashKey[matrix.Selection]()
THRESHOLDS = pytest.StashKey[tuple]()
RUNNER_OPTIONS = pytest.StashKey[RunnerOptions]()
VALIDATION = pytest.StashKey[object]()
ROUND_POLICY = pytest.StashKey[RoundPolicy]()
RECORDS = pytest.StashKey[list]()
SKIPPED = pytest.StashKey[list]()
RUNNER_POOL = pytest.StashKey[RunnerPool]()
IMAGES = pytest.StashKey[object]()
OUTPUTS = pytest.StashKey[OutputPaths | None]()
INTERRUPTED = pytest.StashKey[bool]()
TUNED = pytest.StashKey[Tuned]()
SCENARIOS_SELECTED = pytest.StashKey[tuple]()
SERVER_OPTIONS = pytest.StashKey[ServerOptions]()
COMPARE_FAIL = pytest.StashKey[tuple[Threshold, ...]]()
GATE_REPORTS = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("accel", "inference benchmark matrix")
    group.addoption("--models", help=f"comma list or 'all' of {', '.join(matrix.MODELS)} (default: all)")
    group.addoption("--backends", help=f"comma list of {', '.join(matrix.BACKENDS)} (default: all)")
    group.addoption("--precisions", help=f"comma list of {', '.join(matrix.PRECISIONS)} (default: all)")
    group.addoption("--device", help="auto (default: cpu, cuda when present, fpga), or a comma list of cpu, cuda, fpga")
    group.addoption("--batch", help="comma list of batch sizes (default: 1,8)")
    group.addoption("--input-size", help="comma list of square input sizes (default: 224)")
    group.addoption("--preprocess", help=f"end-to-end photo rows: comma list or 'all' of {', '.join(matrix.PREPROCESS_PATHS)} (default: pil; GPU paths on cuda rows)")
    group.addoption("--weights", default="random", help="random (seeded + BatchNorm recalibrated, default) or pretrained")
    group.addoption("--images", default=None, help="folder of jpg/png/webp (recursive); default: scikit-image sample photos")
    group.addoption("--on-bad-image", default="fail", help=f"what to do with an undecodable image: {', '.join(ON_BAD_IMAGE)}")
    group.addoption("--threads", type=int, default=None, help="intra-op threads for torch and onnxruntime (default: their own)")
    group.addoption("--warmup", type=int, default=10, help="warmup rounds per benchmark, excluded from statistics (default 10)")
    group.addoption("--rounds", type=int, default=None, help="measured rounds per benchmark (default: fit --max-time)")
    group.addoption("--max-time", type=float, default=1.5, help="time cap in seconds of a row's measured rounds (default 1.5)")
    group.addoption("--p99-tolerance", type=float, default=0.05, help="rounds stop once p99's 95%% interval is within this fraction (default 0.05: ±5%%); looser rows are flagged")
    group.addoption("--scenarios", default=None, help=f"MLPerf scenarios beyond SingleStream: comma list of {', '.join(SCENARIOS)} or 'all' (default: none)")
    group.addoption("--server-load", default=None, help="Server rows' loads as fractions of the measured capacity (default 0.3,0.6,0.85 unless --server-qps is given)")
    group.addoption("--server-qps", default=None, help="Server rows' loads in queries per second, e.g. 45,72")
    group.addoption("--server-queue-delay-ms", type=float, default=0.0, help="dynamic batching (rows with --batch > 1): longest a query waits for company (default 0: greedy)")
    group.addoption("--server-time", type=float, default=20.0, help="time cap in seconds of a Server run (default 20)")
    group.addoption("--peak-p99-ms", type=float, default=None, help="the peak search's p99 bound (default: 10x the back-to-back median service time)")
    group.addoption("--calib-method", default=DEFAULT_CALIB_METHOD, help=f"INT8 calibration: {', '.join(CALIB_METHODS)} (default {DEFAULT_CALIB_METHOD})")
    group.addoption("--calib-size", type=int, default=DEFAULT_CALIB_SIZE, help=f"INT8 calibration samples (default {DEFAULT_CALIB_SIZE})")
    group.addoption("--drift-thresholds", default=str(DEFAULT_THRESHOLDS), help="TOML file of drift thresholds")
    group.addoption("--val-dir", default=None, help="ImageNet-style validation folder (1000 wnid folders); with --weights pretrained gives top-1/top-5")
    group.addoption("--val-limit", type=int, default=DEFAULT_VAL_LIMIT, help=f"validation images used from --val-dir (default {DEFAULT_VAL_LIMIT})")
    group.addoption("--cache-wait", type=float, default=None, help="seconds to wait for a cache entry another run is building before failing (default: $ACCEL_CACHE_WAIT_S, else 1800)")
    group.addoption("--end-to-end-max-batch", type=int, default=32, help="largest batch that gets an end_to_end row (default 32: CPU preprocessing dominates above)")
    group.addoption("--fpga-port", default=None, help="serial port of a real FPGA board (e.g. /dev/ttyUSB0): the fpga row runs on it")
    group.addoption("--fpga-baud", type=int, default=115_200, help="UART baud of the FPGA link (default 115200)")
    group.addoption("--fpga-clock-mhz", type=float, default=100.0, help="clock of the (simulated) FPGA (default 100 MHz)")
    group.addoption("--channels-last", default="auto", help="auto (on for CUDA fp16/bf16 conv models), on, off: torch memory format")
    group.addoption("--compile-autotune", action="store_true", help="torch-compile with max-autotune (slow: >10 min for three models on an H100)")
    group.addoption("--trt-mode", default="strongly-typed", help=f"TensorRT build path: {', '.join(TRT_MODES)} (implicit-int8: TensorRT <= 10)")
    group.addoption("--trt-workspace-mb", type=int, default=DEFAULT_WORKSPACE_MB, help=f"TensorRT workspace (default {DEFAULT_WORKSPACE_MB} MB)")
    group.addoption("--tuning", default="auto", help="tuned configs from `python -m accel tune`: auto (default: $ACCEL_CACHE_DIR/tuning.json when it exists), a file, or off")
    group.addoption("--trt-opt-level", type=int, default=DEFAULT_OPT_LEVEL, help=f"TensorRT builder optimization level 0-5 (default {DEFAULT_OPT_LEVEL})")
    group.addoption("--no-html-report", action="store_true", help="do not write the HTML report (report.html) beside --benchmark-json")
    group.addoption("--accel-compare-fail", default=None, help="with --benchmark-compare: fail the session when a row's percentile regresses beyond noise, e.g. p99:10%%,p50:5%% (the rule of `python -m accel compare`; every saved run --benchmark-compare matches is one baseline run)")


def _parse_options(config: pytest.Config) -> None:
    from accel.backends.registry import cuda_available

    option = config.getoption
    device_auto = (option("--device") or "auto").strip() == "auto"
    config.stash[SELECTION] = matrix.parse_selection(
        models=option("--models"),
        backends=option("--backends"),
        precisions=option("--precisions"),
        device=option("--device"),
        batch=option("--batch"),
        input_size=option("--input-size"),
        preprocess=option("--preprocess"),
        cuda_present=cuda_available() if device_auto else False,
    )
    models.validate_policy(option("--weights"))
    validate_on_bad_image(option("--on-bad-image"))
    selected = config.stash[SELECTION].models
    photos_needed = any(model in matrix.IMAGENET_MODELS for model in selected)
    with warnings.catch_warnings(record=True) as bad_images:
        warnings.simplefilter("always")
        # Every photo decoded once, before any row: a bad file fails naming it, or is skipped with one line.
        config.stash[IMAGES] = check_image_set(option("--images"), option("--on-bad-image")) if photos_needed or option("--images") else None
    for message in [str(w.message) for w in bad_images] + ineffective_validation_options(
        option("--val-dir"), option("--val-limit"), option("--weights"), selected
    ):
        _say(config, f"warning: {message}")
    if option("--weights") == "pretrained":
        models.check_pretrained_checkpoints(selected)
    if "fpga" in config.stash[SELECTION].devices:
        check_fpga_options(option("--fpga-clock-mhz"), option("--fpga-baud"), option("--fpga-port"))
    if option("--cache-wait") is not None and not option("--cache-wait") >= 0:
        raise UsageError(f"`--cache-wait` must be a number of seconds >= 0; got {option('--cache-wait')}")
    if option("--threads") is not None and option("--threads") < 1:
        raise UsageError(f"`--threads` must be >= 1; got {option('--threads')}")
    if option("--rounds") is not None and option("--rounds") < 1:
        raise UsageError(f"`--rounds` must be >= 1; got {option('--rounds')}")
    if option("--warmup") < 0 or option("--max-time") <= 0:
        raise UsageError("`--warmup` must be >= 0 and `--max-time` > 0")
    validate_calib_options(option("--calib-method"), option("--calib-size"))
    config.stash[THRESHOLDS] = (option("--drift-thresholds"), load_thresholds(option("--drift-thresholds"), matrix.MODELS))
    config.stash[VALIDATION] = None
    if option("--val-dir") and option("--weights") == "pretrained":
        config.stash[VALIDATION] = LabelledFiles(*image_folder(option("--val-dir"), option("--val-limit"), option("--on-bad-image")))
    if option("--channels-last") not in CHANNELS_LAST:
        raise invalid_choice("--channels-last", option("--channels-last"), CHANNELS_LAST)
    if option("--trt-mode") not in TRT_MODES:
        raise invalid_choice("--trt-mode", option("--trt-mode"), TRT_MODES)
    config.stash[RUNNER_OPTIONS] = RunnerOptions(
        threads=option("--threads"),
        channels_last=option("--channels-last"),
        compile_autotune=option("--compile-autotune"),
        trt_mode=option("--trt-mode"),
        trt_builder=BuilderOptions(option("--trt-workspace-mb"), option("--trt-opt-level")),
        fpga_port=option("--fpga-port"),
    )
    config.stash[TUNED] = Tuned(open_tuning(option("--tuning")), machine_key(fingerprint()))
    summary = config.stash[TUNED].summary(matrix.combinations(config.stash[SELECTION]))
    if summary:
        _say(config, summary)
    if not 0 < option("--p99-tolerance") < 1:
        raise UsageError(f"`--p99-tolerance` must be a fraction between 0 and 1; got {option('--p99-tolerance')}")
    config.stash[ROUND_POLICY] = RoundPolicy(
        warmup=option("--warmup"), max_time_s=option("--max-time"), rounds=option("--rounds"), p99_tolerance=option("--p99-tolerance")
    )
    config.stash[SCENARIOS_SELECTED] = matrix.parse_names("--scenarios", option("--scenarios"), SCENARIOS, ())
    config.stash[SERVER_OPTIONS] = ServerOptions(
        loads=parse_loads(option("--server-load"), option("--server-qps")) or DEFAULT_LOADS,
        max_queue_delay_s=option("--server-queue-delay-ms") * 1e-3,
        plan=ServerPlan(time_cap_s=option("--server-time"), p99_tolerance=option("--p99-tolerance")),
        peak_bound_ms=option("--peak-p99-ms"),
    )
    gate = option("--accel-compare-fail")
    config.stash[COMPARE_FAIL] = parse_fail_spec(gate, "--accel-compare-fail") if gate is not None else ()
    if gate is not None and not option("benchmark_compare"):
        raise UsageError("`--accel-compare-fail` needs `--benchmark-compare[=NUM]`: the saved run (with --benchmark-save-data) to compare against")


def _say(config: pytest.Config, message: str) -> None:
    """One line on the terminal, outside output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        print(f"[accel] {message}")
    else:
        reporter.write_line(f"[accel] {message}")


def pytest_configure(config: pytest.Config) -> None:
    try:
        _parse_options(config)
        json_path = _json_path(config)
        config.stash[OUTPUTS] = plan_outputs(json_path, html=not config.getoption("--no-html-report")) if json_path is not None else None
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[INTERRUPTED] = False
    config.stash[RECORDS] = []
    config.stash[SKIPPED] = []
    config.stash[RUNNER_POOL] = RunnerPool()


def _row_combo(item: pytest.Item) -> Combination | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("combo") if callspec is not None else None


def _runner_combo(item: pytest.Item) -> Combination | None:
    """The row's combination when the row uses a pooled runner."""
    return _row_combo(item) if "runner" in getattr(item, "fixturenames", ()) else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Rows of one runner run back to back (ids unchanged), so it can be closed early."""
    items[:] = grouped(items, lambda item: runner_key(combo) if (combo := _runner_combo(item)) else None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Count, per runner, the rows that will run (after -k and other deselection)."""
    combos = [_runner_combo(item) for item in session.items]
    session.config.stash[RUNNER_POOL].expect(combo for combo in combos if combo is not None)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """A row is over (run, skipped or failed): the last row of a runner closes it."""
    combo = _runner_combo(item)
    if combo is not None:
        item.config.stash[RUNNER_POOL].release(combo)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remember every benchmark row that was skipped, with its reason."""
    report = yield
    combo = _row_combo(item)
    if report.skipped and combo is not None and "benchmark" in item.fixturenames:
        message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        item.config.stash[SKIPPED].append(skipped_row(combo, item.originalname, message.removeprefix("Skipped: ")))
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int):
    """Runs before pytest-benchmark saves: results are written atomically, and an interrupted
    session (Ctrl-C) writes only its finished rows, to the `.interrupted` pair."""
    config = session.config
    config.stash[INTERRUPTED] = exitstatus == pytest.ExitCode.INTERRUPTED
    config.stash[RUNNER_POOL].close_all()
    benchmark_session = getattr(config, "_benchmarksession", None)
    if benchmark_session is not None and config.stash[OUTPUTS] is not None:
        benchmark_session.save_json = lambda output_json: _save_results(config, output_json)
    if benchmark_session is not None and config.stash[COMPARE_FAIL]:
        _regression_gate(session, benchmark_session)
    return (yield)


def _regression_gate(session: pytest.Session, benchmark_session) -> None:
    """--accel-compare-fail: this run against every saved run --benchmark-compare matches, pooled as the baseline's runs
    (the gate's two-level bootstrap then sees their run-to-run spread; this run alone still carries its own run's luck),
    printed by the terminal summary; a regression fails the session, a baseline that cannot be compared is a usage error."""
    config = session.config
    # pytest-benchmark's own resolution of --benchmark-compare (BenchmarkSession.handle_loading); its storage caches the files.
    compare = benchmark_session.compare
    baselines = list(benchmark_session.storage.load())[-1:] if compare is True else list(benchmark_session.storage.load(compare))
    current = {
        "machine_info": benchmark_session.get_machine_info(),
        "commit_info": config.hook.pytest_benchmark_generate_commit_info(config=config),
        "benchmarks": [bench.as_dict(include_data=True) for bench in benchmark_session.benchmarks if bench],
    }
    try:
        if not baselines:
            raise UsageError(f"`--accel-compare-fail`: no saved run in {benchmark_session.storage} matches --benchmark-compare={compare}")
        comparison = compare_runs([run_from_json(data, str(path)) for path, data in baselines], [run_from_json(current, "this run")],
                                  config.stash[COMPARE_FAIL])  # fmt: skip
        report, status = render_comparison(comparison), pytest.ExitCode.TESTS_FAILED if comparison.regressions else pytest.ExitCode.OK
    except UsageError as exc:
        report, status = f"error: {exc}\n", pytest.ExitCode.USAGE_ERROR
    config.stash[GATE_REPORTS] = [report]
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = status


def _outputs(config: pytest.Config) -> OutputPaths:
    outputs = config.stash[OUTPUTS]
    return outputs.interrupted() if config.stash[INTERRUPTED] else outputs


def _save_results(config: pytest.Config, output_json: dict) -> None:
    import json

    from pytest_benchmark.utils import safe_dumps

    outputs = _outputs(config)
    text = safe_dumps(output_json, ensure_ascii=True, indent=4)
    write_atomically(outputs.json, text.encode())
    _say(config, f"benchmark data written to {outputs.json}" + (" (interrupted run: finished rows only)" if config.stash[INTERRUPTED] else ""))
    if config.stash[INTERRUPTED] and discard_empty_placeholder(config.stash[OUTPUTS].json):
        _say(config, f"removed the empty {config.stash[OUTPUTS].json} that pytest-benchmark < 5.3 creates at startup")
    if not config.getoption("--no-html-report"):
        _save_html_report(config, outputs, json.loads(text))  # from the JSON as written: the same page `accel report --html` gives


def _save_html_report(config: pytest.Config, outputs: OutputPaths, results: dict) -> None:
    """The HTML report beside the JSON; without plotly the run says why and goes on."""
    from accel.measure.html.page import ReportUnavailable, write_html_report

    try:
        write_html_report([(outputs.json.name, results)], outputs.html)
    except ReportUnavailable as exc:
        _say(config, f"no HTML report: {exc}")
        return
    _say(config, f"HTML report written to {outputs.html}")


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    from accel.measure.sysinfo import collect

    machine_info.update(collect())


def _json_path(config: pytest.Config) -> Path | None:
    value = config.getoption("benchmark_json", None)
    if value is None:
        return None
    # pytest-benchmark 5 gives a Path; 4.x gave an open file object.
    return Path(value) if isinstance(value, (str, os.PathLike)) else Path(value.name)


def pytest_benchmark_update_json(config: pytest.Config, benchmarks: list, output_json: dict) -> None:
    """Record how the run was made, so committed results carry their command, and the rows that did not run."""
    output_json["accel"] = {
        "command": " ".join(["pytest", *config.invocation_params.args]),
        "cwd": str(config.invocation_params.dir),
        "accel_version": accel.__version__,
        "skipped": sorted(config.stash[SKIPPED], key=lambda row: (row["id"], row["test"])),
    }
    if config.stash[INTERRUPTED]:
        output_json["benchmarks"] = complete_benchmarks(output_json["benchmarks"])
        output_json["accel"]["interrupted"] = True


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    for report in config.stash.get(GATE_REPORTS, []):
        terminalreporter.write_sep("=", f"regression gate (--accel-compare-fail {config.getoption('--accel-compare-fail')})")
        terminalreporter.write(report)
    records = config.stash.get(RECORDS, [])
    skipped = config.stash.get(SKIPPED, [])
    if not records and not skipped:
        return
    from accel.measure.report import render

    table = render(records, skipped)
    terminalreporter.write_sep("=", "inference results (p50/p99 per round, warmup excluded; skipped rows last)")
    terminalreporter.write(table)
    if config.stash[OUTPUTS] is not None:
        table_path = _outputs(config).table
        write_atomically(table_path, table_file_text(table))
        terminalreporter.write_line(f"results table written to {table_path}")
