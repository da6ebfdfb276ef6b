"""The offload row: digits_mlp / fpga / int8, beside the same MLP on torch and onnxruntime.

Simulated board (default): latency is the host->FPGA->host time of INFER frames, counted in clock
cycles of the simulated RTL (UART bits, parsing, 2453 MLP cycles, reply) at --fpga-clock-mhz and
--fpga-baud; pytest-benchmark times the simulation run itself (one round), which is not the
latency. The budget model's prediction for the same link must be within 5% of the simulation.
Real board (--fpga-port): the same host code, timed per round with benchmark.pedantic.
"""

from __future__ import annotations

import numpy as np
import pytest

from accel.fpga.sim import simulate_offload
from accel.fpga.budget import Link, offload_budget
from accel.measure.memory import PeakMemory
from accel.measure.record import benchmark_record

COMBO_BACKENDS = ("fpga",)
SIMULATED_DIGITS = 3
MODEL_TOLERANCE = 0.05


def test_fpga_offload(combo, benchmark, pytestconfig, store, tmp_path, save_record):
    clock_hz = pytestconfig.getoption("--fpga-clock-mhz") * 1e6
    baud = pytestconfig.getoption("--fpga-baud")
    port = pytestconfig.getoption("--fpga-port")
    benchmark.group = combo.model
    if port:
        samples, notes = _board_samples(port, baud, benchmark)
    else:
        result = {}

        def simulate() -> None:
            result.update(simulate_offload(tmp_path, clock_hz, baud, SIMULATED_DIGITS))

        benchmark.pedantic(simulate, rounds=1, iterations=1, warmup_rounds=0)
        samples = [cycles / clock_hz for cycles in result["round_trip_cycles"]]
        link = Link.uart(int(round(result["effective_baud"])))
        predicted = offload_budget(link, result["mlp_cycles"], clock_hz).total_s
        measured = float(np.mean(samples))
        notes = {"engine": f"simulated RTL ({result['simulator']})", "latency_source": "simulated clock cycles",
                 "clock_mhz": clock_hz / 1e6, "baud": baud, "clks_per_bit": result["clks_per_bit"],
                 "mlp_cycles": result["mlp_cycles"], "round_trip_cycles": result["round_trip_cycles"],
                 "budget_model_ms": predicted * 1e3, "model_error": (predicted - measured) / measured}  # fmt: skip
        assert abs(predicted - measured) / measured < MODEL_TOLERANCE, (
            f"budget model {predicted * 1e3:.4f} ms vs simulated {measured * 1e3:.4f} ms: more than 5% apart"
        )
    save_record(benchmark_record(combo, "inference", store.weights_label(combo.model), samples, notes, PeakMemory(), 0))


def _board_samples(port: str, baud: int, benchmark) -> tuple[list[float], dict]:
    import serial

    from accel.inputs import digits_data
    from accel.fpga.link import FpgaLink
    from accel.fpga.int8_mlp import quantize_pixels

    inputs = quantize_pixels(digits_data.digits_split().test_pixels)
    with serial.Serial(port, baud, timeout=2) as handle:
        link = FpgaLink(handle)
        link.ping()
        cursor = iter(range(10**9))
        benchmark.pedantic(lambda: link.infer(inputs[next(cursor) % len(inputs)]), rounds=100, warmup_rounds=5)
    if benchmark.stats is None:
        pytest.skip("--benchmark-disable: nothing measured")
    return list(benchmark.stats.stats.data), {"engine": f"board on {port}", "baud": baud, "latency_source": "wall clock"}
