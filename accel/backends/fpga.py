"""Registry plugin of the FPGA backend: the INT8 MLP behind a UART link, simulated or on a board.

The link times itself (simulated clock cycles, or the board's round trips): see
`benchmarks/test_fpga.py` and `accel.fpga`. It has no Runner."""

from __future__ import annotations

from accel.backends.options import RunnerOptions
from accel.matrix import Combination


def missing(combo: Combination, options: RunnerOptions) -> str | None:
    if options.fpga_port:
        return None
    from accel.fpga.sim import first_available_simulator

    simulator, reason = first_available_simulator()
    return None if simulator else f"no HDL simulator for the FPGA row ({reason}); or pass --fpga-port for a board"
