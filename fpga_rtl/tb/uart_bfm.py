"""UART bus-functional models for cocotb: drive a DUT's rx pin and watch its tx pin, bit-accurately
in clock cycles (CLKS_PER_BIT per bit, 8N1, LSB first).

The monitor checks the framing of every byte it decodes, not only its data bits: the start bit is
still low in its middle, the stop bit is high in its middle, and the next start bit does not begin
before the stop bit has lasted a whole bit time. A byte that fails is recorded in `framing_errors`."""

from __future__ import annotations

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, Timer
from cocotb.utils import get_sim_time
from sim_clock import CLOCK_PERIOD_NS, mid_cycle, start_clock

BITS_PER_BYTE = 10  # start, 8 data, stop


class UartDriver:
    """Drives `pin`; with a `cts` pin it waits, before each byte, while the DUT holds CTS low."""

    def __init__(self, clk, pin, clks_per_bit: int, cts=None) -> None:
        self.clk, self.pin, self.clks, self.cts = clk, pin, clks_per_bit, cts
        self.bit_ns = clks_per_bit * CLOCK_PERIOD_NS
        self.pin.value = 1

    async def send_byte(self, byte: int, stop_bit: int = 1, honour_cts: bool = True) -> None:
        await mid_cycle(self.clk)
        while honour_cts and self.cts is not None and not int(self.cts.value):
            await FallingEdge(self.clk)
        for bit in [0, *((byte >> i) & 1 for i in range(8)), stop_bit]:
            self.pin.value = bit
            await Timer(self.bit_ns, unit="ns")
        self.pin.value = 1

    async def send(self, data: bytes, gap_bits: int = 0, honour_cts: bool = True) -> None:
        for byte in data:
            await self.send_byte(byte, honour_cts=honour_cts)
            if gap_bits:
                await Timer(gap_bits * self.bit_ns, unit="ns")


class UartMonitor:
    """Collects every byte the DUT transmits into `received` (start it with cocotb.start_soon(run()))."""

    def __init__(self, clk, pin, clks_per_bit: int) -> None:
        self.clk, self.pin, self.clks = clk, pin, clks_per_bit
        self.bit_ns = clks_per_bit * CLOCK_PERIOD_NS
        self.received = bytearray()
        self.stop_times: list[float] = []  # simulation time (ns) at the end of each byte's stop bit
        self.framing_errors: list[int] = []  # indexes into `received` of bytes with a bad start or stop bit

    async def run(self) -> None:
        line_free_at = 0.0
        while True:
            await FallingEdge(self.pin)
            began = get_sim_time(unit="ns")
            if began < line_free_at and self.received:
                self.framing_errors.append(len(self.received) - 1)  # that byte's stop bit was cut short
            # sample half a clock period off the bit's centre: never on an edge where the pin changes
            await Timer((self.clks // 2) * CLOCK_PERIOD_NS + CLOCK_PERIOD_NS / 2, unit="ns")
            start_ok = not int(self.pin.value)
            value = 0
            for index in range(8):
                await Timer(self.bit_ns, unit="ns")
                value |= int(self.pin.value) << index
            await Timer(self.bit_ns, unit="ns")
            if not (start_ok and int(self.pin.value)):
                self.framing_errors.append(len(self.received))
            self.received.append(value)
            line_free_at = began + BITS_PER_BYTE * self.bit_ns
            self.stop_times.append(line_free_at)

    async def wait_for(self, count: int, timeout_cycles: int) -> bytes:
        waited = 0
        while len(self.received) < count and waited < timeout_cycles:
            await Timer(self.bit_ns, unit="ns")
            waited += self.clks
        return bytes(self.received[:count])


async def start_uart_dut(dut, clks_per_bit: int) -> tuple[UartDriver, UartMonitor]:
    """Clock (100 MHz), reset, and a driver on `rx` (honouring `cts` where the DUT has one) plus a
    running monitor on `tx`."""
    start_clock(dut.clk)
    dut.rst.value = 1
    dut.rx.value = 1
    await ClockCycles(dut.clk, 5)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 5)
    monitor = UartMonitor(dut.clk, dut.tx, clks_per_bit)
    cocotb.start_soon(monitor.run())
    cts = dut.cts if hasattr(dut, "cts") else None
    return UartDriver(dut.clk, dut.rx, clks_per_bit, cts), monitor
