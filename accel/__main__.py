"""Command line: `python -m accel report out.json`, `python -m accel bare-ort ...`."""

from __future__ import annotations

import argparse
import sys

from accel.errors import AccelError


def cmd_report(args: argparse.Namespace) -> int:
    from accel.report import markdown_table, records_from_json

    records = records_from_json(args.json)
    if not records:
        print(f"{args.json}: no benchmark records with accel's extra_info", file=sys.stderr)
        return 1
    sys.stdout.write(markdown_table(records))
    return 0


def cmd_bare_ort(args: argparse.Namespace) -> int:
    from accel.baseline import bare_onnxruntime_loop

    result = bare_onnxruntime_loop(args.model, args.batch, args.iters, args.warmup, args.threads)
    print(f"bare InferenceSession.run loop: {args.model} b{args.batch}: p50 {result.p50:.3f} ms, p99 {result.p99:.3f} ms (n={result.n})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m accel", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="markdown results table from a pytest-benchmark JSON file")
    report.add_argument("json", help="file written by pytest --benchmark-json")
    report.set_defaults(func=cmd_report)
    bare = sub.add_parser("bare-ort", help="time a bare InferenceSession.run loop (harness-overhead check)")
    bare.add_argument("--model", default="resnet18")
    bare.add_argument("--batch", type=int, default=1)
    bare.add_argument("--iters", type=int, default=300)
    bare.add_argument("--warmup", type=int, default=20)
    bare.add_argument("--threads", type=int, default=None)
    bare.set_defaults(func=cmd_bare_ort)
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
