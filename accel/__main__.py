"""Command line: `python -m accel report out.json`, `python -m accel bare-ort ...`."""

from __future__ import annotations

import argparse
import sys

from accel.errors import AccelError


def cmd_report(args: argparse.Namespace) -> int:
    from accel.measure.report import records_from_json, render, skipped_from_json

    records = [record for path in args.json for record in records_from_json(path)]
    skipped = [row for path in args.json for row in skipped_from_json(path)]
    if not records and not skipped:
        print(f"{', '.join(args.json)}: no benchmark records with accel's extra_info", file=sys.stderr)
        return 1
    sys.stdout.write(render(records, skipped))
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
    from accel.tools.profile_torch import kernel_table

    store = ArtifactStore(ArtifactCache())
    print(f"{args.model} torch {args.precision} b{args.batch} {'cuda-graph' if args.cuda_graph else 'eager'}: 20 inferences")
    print(kernel_table(store, args.model, args.precision, args.batch, args.cuda_graph))
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
    report.set_defaults(func=cmd_report)
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
    tprof = sub.add_parser("profile-torch", help="top CUDA kernels of a torch inference (torch.profiler)")
    tprof.add_argument("--model", default="resnet18")
    tprof.add_argument("--precision", default="fp16", choices=("fp32", "fp16", "bf16"))
    tprof.add_argument("--batch", type=int, default=1)
    tprof.add_argument("--cuda-graph", action="store_true")
    tprof.set_defaults(func=cmd_profile_torch)
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
