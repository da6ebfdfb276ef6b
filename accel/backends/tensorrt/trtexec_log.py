"""The trtexec flow of the seed documents: build and time an engine with NVIDIA's CLI, then parse
its log into the same record contract as every other row.

`parse_log` is a plain function over log text; it understands the summary lines of TensorRT 8.x
(`percentile(99%) = X ms`), 8.6-11 (`percentile(90%)`, `(95%)`, `(99%)`), and the older
`percentile: X ms at 99%` form, and the sample count from `Timing trace has N queries over T s`.
A log without a required field is an error naming that field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from accel.errors import AccelError

SECTIONS = {
    "Latency": "latency_ms",
    "Enqueue Time": "enqueue_ms",
    "H2D Latency": "h2d_ms",
    "GPU Compute Time": "gpu_compute_ms",
    "D2H Latency": "d2h_ms",
}
REQUIRED = ("Throughput", "Latency", "GPU Compute Time")
_LINE = re.compile(r"\[I\]\s+(?P<name>Latency|Enqueue Time|H2D Latency|GPU Compute Time|D2H Latency):\s+(?P<body>.*)$")
_THROUGHPUT = re.compile(r"\[I\]\s+Throughput:\s+(?P<value>[0-9.eE+-]+)\s+qps")
_PAIR = re.compile(r"(?P<key>min|max|mean|median|percentile\((?P<pct>[0-9.]+)%\))\s*=\s*(?P<value>[0-9.eE+-]+)\s*ms")
_OLD_PERCENTILE = re.compile(r"percentile:\s*(?P<value>[0-9.eE+-]+)\s*ms at (?P<pct>[0-9.]+)%")
_QUERIES = re.compile(r"\[I\]\s+Timing trace has (?P<n>\d+) queries over")
_VERSION = re.compile(r"TensorRT\.trtexec \[TensorRT v(?P<v>\d+)\]")


class TrtexecLogError(AccelError):
    """A trtexec log lacks a field the record needs."""


@dataclass(frozen=True)
class TrtexecSummary:
    throughput_qps: float
    sections: dict[str, dict[str, float]]  # latency_ms, gpu_compute_ms, ... -> {min, max, mean, p50, p90, p99, ...}
    trt_version: str | None
    queries: int | None = None  # inferences timed ("Timing trace has N queries"): the latency's sample count


def _percentile_key(pct: str) -> str:
    value = float(pct)
    return "p" + (f"{value:g}".replace(".", "") if value != int(value) else str(int(value)))


def _parse_section(body: str) -> dict[str, float]:
    stats: dict[str, float] = {}
    for match in _PAIR.finditer(body):
        key = match.group("key")
        if match.group("pct"):
            key = _percentile_key(match.group("pct"))
        elif key == "median":
            key = "p50"
        stats[key] = float(match.group("value"))
    for match in _OLD_PERCENTILE.finditer(body):
        stats[_percentile_key(match.group("pct"))] = float(match.group("value"))
    return stats


def parse_log(text: str) -> TrtexecSummary:
    """Parse the `=== Performance summary ===` lines of a trtexec log."""
    throughput: float | None = None
    queries: int | None = None
    sections: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        if (match := _QUERIES.search(line)) is not None:
            queries = int(match.group("n"))
        elif (match := _THROUGHPUT.search(line)) is not None:
            throughput = float(match.group("value"))
        elif (match := _LINE.search(line)) is not None:
            sections[SECTIONS[match.group("name")]] = _parse_section(match.group("body"))
    if throughput is None:
        raise TrtexecLogError("trtexec log has no 'Throughput: ... qps' line (did the run finish?)")
    for name in REQUIRED[1:]:
        key = SECTIONS[name]
        if key not in sections:
            raise TrtexecLogError(f"trtexec log has no '{name}:' line")
        for stat in ("p50", "p99"):
            if stat not in sections[key]:
                raise TrtexecLogError(f"trtexec log's '{name}' line has no {'median' if stat == 'p50' else 'percentile(99%)'}")
    return TrtexecSummary(throughput, sections, trtexec_version(text), queries)


def trtexec_version(text: str) -> str | None:
    """The TensorRT version in a trtexec banner (`[TensorRT v100300]` -> 10.3.0), if any."""
    match = _VERSION.search(text)
    return _dotted_version(match.group("v")) if match else None


def _dotted_version(raw: str) -> str:
    """TensorRT's packed version (8401 -> 8.4.1, 100300 -> 10.3.0)."""
    number = int(raw)
    if number >= 100000:
        return f"{number // 10000}.{number // 100 % 100}.{number % 100}"
    return f"{number // 1000}.{number // 100 % 10}.{number % 100}"


def build_command(onnx: Path, engine: Path, precision: str, strongly_typed: bool, input_name: str,
                  shape: tuple[int, ...], workspace_mb: int, opt_level: int, timing_cache: Path) -> list[str]:  # fmt: skip
    """trtexec arguments that build `engine` from `onnx` (QDQ/fp16 artifacts as strongly typed)."""
    dims = "x".join(str(d) for d in shape)
    command = [
        "trtexec", f"--onnx={onnx}", f"--saveEngine={engine}", f"--memPoolSize=workspace:{workspace_mb}M",
        f"--builderOptimizationLevel={opt_level}", f"--shapes={input_name}:{dims}", f"--timingCacheFile={timing_cache}",
        "--skipInference",
    ]  # fmt: skip
    if strongly_typed:
        command.append("--stronglyTyped")
    elif precision == "fp16":
        command.append("--fp16")
    return command


def benchmark_command(engine: Path, input_name: str, shape: tuple[int, ...], warmup_ms: int, iterations: int, cuda_graph: bool) -> list[str]:
    """trtexec arguments that time `engine` (warmup excluded, fixed iteration count)."""
    dims = "x".join(str(d) for d in shape)
    command = [
        "trtexec", f"--loadEngine={engine}", f"--shapes={input_name}:{dims}", f"--warmUp={warmup_ms}",
        f"--iterations={iterations}", "--duration=0", "--percentile=90,95,99,99.9", "--useSpinWait",
    ]  # fmt: skip
    if cuda_graph:
        command.append("--useCudaGraph")
    return command


def record_fields(summary: TrtexecSummary, batch: int) -> dict[str, object]:
    """Map a parsed summary onto the record contract (latency per inference of one batch)."""
    latency = summary.sections["latency_ms"]
    count = {"n": summary.queries} if summary.queries is not None else {}
    return {
        "latency_ms": {key: latency[key] for key in ("p50", "p90", "p99", "p999", "min", "max", "mean") if key in latency} | count,
        "throughput_ips": summary.throughput_qps * batch,
        "breakdown_ms": {
            name: {key: values[key] for key in ("p50", "p99") if key in values}
            for name, values in (("h2d", summary.sections.get("h2d_ms")), ("inference", summary.sections["gpu_compute_ms"]),
                                 ("d2h", summary.sections.get("d2h_ms")))
            if values
        },
        "device_latency_ms": summary.sections["gpu_compute_ms"],
        "enqueue_ms": summary.sections.get("enqueue_ms"),
    }
