"""`python -m accel queue-sim`: why p99 grows under load, for a service time or a measured row.

The seed documents' command (`run_queue_sim --service_ms 20 --arrival_rps 30`) with M/M/1 in
closed form and simulated (the simulation checks itself against the closed form), M/D/1, and,
given a row's samples (`--service-samples out.json:ROW`), M/G/1 with that row's real service times.
"""

from __future__ import annotations

import json
import math

import numpy as np

from accel.errors import UsageError
from accel.measure.queueing import (
    check_stable,
    constant_service,
    exponential_service,
    measured_service,
    mm1_mean_s,
    mm1_quantile_s,
    pk_mean_s,
    simulate_fifo,
)
from accel.measure.report import load_json


def row_samples(spec: str) -> tuple[str, np.ndarray]:
    """`FILE:ROW` -> (the benchmark's name, its per-round samples in s). ROW is a benchmark's
    name (`test_inference[resnet18-onnxruntime-fp32-cpu-b1]`) or the id in its brackets when only
    one benchmark has it."""
    path, sep, row = spec.rpartition(":")
    if not sep or not path or not row:
        raise UsageError(f"`--service-samples` takes FILE:ROW (e.g. out.json:test_inference[resnet18-onnxruntime-fp32-cpu-b1]); got {spec!r}")
    benchmarks = load_json(path)["benchmarks"]
    matches = [bench for bench in benchmarks if row in (bench["name"], bench.get("param"))]
    if len(matches) != 1:
        names = [bench["name"] for bench in (matches or benchmarks)]
        problem = "is ambiguous" if matches else "matches no benchmark"
        raise UsageError(f"`--service-samples`: {row!r} {problem} in {path}; benchmarks: {', '.join(names[:20])}")
    return matches[0]["name"], np.asarray(matches[0]["stats"]["data"], dtype=np.float64)


def queue_report(arrival_rps: float, service_s: float | None, samples_s: np.ndarray | None, customers: int, seed: int) -> dict:
    """Each model's mean and p99 response time (ms), closed form where one exists, else simulated."""
    mean_s = float(samples_s.mean()) if samples_s is not None else service_s
    rho = check_stable(arrival_rps, mean_s)
    rows = []

    def add(model: str, mean: float, p99: float, source: str) -> None:
        rows.append({"model": model, "mean_ms": mean * 1e3, "p99_ms": p99 * 1e3, "source": source})

    def simulated(service) -> tuple[float, float]:
        responses = simulate_fifo(arrival_rps, service, customers, seed)
        return float(responses.mean()), float(np.percentile(responses, 99))

    kept = customers - customers // 10
    add("M/M/1", mm1_mean_s(arrival_rps, mean_s), mm1_quantile_s(arrival_rps, mean_s, 0.99), "closed form: Exp(mu - lambda)")
    add("M/M/1", *simulated(exponential_service(mean_s)), f"simulated, {kept} customers")
    add("M/D/1", pk_mean_s(arrival_rps, mean_s, mean_s**2), simulated(constant_service(mean_s))[1], "mean: Pollaczek-Khinchine; p99: simulated")
    if samples_s is not None:
        add("M/G/1", pk_mean_s(arrival_rps, mean_s, float(np.mean(samples_s**2))), simulated(measured_service(samples_s))[1],
            "mean: Pollaczek-Khinchine; p99: simulated")  # fmt: skip
    return {"arrival_rps": arrival_rps, "mean_service_ms": mean_s * 1e3, "utilisation": rho, "customers": kept, "seed": seed, "models": rows}


def render(report: dict, samples_from: tuple[str, np.ndarray] | None) -> str:
    """The table `queue-sim` prints, and the M/M/1 simulation checked against its closed form."""
    source = f"{len(samples_from[1])} measured service times of {samples_from[0]}" if samples_from else "the given service time"
    lines = [
        f"Poisson arrivals {report['arrival_rps']:g}/s, one FIFO server, mean service {report['mean_service_ms']:.4g} ms "
        f"({source}): utilisation {report['utilisation']:.3f}",
        "| model | mean (ms) | p99 (ms) | source |",
        "|---|---|---|---|",
    ]
    lines += [f"| {row['model']} | {row['mean_ms']:.2f} | {row['p99_ms']:.2f} | {row['source']} |" for row in report["models"]]
    closed, simulated = report["models"][0], report["models"][1]
    lines.append(f"M/M/1 check: simulated p99 {simulated['p99_ms']:.1f} ms vs closed form {closed['p99_ms']:.1f} ms "
                 f"({(simulated['p99_ms'] / closed['p99_ms'] - 1) * 100:+.1f}%); p99 = ln(100) x mean = {math.log(100):.3f} x mean")  # fmt: skip
    return "\n".join(lines) + "\n"


def write_json(path: str, report: dict, command: str) -> None:
    with open(path, "w") as handle:
        json.dump({"command": command, **report}, handle, indent=2)
