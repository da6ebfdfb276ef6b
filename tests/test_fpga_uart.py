"""The simulated UART's divisor from --fpga-clock-mhz and --fpga-baud (issue 13, item 5: a zero clock
or baud 7 hung the FPGA row, baud 0 was a ZeroDivisionError, baud -5 a cocotb traceback)."""

import pytest

from accel.errors import UsageError
from accel.fpga.uart import check_fpga_options, uart_timing


def test_divisor_and_effective_baud_hand_computed():
    timing = uart_timing(100e6, 115_200)
    assert timing.clks_per_bit == 868  # 100e6 / 115200 = 868.06
    assert timing.effective_baud == pytest.approx(115_207.373)
    assert timing.baud_error == pytest.approx(6.4e-5, rel=1e-2)
    assert uart_timing(100e6, 12_500_000).clks_per_bit == 8
    assert uart_timing(100e6, 25_000_000).clks_per_bit == 4  # the smallest divisor the UART takes
    assert uart_timing(100e6, 24_415).clks_per_bit == 4096  # the largest the simulated board takes


@pytest.mark.parametrize(
    "clock_mhz, baud, option, fragments",
    [
        (0.0, 115_200, "--fpga-clock-mhz", ["got 0", "positive"]),
        (-100.0, 115_200, "--fpga-clock-mhz", ["got -100", "positive"]),
        (float("inf"), 115_200, "--fpga-clock-mhz", ["got inf", "positive"]),
        (100.0, 0, "--fpga-baud", ["got 0", "positive integer"]),
        (100.0, -5, "--fpga-baud", ["got -5", "positive integer"]),
        (100.0, 7, "--fpga-baud", ["7 does not fit", "14285714 clocks per bit", "4..4096 clocks per bit", "24412..28571428"]),
        (100.0, 24_400, "--fpga-baud", ["4098 clocks per bit", "4..4096"]),
        (100.0, 33_333_333, "--fpga-baud", ["3 clocks per bit run at 33333333 baud", "4..4096"]),
        (100.0, 40_000_000, "--fpga-baud", ["2 clocks per bit", "4..4096"]),
        (100.0, 12_000_000, "--fpga-baud", ["8 clocks per bit run at 12500000 baud (+4.2%)", "within 2%"]),
        (0.001, 115_200, "--fpga-baud", ["0 clocks per bit", "1..285 at this clock"]),
    ],
)  # fmt: skip
def test_bad_link_options_are_usage_errors_naming_option_value_and_valid_range(clock_mhz, baud, option, fragments):
    with pytest.raises(UsageError) as info:
        uart_timing(clock_mhz * 1e6, baud)
    message = str(info.value)
    assert f"`{option}`" in message, message
    for fragment in fragments:
        assert fragment in message, message


def test_suite_check_on_a_board_ignores_the_simulated_clock():
    check_fpga_options(0.0, 9600, port="/dev/ttyUSB0")  # the board has its own clock and divisor
    with pytest.raises(UsageError, match="`--fpga-baud` must be a positive integer; got 0"):
        check_fpga_options(100.0, 0, port="/dev/ttyUSB0")
    with pytest.raises(UsageError, match="`--fpga-clock-mhz`"):
        check_fpga_options(0.0, 115_200, port=None)
