"""The offload row: digits_mlp / fpga / int8, beside the same MLP on torch and onnxruntime.

Simulated board (default): latency is the host->FPGA->host time of INFER frames, counted in clock
cycles of the simulated RTL (UART bits, parsing, 2453 MLP cycles, reply) at --fpga-clock-mhz and
--fpga-baud; pytest-benchmark times the simulation run itself (one round), which is not the
latency. The budget model's prediction for the same link must be within 5% of the simulation.
Real board (--fpga-port): the same host code, timed per round with benchmark.pedantic.
Both go through the row protocol; memory fields cover this process (the simulator is a subprocess).
"""

from __future__ import annotations

import itertools

import numpy as np

from accel.fpga.budget import Link, offload_budget
from accel.fpga.sim import simulate_offload
from accel.measure.record import Timing
from accel.measure.row import FromRounds, Outcome
from accel.measure.timing import RoundPolicy

COMBO_BACKENDS = ("fpga",)
SIMULATED_DIGITS = 3
MODEL_TOLERANCE = 0.05
ONE_SIMULATION = RoundPolicy(warmup=0, rounds=1)
BOARD_ROUNDS = RoundPolicy(warmup=5, rounds=100)


def test_fpga_offload(combo, measure, pytestconfig, tmp_path):
    clock_hz = pytestconfig.getoption("--fpga-clock-mhz") * 1e6
    baud = pytestconfig.getoption("--fpga-baud")
    port = pytestconfig.getoption("--fpga-port")
    if port:
        _board_row(combo, port, baud, measure)
        return
    result = {}

    def simulate() -> None:
        result.update(simulate_offload(tmp_path, clock_hz, baud, SIMULATED_DIGITS))

    measure(combo, "inference", simulate, lambda samples_s, rounds: _simulated(result, clock_hz, baud), policy=ONE_SIMULATION)
    notes = _simulated(result, clock_hz, baud).notes
    assert abs(notes["model_error"]) < MODEL_TOLERANCE, (
        f"budget model {notes['budget_model_ms']:.4f} ms vs simulated {notes['simulated_mean_ms']:.4f} ms: more than 5% apart"
    )


def _simulated(result: dict, clock_hz: float, baud: int) -> Outcome:
    """The row's outcome from the simulation's clock cycles, with the budget model's prediction."""
    samples_s = [cycles / clock_hz for cycles in result["round_trip_cycles"]]
    measured = float(np.mean(samples_s))
    predicted = offload_budget(Link.uart(round(result["effective_baud"])), result["mlp_cycles"], clock_hz).total_s
    notes = {"engine": f"simulated RTL ({result['simulator']})", "latency_source": "simulated clock cycles",
             "clock_mhz": clock_hz / 1e6, "baud": baud, "clks_per_bit": result["clks_per_bit"],
             "mlp_cycles": result["mlp_cycles"], "round_trip_cycles": result["round_trip_cycles"],
             "simulated_mean_ms": measured * 1e3, "budget_model_ms": predicted * 1e3,
             "model_error": (predicted - measured) / measured}  # fmt: skip
    return Outcome(Timing.from_samples(samples_s, 1), notes)


def _board_row(combo, port: str, baud: int, measure) -> None:
    import serial

    from accel.fpga.int8_mlp import quantize_pixels
    from accel.fpga.link import FpgaLink
    from accel.inputs import digits_data

    inputs = quantize_pixels(digits_data.digits_split().test_pixels)
    with serial.Serial(port, baud, timeout=2) as handle:
        link = FpgaLink(handle)
        link.ping()
        cursor = itertools.count()
        notes = {"engine": f"board on {port}", "baud": baud, "latency_source": "wall clock"}
        measure(combo, "inference", lambda: link.infer(inputs[next(cursor) % len(inputs)]), FromRounds(combo.batch, notes),
                policy=BOARD_ROUNDS)  # fmt: skip
