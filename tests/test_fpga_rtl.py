"""cocotb testbenches of fpga_rtl/, run from pytest on every simulator installed (a missing one is
skipped with the reason). Each testbench's own assertions decide; results are read back as JSON
where the closing note needs numbers."""

from __future__ import annotations

import json

import pytest

from accel.fpga.sim import (
    SIMULATORS,
    TB_DIR,
    SimulationError,
    prepare_mlp_files,
    run_testbench,
    simulator_missing_reason,
)

pytestmark = pytest.mark.slow


@pytest.fixture(params=SIMULATORS)
def simulator(request) -> str:
    reason = simulator_missing_reason(request.param)
    if reason:
        pytest.skip(reason)
    return request.param


@pytest.fixture(scope="session")
def mlp_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlp-files")
    mlp, parameters, data_files = prepare_mlp_files(folder)
    return mlp, parameters, data_files, folder


@pytest.fixture(scope="session")
def work_root(tmp_path_factory):
    return tmp_path_factory.mktemp("sim")


@pytest.mark.parametrize("clks_per_bit", [4, 7, 16])
def test_uart_echo(simulator, work_root, clks_per_bit):
    run_testbench(simulator, "uart_echo", "test_uart", work_root, {"CLKS_PER_BIT": clks_per_bit},
                  env={"ACCEL_CLKS_PER_BIT": str(clks_per_bit)})  # fmt: skip


def test_fixed_point_primitives(simulator, work_root):
    run_testbench(simulator, "fxp_harness", "test_primitives", work_root, extra_sources=[TB_DIR / "fxp_harness.v"])


def test_int8_mlp_bit_exact(simulator, work_root, mlp_files):
    mlp, parameters, data_files, folder = mlp_files
    result_file = work_root / f"mlp-{simulator}.json"
    run_testbench(
        simulator, "int8_mlp", "test_mlp", work_root, parameters, data_files=data_files,
        env={"ACCEL_DIGITS_FILE": str(folder / "digits.npz"), "ACCEL_RESULT_FILE": str(result_file)},
    )  # fmt: skip
    summary = json.loads(result_file.read_text())
    assert summary["digits"] == 540 and summary["bit_exact"] == 540
    assert summary["cycles"] == [mlp.cycles] == [2453]
    assert summary["top1"] >= 0.95
    print(f"{simulator}: {summary}")


def test_uart_top_protocol_and_host_link(simulator, work_root, mlp_files):
    _, parameters, data_files, folder = mlp_files
    run_testbench(
        simulator, "mlp_uart_top", "test_top", work_root,
        {**parameters, "CLKS_PER_BIT": 8, "TIMEOUT_CLKS": 3000}, data_files=data_files,
        env={"ACCEL_DIGITS_FILE": str(folder / "digits.npz"), "ACCEL_CLKS_PER_BIT": "8", "ACCEL_TIMEOUT_CLKS": "3000",
             "ACCEL_RESULT_FILE": str(work_root / f"latency-{simulator}.json")},
    )  # fmt: skip


def test_a_test_past_its_cycle_budget_fails_with_the_command_and_the_log(simulator, work_root):
    """Every simulation is bounded: a test that needs more cycles than its budget is stopped and
    reported, not left running (here the echo of 52 bytes, ~2,300 cycles, gets 300)."""
    with pytest.raises(SimulationError) as info:
        run_testbench(simulator, "uart_echo", "test_uart", work_root, {"CLKS_PER_BIT": 4},
                      env={"ACCEL_CLKS_PER_BIT": "4"}, testcase="echo_random_bytes", cycle_budget=300)  # fmt: skip
    message = str(info.value)
    assert simulator in message and "cycle budget 300" in message and "Running command" in message
    assert "SimTimeoutError" in message, message
