"""uart_echo: random bytes both ways at the build's divisor, and a bad stop bit detected."""

import os
import random

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from uart_bfm import start_uart_dut

CLKS = int(os.environ["ACCEL_CLKS_PER_BIT"])


async def setup(dut):
    return await start_uart_dut(dut, CLKS)


@cocotb.test()
async def echo_random_bytes(dut):
    driver, monitor = await setup(dut)
    data = bytes(random.Random(CLKS).randrange(256) for _ in range(48)) + b"\x00\xff\x55\xaa"
    await driver.send(data, gap_bits=1)
    echoed = await monitor.wait_for(len(data), timeout_cycles=20 * CLKS * (len(data) + 2))
    assert echoed == data, f"echo mismatch at divisor {CLKS}: sent {data.hex()} got {echoed.hex()}"


@cocotb.test()
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
