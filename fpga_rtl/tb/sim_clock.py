"""The clock every testbench runs on, race-free stimulus timing, and the cycle budget of every test.

The clock is cocotb's C-level clock: a Python clock costs two Python callbacks per cycle, which made
long UART frames slow to simulate. Stimulus is written half a period after a rising edge, so no
simulator can disagree about which edge samples it.

The budget (`ACCEL_CYCLE_BUDGET`, set by accel.fpga.sim.run_testbench) becomes cocotb's test
timeout: a test still running after that many cycles fails with SimTimeoutError instead of
simulating on (a wrong divisor or a stuck handshake would otherwise run for hours)."""

from __future__ import annotations

import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge
from cocotb.utils import get_sim_steps, get_sim_time

CLOCK_PERIOD_NS = 10
CYCLE_BUDGET = int(os.environ["ACCEL_CYCLE_BUDGET"])
_origin_steps = 0  # the time start_clock was called: rising edges are a whole number of periods later


def bounded_test(function):
    """cocotb.test with the run's cycle budget as its timeout."""
    return cocotb.test(timeout_time=CYCLE_BUDGET * CLOCK_PERIOD_NS, timeout_unit="ns")(function)


def start_clock(clk) -> None:
    """Rising edges at multiples of CLOCK_PERIOD_NS from now, falling edges half a period later."""
    global _origin_steps
    _origin_steps = get_sim_time(unit="step")
    cocotb.start_soon(Clock(clk, CLOCK_PERIOD_NS, unit="ns", impl="gpi").start())


async def mid_cycle(clk) -> None:
    """Wait for the middle of a cycle (a falling edge), unless already there."""
    period = get_sim_steps(CLOCK_PERIOD_NS, "ns")
    if (get_sim_time(unit="step") - _origin_steps) % period != period // 2:
        await FallingEdge(clk)
