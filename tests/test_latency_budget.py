import pytest

from accel.errors import UsageError
from accel.fpga.budget import Link, amdahl_bound, offload_budget, sweep


def test_uart_budget_hand_computed():
    link = Link.uart(115_200)
    assert link.bytes_per_s == 11_520  # 10 bits per byte
    budget = offload_budget(link, accel_cycles=2453, clock_hz=100e6, pre_s=0.001, post_s=0.0005)
    assert budget.copy_to_s == pytest.approx(68 / 11_520)  # 64 payload + 4 frame bytes
    assert budget.copy_back_s == pytest.approx(45 / 11_520)
    assert budget.compute_s == pytest.approx(24.53e-6)
    assert budget.total_s == pytest.approx(0.001 + 68 / 11_520 + 24.53e-6 + 45 / 11_520 + 0.0005)


def test_speedup_grows_with_bandwidth_and_amdahl():
    rows = sweep([Link.uart(115_200), Link.uart(12_000_000), Link("fast", 1e10)], 2453, 100e6, host_compute_s=1e-3, pre_s=0, post_s=0)
    speedups = [row["speedup"] for row in rows]
    assert speedups == sorted(speedups) and speedups[0] < 1 < speedups[-1]
    assert amdahl_bound(0.5, 1e9) == pytest.approx(2.0)
    with pytest.raises(UsageError):
        amdahl_bound(1.5, 2)
    with pytest.raises(UsageError, match="--baud"):
        Link.uart(0)
