"""UART bus-functional models for cocotb: drive a DUT's rx pin and watch its tx pin, bit-accurately
in clock cycles (CLKS_PER_BIT per bit, 8N1, LSB first)."""

from __future__ import annotations

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge
from cocotb.utils import get_sim_time


class UartDriver:
    def __init__(self, clk, pin, clks_per_bit: int) -> None:
        self.clk, self.pin, self.clks = clk, pin, clks_per_bit
        self.pin.value = 1

    async def send_byte(self, byte: int, stop_bit: int = 1) -> None:
        for bit in [0, *((byte >> i) & 1 for i in range(8)), stop_bit]:
            self.pin.value = bit
            await ClockCycles(self.clk, self.clks)
        self.pin.value = 1

    async def send(self, data: bytes, gap_bits: int = 0) -> None:
        for byte in data:
            await self.send_byte(byte)
            if gap_bits:
                await ClockCycles(self.clk, gap_bits * self.clks)


class UartMonitor:
    """Collects every byte the DUT transmits into `received` (start it with cocotb.start_soon(run()))."""

    def __init__(self, clk, pin, clks_per_bit: int) -> None:
        self.clk, self.pin, self.clks = clk, pin, clks_per_bit
        self.received = bytearray()
        self.stop_times: list[float] = []  # simulation time (ns) at the end of each byte's stop bit

    async def run(self) -> None:
        while True:
            await FallingEdge(self.pin)
            await ClockCycles(self.clk, self.clks // 2)  # middle of the start bit
            value = 0
            for index in range(8):
                await ClockCycles(self.clk, self.clks)
                value |= int(self.pin.value) << index
            await ClockCycles(self.clk, self.clks)
            self.received.append(value)
            await ClockCycles(self.clk, self.clks - self.clks // 2)  # to the end of the stop bit
            self.stop_times.append(get_sim_time(unit="ns"))

    async def wait_for(self, count: int, timeout_cycles: int) -> bytes:
        waited = 0
        while len(self.received) < count and waited < timeout_cycles:
            await ClockCycles(self.clk, self.clks)
            waited += self.clks
        return bytes(self.received[:count])


async def start_uart_dut(dut, clks_per_bit: int) -> tuple[UartDriver, UartMonitor]:
    """Clock (100 MHz), reset, and a driver on `rx` plus a running monitor on `tx`."""
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.rx.value = 1
    await ClockCycles(dut.clk, 5)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 5)
    monitor = UartMonitor(dut.clk, dut.tx, clks_per_bit)
    cocotb.start_soon(monitor.run())
    return UartDriver(dut.clk, dut.rx, clks_per_bit), monitor
