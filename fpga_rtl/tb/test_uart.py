"""uart_echo: random bytes both ways at the build's divisor with every byte's framing checked, the
transmitter's frame length, and a bad stop bit detected."""

import os
import random

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotb.utils import get_sim_time
from sim_clock import CLOCK_PERIOD_NS, bounded_test
from uart_bfm import BITS_PER_BYTE, start_uart_dut

CLKS = int(os.environ["ACCEL_CLKS_PER_BIT"])


async def setup(dut):
    return await start_uart_dut(dut, CLKS)


def random_bytes(count: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(count))


async def record_frame_cycles(dut, lengths: list[int]) -> None:
    """Clock cycles from each start bit the transmitter puts on `tx` to its `done` pulse."""
    while True:
        await FallingEdge(dut.tx)
        began = get_sim_time(unit="ns")
        await RisingEdge(dut.done)
        lengths.append(round((get_sim_time(unit="ns") - began) / CLOCK_PERIOD_NS))


@bounded_test
async def echo_random_bytes(dut):
    driver, monitor = await setup(dut)
    lengths = []
    cocotb.start_soon(record_frame_cycles(dut, lengths))
    payload = random_bytes(48, CLKS)
    for bit in range(8):  # every data bit is sent both as 0 and as 1
        assert 0 < sum((byte >> bit) & 1 for byte in payload) < len(payload), f"bit {bit} constant in {payload.hex()}"
    data = payload + b"\x00\xff\x55\xaa"
    await driver.send(data, gap_bits=1)
    echoed = await monitor.wait_for(len(data), timeout_cycles=20 * CLKS * (len(data) + 2))
    await ClockCycles(dut.clk, 2 * CLKS)  # the last byte's done pulse
    assert echoed == data, f"echo mismatch at divisor {CLKS}: sent {data.hex()} got {echoed.hex()}"
    assert not monitor.framing_errors, f"bad start or stop bit on bytes {monitor.framing_errors} at divisor {CLKS}"
    # a transmitter that skips the stop bit looks the same on an idle line: its `done` comes a bit early
    assert lengths == [BITS_PER_BYTE * CLKS] * len(data), f"frame lengths in cycles {sorted(set(lengths))}, want {BITS_PER_BYTE * CLKS}"


@bounded_test
async def bad_stop_bit_is_a_framing_error(dut):
    driver, monitor = await setup(dut)
    seen = []

    async def watch():
        while True:
            await RisingEdge(dut.clk)
            if int(dut.frame_error.value):
                seen.append(1)

    cocotb.start_soon(watch())
    await driver.send_byte(0x3C, stop_bit=0)
    await ClockCycles(dut.clk, 4 * CLKS)
    await driver.send_byte(0x5A)  # the receiver recovers for the next byte
    echoed = await monitor.wait_for(1, timeout_cycles=30 * CLKS)
    assert seen, "frame_error never pulsed for a 0 stop bit"
    assert echoed == b"\x5a", f"after the framing error expected 5a, got {echoed.hex()}"
