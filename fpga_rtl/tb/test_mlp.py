"""int8_mlp: bit-exact logits against accel's golden INT8 MLP on every held-out digit, top-1
accuracy reported, and the measured cycle count equal to the stated formula."""

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from accel.fpga.int8_mlp import load_memh

LIMIT = int(os.environ.get("ACCEL_DIGITS_LIMIT", "0")) or None


async def reset(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.start.value = 0
    dut.x_we.value = 0
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)


async def infer(dut, x):
    for address, value in enumerate(x):
        dut.x_we.value = 1
        dut.x_addr.value = address
        dut.x_data.value = int(value) & 0xFF
        await RisingEdge(dut.clk)
    dut.x_we.value = 0
    dut.start.value = 1
    await RisingEdge(dut.clk)  # this edge samples start
    dut.start.value = 0
    cycles = 0
    while True:
        await RisingEdge(dut.clk)
        cycles += 1
        await ReadOnly()
        if int(dut.done.value):
            break
    await RisingEdge(dut.clk)
    logits = []
    for index in range(10):
        dut.logit_addr.value = index
        await ReadOnly()
        logits.append(dut.logit_data.value.to_signed())
        await RisingEdge(dut.clk)
    return int(dut.class_out.value), logits, cycles


@cocotb.test()
async def bit_exact_on_held_out_digits(dut):
    data = np.load(Path(os.environ["ACCEL_DIGITS_FILE"]))
    inputs, labels = data["inputs"][:LIMIT], data["labels"][:LIMIT]
    golden = load_memh(Path.cwd())
    expected_logits, expected_classes = golden.forward(inputs)
    await reset(dut)
    mismatches, correct, cycle_counts = [], 0, set()
    for index, x in enumerate(inputs):
        predicted, logits, cycles = await infer(dut, x)
        cycle_counts.add(cycles)
        if logits != expected_logits[index].tolist() or predicted != int(expected_classes[index]):
            mismatches.append(index)
        correct += int(predicted == labels[index])
    summary = {"digits": len(inputs), "bit_exact": len(inputs) - len(mismatches), "top1": correct / len(inputs),
               "cycles": sorted(cycle_counts), "stated_cycles": golden.cycles}  # fmt: skip
    Path(os.environ["ACCEL_RESULT_FILE"]).write_text(json.dumps(summary))
    dut._log.info("MLP summary: %s", summary)
    assert not mismatches, f"logits differ from the golden model on {len(mismatches)} digits, first {mismatches[:5]}"
    assert cycle_counts == {golden.cycles}, f"measured cycles {sorted(cycle_counts)} != stated {golden.cycles}"
