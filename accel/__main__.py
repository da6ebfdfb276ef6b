"""Command line: `python -m accel report out.json`, `python -m accel bare-ort ...`."""

from __future__ import annotations

import argparse
import sys

from accel.errors import AccelError, UsageError


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from accel.measure.report import load_json, records_from_json, render, skipped_from_json

    if args.html:
        from accel.measure.html.page import check_destination, require_plotly

        check_destination(Path(args.html), "--html")
        require_plotly()
    records = [record for path in args.json for record in records_from_json(path)]
    skipped = [row for path in args.json for row in skipped_from_json(path)]
    if not records and not skipped:
        print(f"{', '.join(args.json)}: no benchmark records with accel's extra_info", file=sys.stderr)
        return 1
    sys.stdout.write(render(records, skipped))
    if args.html:
        from accel.measure.html.page import write_html_report

        write_html_report([(path, load_json(path)) for path in args.json], Path(args.html))
        print(f"HTML report written to {args.html}", file=sys.stderr)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from accel.measure.compare import DEFAULT_FAIL, compare_runs, load_run, parse_fail_spec, render

    forms = "BASELINE CANDIDATE (one run each) or --baseline RUN... --candidate RUN... (several interleaved runs each)"
    if args.baseline is not None and (args.baselines or args.candidates):
        raise UsageError(f"compare takes either {forms}, not both")
    if args.baseline is not None and args.candidate is None:
        raise UsageError(f"compare needs a candidate run after the baseline: {forms}")
    if args.baseline is None and not (args.baselines and args.candidates):
        raise UsageError(f"--baseline and --candidate go together: {forms}" if args.baselines or args.candidates else f"compare needs {forms}")
    baselines, candidates = ([args.baseline], [args.candidate]) if args.baseline is not None else (args.baselines, args.candidates)
    thresholds = parse_fail_spec(args.fail if args.fail is not None else DEFAULT_FAIL)
    comparison = compare_runs([load_run(path) for path in baselines], [load_run(path) for path in candidates], thresholds)
    sys.stdout.write(render(comparison))
    return 1 if comparison.regressions else 0


def cmd_load_curve(args: argparse.Namespace) -> int:
    from accel.measure.load_table import load_curve_rows, load_curve_table
    from accel.measure.report import records_from_json

    records = [record for path in args.json for record in records_from_json(path)]
    if not load_curve_rows(records):
        print(f"{', '.join(args.json)}: no Server rows (run the suite with --scenarios server)", file=sys.stderr)
        return 1
    sys.stdout.write(load_curve_table(records))
    return 0


def cmd_bare_ort(args: argparse.Namespace) -> int:
    from accel.tools.bare_ort import bare_onnxruntime_loop

    result = bare_onnxruntime_loop(args.model, args.batch, args.iters, args.warmup, args.threads)
    print(f"bare InferenceSession.run loop: {args.model} b{args.batch}: p50 {result.p50:.3f} ms, p99 {result.p99:.3f} ms (n={result.n})")
    return 0


def cmd_compare_calibration(args: argparse.Namespace) -> int:
    import json
    import platform
    from pathlib import Path

    from accel.tools.compare_calibration import compare, markdown
    from accel.matrix import MODELS, parse_names
    from accel.measure.sysinfo import collect

    models = parse_names("--models", args.models, MODELS, MODELS)
    rows = compare(models, calib_size=args.calib_size)
    table = markdown(rows)
    sys.stdout.write(table)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        command = "python -m accel " + " ".join(sys.argv[1:])
        out.write_text(json.dumps({"command": command, "node": platform.node(), "machine_info": collect(), "rows": rows}, indent=2))
        out.with_suffix(".md").write_text(table)
    return 0


def cmd_profile_ort(args: argparse.Namespace) -> int:
    from accel.artifacts.store import ArtifactStore
    from accel.artifacts.cache import ArtifactCache
    from accel.artifacts.export import INPUT_NAME
    from accel.backends.onnxruntime.profiler import profile_by_op_type
    from accel.artifacts.quantize import recipe_for

    store = ArtifactStore(ArtifactCache())
    recipe = (args.recipe or recipe_for("onnxruntime", "cpu")) if args.precision == "int8" else None
    path = store.precision_entry(args.model, None, args.precision, recipe).path
    profile = profile_by_op_type(path, {INPUT_NAME: store.workload(args.model).batch_of(args.batch)}, runs=args.runs)
    label = f"{args.precision} ({recipe} recipe)" if recipe else args.precision
    print(f"{args.model} {label} b{args.batch}: ms per run by operator type (ORT profiler, {args.runs} runs, total {sum(profile.values()):.3f})")
    for op_type, ms in profile.items():
        print(f"  {op_type:24s} {ms:8.3f}")
    return 0


def cmd_profile_torch(args: argparse.Namespace) -> int:
    from accel.artifacts.store import ArtifactStore
    from accel.artifacts.cache import ArtifactCache
    from accel.tools.profile_torch import PROFILED, operator_table, profiled_combination, resolve_device

    combo = profiled_combination(args.model, args.precision, args.batch, resolve_device(args.device), args.cuda_graph)
    print(f"{combo.test_id} ({'cuda-graph' if args.cuda_graph else 'eager'}): {PROFILED} inferences")
    print(operator_table(ArtifactStore(ArtifactCache()), combo))
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    import shlex
    from pathlib import Path

    from accel.measure.metrics import render_metrics

    command = shlex.join(["python", "-m", "accel", "metrics", *args.json, *(["--out", args.out] if args.out else [])])
    text = render_metrics(args.json, command)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_trtexec_log(args: argparse.Namespace) -> int:
    import json
    import shlex
    from pathlib import Path

    from accel.tools.trtexec_summary import summarize_log

    summary = summarize_log(args.log, args.model, args.precision, args.batch)
    command = shlex.join(["python", "-m", "accel", "trtexec-log", args.log, "--out", args.out, "--model", args.model,
                          "--precision", args.precision, "--batch", str(args.batch)])  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": command, **summary}, indent=2) + "\n")
    latency = summary["latency_ms"]
    print(f"{args.model} trtexec {args.precision} b{args.batch}: p50 {latency['p50']} ms, p99 {latency['p99']} ms, "
          f"{summary['throughput_ips']:.1f} img/s (TensorRT {summary['trt_version'] or 'version not in the log'}) -> {out}")  # fmt: skip
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from accel.tools.tune import main_tune

    if args.rounds < 1 or args.warmup < 0:
        raise UsageError(f"--rounds must be >= 1 and --warmup >= 0; got {args.rounds} and {args.warmup}")
    selection = {"models": args.models, "backends": args.backends, "precisions": args.precisions,
                 "device": args.device, "batch": args.batch, "input_size": args.input_size}  # fmt: skip
    return main_tune(selection, args.tuning, args.rounds, args.warmup, args.threads)


def cmd_queue_sim(args: argparse.Namespace) -> int:
    from accel.tools.queue_sim import queue_report, render, row_samples, write_json

    if (args.service_ms is None) == (args.service_samples is None):
        raise UsageError("queue-sim takes --service-ms MS or --service-samples FILE:ROW (one of them)")
    if args.service_ms is not None and not args.service_ms > 0:
        raise UsageError(f"`--service-ms` must be > 0; got {args.service_ms}")
    samples_from = row_samples(args.service_samples) if args.service_samples else None
    service_s = args.service_ms * 1e-3 if args.service_ms is not None else None
    report = queue_report(args.arrival_rps, service_s, samples_from[1] if samples_from else None, args.customers, args.seed)
    sys.stdout.write(render(report, samples_from))
    if args.json:
        write_json(args.json, report, "python -m accel " + " ".join(sys.argv[1:]))
    return 0


def cmd_loadgen_compare(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from accel.artifacts.cache import ArtifactCache
    from accel.artifacts.store import ArtifactStore
    from accel.backends.registry import create_runner, skip_reason
    from accel.matrix import Combination, native_input_size, parse_positive_ints
    from accel.measure.service import BatchService
    from accel.measure.sysinfo import collect
    from accel.tools.loadgen_compare import SleepService, compare, markdown

    runner = None
    if args.service_ms is not None:
        if not args.service_ms > 0:
            raise UsageError(f"`--service-ms` must be > 0; got {args.service_ms}")
        service, label = SleepService(args.service_ms * 1e-3), f"synthetic server sleeping {args.service_ms:g} ms per query"
    else:
        combo = Combination(args.model, args.backend, args.precision, args.device, 1, native_input_size(args.model))
        reason = skip_reason(combo)
        if reason:
            raise UsageError(f"{combo.test_id} cannot run here: {reason}")
        store = ArtifactStore(ArtifactCache())
        runner = create_runner(combo, store)
        service, label = BatchService(runner, store.workload(combo.model, combo.input_size), 1), combo.test_id
    back_to_back = service.back_to_back_s(1, 2.0)
    capacity = 1 / float(back_to_back.mean())
    rates = [float(q) for q in parse_positive_ints("--qps", args.qps, ())] or [u * capacity for u in (0.5, 0.8)]
    rows = compare(service, rates, args.duration, args.repeats, args.seed, back_to_back)
    if runner is not None:
        runner.close()
    table = markdown(rows)
    sys.stdout.write(f"{label}: back-to-back capacity {capacity:.1f} QPS\n{table}")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"command": "python -m accel " + " ".join(sys.argv[1:]), "server": label,
                                   "capacity_qps": capacity, "machine_info": collect(), "rows": rows}, indent=2))  # fmt: skip
        out.with_suffix(".md").write_text(table)
    return 0


def cmd_budget(args: argparse.Namespace) -> int:
    import json

    from accel.fpga.budget import Link, check_non_negative, check_positive, default_links, markdown, offload_budget, plot, sweep

    for option, value in (("--cycles", args.cycles), ("--clock-mhz", args.clock_mhz), ("--host-ms", args.host_ms),
                          ("--baud", args.baud), ("--bytes-per-s", args.bytes_per_s)):  # fmt: skip
        check_positive(option, value)
    check_non_negative("--pre-ms", args.pre_ms)
    check_non_negative("--post-ms", args.post_ms)
    clock_hz = args.clock_mhz * 1e6
    host_s = args.host_ms * 1e-3
    pre_s, post_s = args.pre_ms * 1e-3, args.post_ms * 1e-3
    links = [Link.uart(args.baud)] if args.baud is not None else default_links()
    if args.bytes_per_s is not None:
        links = [Link(f"{args.bytes_per_s:g} bytes/s", args.bytes_per_s)]
    rows = sweep(links, args.cycles, clock_hz, host_s, pre_s, post_s)
    sys.stdout.write(markdown(rows, host_s))
    single = offload_budget(links[0], args.cycles, clock_hz, pre_s, post_s)
    print(f"T_total = {single.pre_s * 1e3:.4f} + {single.copy_to_s * 1e3:.4f} + {single.compute_s * 1e3:.4f} + "
          f"{single.copy_back_s * 1e3:.4f} + {single.post_s * 1e3:.4f} = {single.total_s * 1e3:.4f} ms ({links[0].name})")  # fmt: skip
    if args.plot:
        plot(sweep(default_links(), args.cycles, clock_hz, host_s, pre_s, post_s), args.plot)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"command": "python -m accel " + " ".join(sys.argv[1:]), "rows": rows}, handle, indent=2)
    return 0


def cmd_fpga_report(args: argparse.Namespace) -> int:
    """Verify the RTL on every held-out digit, simulate the offload, and tabulate the budget."""
    import json
    import tempfile
    from pathlib import Path

    from accel.fpga.budget import Link, check_positive, default_links, markdown, offload_budget, plot, sweep
    from accel.fpga.sim import first_available_simulator, prepare_mlp_files, run_testbench, simulate_offload
    from accel.fpga.uart import uart_timing
    from accel.measure.sysinfo import collect

    check_positive("--host-ms", args.host_ms)
    check_positive("--clock-mhz", args.clock_mhz)
    clock_hz = args.clock_mhz * 1e6
    bauds = (115_200, round(clock_hz / 8))  # a common UART, and the fastest at 8 clocks per bit
    for baud in bauds:
        uart_timing(clock_hz, baud, "--clock-mhz", "simulated baud")
    simulator, reason = first_available_simulator()
    if simulator is None:
        raise AccelError(f"no HDL simulator: {reason}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _, parameters, data_files = prepare_mlp_files(work / "mlp-files")
        summary_file = work / "mlp.json"
        run_testbench(simulator, "int8_mlp", "test_mlp", work, parameters, data_files=data_files,
                      env={"ACCEL_DIGITS_FILE": str(work / "mlp-files" / "digits.npz"), "ACCEL_RESULT_FILE": str(summary_file)})  # fmt: skip
        mlp_summary = json.loads(summary_file.read_text())
        offloads = {baud: simulate_offload(work / f"offload-{baud}", clock_hz, baud) for baud in bauds}
    host_s = args.host_ms * 1e-3
    rows = sweep(default_links(), mlp_summary["stated_cycles"], clock_hz, host_s, 0.0, 0.0)
    links = {}
    for baud, result in offloads.items():
        simulated_s = sum(result["round_trip_cycles"]) / len(result["round_trip_cycles"]) / clock_hz
        modelled_s = offload_budget(Link.uart(round(result["effective_baud"])), result["mlp_cycles"], clock_hz).total_s
        links[str(baud)] = {**result, "simulated_ms": simulated_s * 1e3, "modelled_ms": modelled_s * 1e3,
                            "model_error": (modelled_s - simulated_s) / simulated_s, "speedup_bound_vs_host": host_s / simulated_s}  # fmt: skip
    report = {"command": "python -m accel " + " ".join(sys.argv[1:]), "simulator": simulator, "mlp": mlp_summary,
              "host_ms": args.host_ms, "links": links, "budget_sweep": rows, "machine_info": collect()}  # fmt: skip
    (out / "fpga.json").write_text(json.dumps(report, indent=2))
    (out / "budget.md").write_text(markdown(rows, host_s))
    plot(rows, str(out / "speedup_vs_bandwidth.png"))
    print(json.dumps({k: report[k] for k in ("simulator", "mlp")}, indent=2))
    for baud, link in links.items():
        print(f"{baud} baud: simulated {link['simulated_ms']:.4f} ms, modelled {link['modelled_ms']:.4f} ms "
              f"({link['model_error'] * 100:+.2f}%), speedup bound vs host {link['speedup_bound_vs_host']:.4g}x")  # fmt: skip
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m accel", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="markdown results table from a pytest-benchmark JSON file")
    report.add_argument("json", nargs="+", help="file(s) written by pytest --benchmark-json (the skipped rows follow the table)")
    report.add_argument("--html", metavar="PATH", default=None, help="also write a self-contained HTML report with interactive figures here (needs plotly)")
    report.set_defaults(func=cmd_report)
    compare = sub.add_parser("compare", help="regression gate: each row's percentiles, candidate vs baseline run(s), with two-level bootstrap intervals (exit 1 on a regression)")
    compare.add_argument("baseline", nargs="?", help="pytest-benchmark JSON (.json or .json.gz) with raw samples")
    compare.add_argument("candidate", nargs="?", help="the run to check, same format, same machine")
    compare.add_argument("--baseline", dest="baselines", nargs="+", metavar="RUN", default=[], help="several baseline runs (instead of the positionals), interleaved with the candidate's: run-to-run noise then enters the interval")
    compare.add_argument("--candidate", dest="candidates", nargs="+", metavar="RUN", default=[], help="several candidate runs, with --baseline")
    compare.add_argument("--fail", default=None, help="STATISTIC:PERCENT%% items, comma separated (default p99:10%%,p50:5%%); a row fails when the slowdown and its whole 95%% interval exceed the threshold")
    compare.set_defaults(func=cmd_compare)
    curve = sub.add_parser("load-curve", help="Server rows' load curve: measured p50/p99 and each queueing model's p99")
    curve.add_argument("json", nargs="+", help="file(s) written by pytest --benchmark-json --scenarios server")
    curve.set_defaults(func=cmd_load_curve)
    bare = sub.add_parser("bare-ort", help="time a bare InferenceSession.run loop (harness-overhead check)")
    bare.add_argument("--model", default="resnet18")
    bare.add_argument("--batch", type=int, default=1)
    bare.add_argument("--iters", type=int, default=300)
    bare.add_argument("--warmup", type=int, default=20)
    bare.add_argument("--threads", type=int, default=None)
    bare.set_defaults(func=cmd_bare_ort)
    calib = sub.add_parser("compare-calibration", help="drift and ORT CPU latency per calibration method and INT8 recipe")
    calib.add_argument("--models", default="resnet18,mobilenet_v3_small,efficientnet_b0")
    calib.add_argument("--calib-size", type=int, default=256)
    calib.add_argument("--out", default=None, help="write JSON (and .md beside it) here")
    calib.set_defaults(func=cmd_compare_calibration)
    prof = sub.add_parser("profile-ort", help="per-operator-type time of an ONNX Runtime CPU artifact")
    prof.add_argument("--model", default="mobilenet_v3_small")
    prof.add_argument("--precision", default="int8", choices=("fp32", "fp16", "int8"))
    prof.add_argument("--recipe", choices=("ort-cpu", "ort-cpu-7bit", "trt"), default=None, help="int8 recipe (default: the one onnxruntime on this CPU needs)")
    prof.add_argument("--batch", type=int, default=1)
    prof.add_argument("--runs", type=int, default=50)
    prof.set_defaults(func=cmd_profile_ort)
    tprof = sub.add_parser("profile-torch", help="top operators (CPU) or CUDA kernels of a torch inference (torch.profiler)")
    tprof.add_argument("--model", default="resnet18")
    tprof.add_argument("--device", default=None, help="cpu or cuda (default: cuda when torch sees a GPU, else cpu)")
    tprof.add_argument("--precision", default=None, help="fp32, fp16 (CUDA), bf16 (default: fp16 on CUDA, fp32 on the CPU)")
    tprof.add_argument("--batch", type=int, default=1)
    tprof.add_argument("--cuda-graph", action="store_true", help="profile the CUDA-graph replay (CUDA only)")
    tprof.set_defaults(func=cmd_profile_torch)
    metrics = sub.add_parser("metrics", help="docs/metrics.md: the seed's metrics table from saved pytest-benchmark JSON files")
    metrics.add_argument("json", nargs="+", help="pytest-benchmark JSON files (.json or .json.gz), one section each")
    metrics.add_argument("--out", default=None, help="write the markdown here (default: print it)")
    metrics.set_defaults(func=cmd_metrics)
    trtlog = sub.add_parser("trtexec-log", help="a saved trtexec log as JSON: p50/p99/mean, throughput, H2D/compute/D2H, TensorRT version")
    trtlog.add_argument("log", help="the text trtexec printed (e.g. trtexec --loadEngine=... > run.log)")
    trtlog.add_argument("--out", required=True, help="JSON file to write")
    trtlog.add_argument("--model", required=True, help="the model the log timed (the log does not say)")
    trtlog.add_argument("--precision", required=True, help="fp32, fp16, bf16 or int8: the engine's precision")
    trtlog.add_argument("--batch", type=int, required=True, help="batch of one inference (throughput = batch x qps)")
    trtlog.set_defaults(func=cmd_trtexec_log)
    tune = sub.add_parser("tune", help="measure each row's tuning variants; the main job runs the winners (--tuning)")
    for name, meaning in (("--models", "comma list (default: all)"), ("--backends", "comma list (default: as the main job)"),
                          ("--precisions", "comma list"), ("--device", "cpu, cuda (default: auto)"), ("--batch", "comma list (default 1,8)"),
                          ("--input-size", "comma list (default 224)")):  # fmt: skip
        tune.add_argument(name, default=None, help=meaning)
    tune.add_argument("--tuning", default=None, help="tuning file to update (default: $ACCEL_CACHE_DIR/tuning.json)")
    tune.add_argument("--rounds", type=int, default=200, help="timed rounds per variant (interleaved in blocks of 20)")
    tune.add_argument("--warmup", type=int, default=10)
    tune.add_argument("--threads", type=int, default=None, help="as the main job's --threads")
    tune.set_defaults(func=cmd_tune)
    queue = sub.add_parser("queue-sim", help="M/M/1, M/D/1, M/G/1: mean and p99 response time under Poisson load")
    queue.add_argument("--arrival-rps", type=float, required=True, help="Poisson arrival rate (queries per second)")
    queue.add_argument("--service-ms", type=float, default=None, help="mean service time in ms")
    queue.add_argument("--service-samples", default=None, help="FILE:ROW: service times from a saved row's samples (adds M/G/1)")
    queue.add_argument("--customers", type=int, default=400_000, help="simulated customers (the first tenth is warm-up)")
    queue.add_argument("--seed", type=int, default=0)
    queue.add_argument("--json", default=None, help="write the table as JSON here")
    queue.set_defaults(func=cmd_queue_sim)
    lgc = sub.add_parser("loadgen-compare", help="the suite's Server generator against MLPerf LoadGen on one row (needs mlcommons-loadgen)")
    lgc.add_argument("--model", default="resnet18")
    lgc.add_argument("--backend", default="onnxruntime")
    lgc.add_argument("--precision", default="fp32")
    lgc.add_argument("--device", default="cpu")
    lgc.add_argument("--service-ms", type=float, default=None, help="a synthetic server sleeping this long per query instead of the model")
    lgc.add_argument("--qps", default=None, help="comma list of target QPS (default: 50%% and 80%% of the back-to-back capacity)")
    lgc.add_argument("--duration", type=float, default=20.0, help="seconds per run")
    lgc.add_argument("--repeats", type=int, default=2, help="alternating LoadGen/suite pairs per rate")
    lgc.add_argument("--seed", type=int, default=0)
    lgc.add_argument("--out", default=None, help="write JSON (and .md beside it) here")
    lgc.set_defaults(func=cmd_loadgen_compare)
    budget = sub.add_parser("budget", help="offload latency budget and speedup bound vs link bandwidth")
    budget.add_argument("--cycles", type=int, default=2453, help="accelerator cycles per inference (int8_mlp: 2453)")
    budget.add_argument("--clock-mhz", type=float, default=100.0)
    budget.add_argument("--host-ms", type=float, required=True, help="host time for the same compute (e.g. the torch/ORT p50)")
    budget.add_argument("--pre-ms", type=float, default=0.0)
    budget.add_argument("--post-ms", type=float, default=0.0)
    budget.add_argument("--baud", type=int, default=None, help="one UART link (default: sweep UART 115200..12M and PCIe)")
    budget.add_argument("--bytes-per-s", type=float, default=None, help="one link given in bytes/s")
    budget.add_argument("--plot", default=None, help="write speedup vs bandwidth PNG here")
    budget.add_argument("--json", default=None, help="write the rows as JSON here")
    budget.set_defaults(func=cmd_budget)
    fpga = sub.add_parser("fpga-report", help="verify the RTL MLP on all held-out digits, simulate the offload, budget table and plot")
    fpga.add_argument("--out", required=True, help="folder for fpga.json, budget.md and the plot")
    fpga.add_argument("--host-ms", type=float, required=True, help="host time of the same MLP (e.g. digits_mlp onnxruntime p50)")
    fpga.add_argument("--clock-mhz", type=float, default=100.0)
    fpga.set_defaults(func=cmd_fpga_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AccelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
