"""Command line: `python -m accel report out.json`, `python -m accel bare-ort ...`."""

from __future__ import annotations

import argparse
import sys

from accel.errors import AccelError


def cmd_report(args: argparse.Namespace) -> int:
    from accel.report import markdown_table, records_from_json

    records = [record for path in args.json for record in records_from_json(path)]
    if not records:
        print(f"{', '.join(args.json)}: no benchmark records with accel's extra_info", file=sys.stderr)
        return 1
    sys.stdout.write(markdown_table(records))
    return 0


def cmd_bare_ort(args: argparse.Namespace) -> int:
    from accel.baseline import bare_onnxruntime_loop

    result = bare_onnxruntime_loop(args.model, args.batch, args.iters, args.warmup, args.threads)
    print(f"bare InferenceSession.run loop: {args.model} b{args.batch}: p50 {result.p50:.3f} ms, p99 {result.p99:.3f} ms (n={result.n})")
    return 0


def cmd_compare_calibration(args: argparse.Namespace) -> int:
    import json
    import platform
    from pathlib import Path

    from accel.calib_compare import compare, markdown
    from accel.matrix import MODELS, parse_names
    from accel.sysinfo import collect

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
    from accel.artifacts import ArtifactStore
    from accel.cache import ArtifactCache
    from accel.export import INPUT_NAME
    from accel.ort_profile import profile_by_op_type
    from accel.quantize import recipe_for

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
    from accel.artifacts import ArtifactStore
    from accel.cache import ArtifactCache
    from accel.torch_profile import kernel_table

    store = ArtifactStore(ArtifactCache())
    print(f"{args.model} torch {args.precision} b{args.batch} {'cuda-graph' if args.cuda_graph else 'eager'}: 20 inferences")
    print(kernel_table(store, args.model, args.precision, args.batch, args.cuda_graph))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m accel", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="markdown results table from a pytest-benchmark JSON file")
    report.add_argument("json", nargs="+", help="file(s) written by pytest --benchmark-json")
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
    prof.add_argument("--recipe", choices=("ort-cpu", "trt"), default=None, help="int8 recipe (default: ort-cpu)")
    prof.add_argument("--batch", type=int, default=1)
    prof.add_argument("--runs", type=int, default=50)
    prof.set_defaults(func=cmd_profile_ort)
    tprof = sub.add_parser("profile-torch", help="top CUDA kernels of a torch inference (torch.profiler)")
    tprof.add_argument("--model", default="resnet18")
    tprof.add_argument("--precision", default="fp16", choices=("fp32", "fp16", "bf16"))
    tprof.add_argument("--batch", type=int, default=1)
    tprof.add_argument("--cuda-graph", action="store_true")
    tprof.set_defaults(func=cmd_profile_torch)
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
