"""A fake `trtexec` for tests (run through a `trtexec` wrapper put first on PATH).

It checks its arguments as trtexec would (the ONNX file and its input name and rank, the saved
engine and the shapes it was built for), writes an engine file, and for a timing run prints a
performance summary in trtexec's real format, read from $FAKE_TRTEXEC_LOG. Every call is appended
to $FAKE_TRTEXEC_CALLS (JSON lines). $FAKE_TRTEXEC_FAIL=build|bench makes that step exit 1."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ENGINE_MAGIC = "FAKE-TRTEXEC-ENGINE\n"
VERSION = os.environ.get("FAKE_TRTEXEC_VERSION", "100300")


def options(argv: list[str]) -> dict[str, str]:
    parsed = {}
    for arg in argv:
        if not arg.startswith("--"):
            fail(f"unknown argument {arg!r}")
        key, _, value = arg[2:].partition("=")
        parsed[key] = value
    return parsed


def fail(message: str) -> None:
    print(f"[E] {message}")
    print(f"&&&& FAILED TensorRT.trtexec [TensorRT v{VERSION}] # trtexec {' '.join(sys.argv[1:])}")
    sys.exit(1)


def shapes(text: str) -> dict[str, list[int]]:
    """`--shapes=input:8x1x8x8` -> {"input": [8, 1, 8, 8]}."""
    name, _, dims = text.rpartition(":")
    if not name or not dims:
        fail(f"--shapes must be name:AxBxC; got {text!r}")
    return {name: [int(d) for d in dims.split("x")]}


def build(args: dict[str, str]) -> None:
    import onnx

    onnx_path = Path(args["onnx"])
    if not onnx_path.is_file():
        fail(f"ONNX file {onnx_path} not found")
    model = onnx.load(str(onnx_path))
    declared = {value.name: len(value.type.tensor_type.shape.dim) for value in model.graph.input}
    wanted = shapes(args.get("shapes", ""))
    for name, dims in wanted.items():
        if declared.get(name) != len(dims):
            fail(f"--shapes {name}:{dims} does not match the network inputs {declared}")
    if os.environ.get("FAKE_TRTEXEC_FAIL") == "build":
        fail("Error Code 10: Internal Error (Could not find any implementation for node /conv/Conv.)")
    engine = {"version": VERSION, "shapes": wanted, "strongly_typed": "stronglyTyped" in args, "onnx": str(onnx_path)}
    Path(args["saveEngine"]).write_text(ENGINE_MAGIC + json.dumps(engine))
    if "timingCacheFile" in args:
        Path(args["timingCacheFile"]).write_text("fake timing cache\n")
    print("[I] Engine built in 0.1 sec.")
    print(f"&&&& PASSED TensorRT.trtexec [TensorRT v{VERSION}] # trtexec {' '.join(sys.argv[1:])}")


def bench(args: dict[str, str]) -> None:
    path = Path(args["loadEngine"])
    text = path.read_text() if path.is_file() else ""
    if not text.startswith(ENGINE_MAGIC):
        fail(f"{path} is not an engine file")
    engine = json.loads(text[len(ENGINE_MAGIC) :])
    if engine["version"] != VERSION:
        fail(f"engine built by TensorRT v{engine['version']}, this is v{VERSION}")
    if shapes(args.get("shapes", "")) != engine["shapes"]:
        fail(f"--shapes={args.get('shapes')} differ from the engine's {engine['shapes']}")
    if os.environ.get("FAKE_TRTEXEC_FAIL") == "bench":
        fail("Error Code 1: Cuda Runtime (an illegal memory access was encountered)")
    print(Path(os.environ["FAKE_TRTEXEC_LOG"]).read_text(), end="")


def main() -> None:
    print(f"&&&& RUNNING TensorRT.trtexec [TensorRT v{VERSION}] [b0] # trtexec {' '.join(sys.argv[1:])}")
    if "FAKE_TRTEXEC_CALLS" in os.environ:
        with open(os.environ["FAKE_TRTEXEC_CALLS"], "a") as calls:
            calls.write(json.dumps(sys.argv[1:]) + "\n")
    args = options(sys.argv[1:])
    if "help" in args:
        print("=== Model Options ===\n  --onnx=<file>   ONNX model")
    elif "onnx" in args and "saveEngine" in args:
        build(args)
    elif "loadEngine" in args:
        bench(args)
    else:
        fail(f"nothing to do with {sys.argv[1:]}")


if __name__ == "__main__":
    main()
