"""UART timing of the FPGA link: the clock divisor the RTL is built with, checked where the options enter.

The RTL UART counts `CLKS_PER_BIT = round(clock / baud)` cycles per bit, so the baud it really runs
at is clock / CLKS_PER_BIT. Three things can go wrong, each a usage error naming the option:
- a divisor below MIN_CLKS_PER_BIT: the receiver's two-flop synchronizer and mid-bit sampling need
  a few cycles per bit (4 is the smallest divisor the echo bench verifies);
- a divisor above MAX_SIMULATED_CLKS_PER_BIT on the simulated board: it spends cycles in proportion
  to the divisor, and past this bound three round trips already take over ten million cycles,
  minutes of simulation (baud 7 at 100 MHz would need tens of billions);
- an effective baud more than MAX_BAUD_ERROR away from the requested one: an 8N1 receiver samples
  the stop bit 9.5 bit times after the start edge, so both ends together may be off by about 5%;
  each end keeps to the customary 2% so a real host at the requested baud still understands it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accel.errors import UsageError

MIN_CLKS_PER_BIT = 4
MAX_SIMULATED_CLKS_PER_BIT = 4096
MAX_BAUD_ERROR = 0.02


@dataclass(frozen=True)
class UartTiming:
    clock_hz: float
    baud: int
    clks_per_bit: int

    @property
    def effective_baud(self) -> float:
        return self.clock_hz / self.clks_per_bit

    @property
    def baud_error(self) -> float:
        """Relative difference between the baud the RTL runs at and the requested one."""
        return self.effective_baud / self.baud - 1


def uart_timing(clock_hz: float, baud: int, clock_option: str = "--fpga-clock-mhz", baud_option: str = "--fpga-baud") -> UartTiming:
    """The simulated board's divisor for `baud` at `clock_hz`, or a UsageError naming the option, the
    value and the valid range."""
    if not (math.isfinite(clock_hz) and clock_hz > 0):
        raise UsageError(f"`{clock_option}` must be a positive number of MHz; got {clock_hz / 1e6:g}")
    if isinstance(baud, bool) or not isinstance(baud, int) or baud <= 0:
        raise UsageError(f"`{baud_option}` must be a positive integer; got {baud!r}")
    timing = UartTiming(clock_hz, baud, round(clock_hz / baud))
    if MIN_CLKS_PER_BIT <= timing.clks_per_bit <= MAX_SIMULATED_CLKS_PER_BIT and abs(timing.baud_error) <= MAX_BAUD_ERROR:
        return timing
    low = math.ceil(clock_hz / (MAX_SIMULATED_CLKS_PER_BIT + 0.5))
    high = math.floor(clock_hz / (MIN_CLKS_PER_BIT - 0.5))
    got = f"{timing.clks_per_bit} clocks per bit"
    if timing.clks_per_bit:
        got += f" run at {timing.effective_baud:.0f} baud ({timing.baud_error:+.1%})"
    raise UsageError(
        f"`{baud_option}` {baud} does not fit {clock_option} {clock_hz / 1e6:g}: {got}; the simulated UART needs "
        f"{MIN_CLKS_PER_BIT}..{MAX_SIMULATED_CLKS_PER_BIT} clocks per bit (`{baud_option}` {low}..{high} at this clock) "
        f"and an effective baud, clock / round(clock / baud), within {MAX_BAUD_ERROR:.0%} of the requested one"
    )


def check_fpga_options(clock_mhz: float, baud: int, port: str | None) -> None:
    """The suite's startup check of --fpga-clock-mhz and --fpga-baud. A board on `port` has its own
    clock and divisor, so only the baud the host opens the port with is checked then."""
    if port is None:
        uart_timing(clock_mhz * 1e6, baud)
    elif isinstance(baud, bool) or not isinstance(baud, int) or baud <= 0:
        raise UsageError(f"`--fpga-baud` must be a positive integer; got {baud!r}")
