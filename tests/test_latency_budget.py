import pytest

from accel.__main__ import main
from accel.errors import UsageError
from accel.fpga.budget import Link, amdahl_bound, offload_budget, sweep


def test_uart_budget_hand_computed():
    link = Link.uart(115_200)
    assert link.bytes_per_s == 11_520  # 10 bits per byte
    budget = offload_budget(link, accel_cycles=2453, clock_hz=100e6, pre_s=0.001, post_s=0.0005)
    assert budget.copy_to_s == pytest.approx(69 / 11_520)  # 64 payload + 5 frame bytes (start, command, sequence, length, checksum)
    assert budget.copy_back_s == pytest.approx(46 / 11_520)
    assert budget.compute_s == pytest.approx(24.53e-6)
    assert budget.total_s == pytest.approx(0.001 + 69 / 11_520 + 24.53e-6 + 46 / 11_520 + 0.0005)


def test_speedup_grows_with_bandwidth_and_amdahl():
    rows = sweep([Link.uart(115_200), Link.uart(12_000_000), Link("fast", 1e10)], 2453, 100e6, host_compute_s=1e-3, pre_s=0, post_s=0)
    speedups = [row["speedup"] for row in rows]
    assert speedups == sorted(speedups) and speedups[0] < 1 < speedups[-1]
    assert amdahl_bound(0.5, 1e9) == pytest.approx(2.0)
    with pytest.raises(UsageError):
        amdahl_bound(1.5, 2)
    with pytest.raises(UsageError, match="--baud"):
        Link.uart(0)


@pytest.mark.parametrize(
    "arguments, option, got, valid",
    [
        (["--host-ms", "0"], "--host-ms", "0", "> 0"),
        (["--host-ms", "-1"], "--host-ms", "-1", "> 0"),
        (["--host-ms", "1", "--clock-mhz", "0"], "--clock-mhz", "0", "> 0"),
        (["--host-ms", "1", "--cycles", "-2453"], "--cycles", "-2453", "> 0"),
        (["--host-ms", "1", "--baud", "0"], "--baud", "0", "> 0"),
        (["--host-ms", "1", "--bytes-per-s", "-5"], "--bytes-per-s", "-5", "> 0"),
        (["--host-ms", "1", "--pre-ms", "-0.5"], "--pre-ms", "-0.5", ">= 0"),
        (["--host-ms", "1", "--post-ms", "nan"], "--post-ms", "nan", ">= 0"),
    ],
)  # fmt: skip
def test_budget_command_refuses_out_of_range_numbers(capsys, arguments, option, got, valid):
    assert main(["budget", *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == "", "nothing may be printed as if it were a result"
    assert f"`{option}` must be a finite number {valid}; got {got}" in captured.err


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--host-ms", "0"], "`--host-ms` must be a finite number > 0; got 0"),
        (["--host-ms", "1", "--clock-mhz", "-100"], "`--clock-mhz` must be a finite number > 0; got -100"),
        (["--host-ms", "1", "--clock-mhz", "0.1"], "does not fit --clock-mhz 0.1"),  # 115200 baud at 100 kHz
    ],
)  # fmt: skip
def test_fpga_report_refuses_out_of_range_numbers_before_simulating(capsys, tmp_path, arguments, message):
    assert main(["fpga-report", "--out", str(tmp_path / "out"), *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
