"""int8_mlp: bit-exact logits against accel's golden INT8 MLP on every held-out digit, top-1
accuracy reported, the measured cycle count equal to the stated formula, and tied logits resolved
the way the golden model resolves them."""

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time
from sim_clock import CLOCK_PERIOD_NS, bounded_test, start_clock

from accel.fpga.int8_mlp import load_memh

LIMIT = int(os.environ.get("ACCEL_DIGITS_LIMIT", "0")) or None


async def reset(dut):
    start_clock(dut.clk)
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
    began = get_sim_time(unit="ns")
    dut.start.value = 0
    await RisingEdge(dut.done)
    cycles = round((get_sim_time(unit="ns") - began) / CLOCK_PERIOD_NS)
    await RisingEdge(dut.clk)
    logits = []
    for index in range(10):
        dut.logit_addr.value = index
        await ReadOnly()
        logits.append(dut.logit_data.value.to_signed())
        await RisingEdge(dut.clk)
    return int(dut.class_out.value), logits, cycles


@bounded_test
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


@bounded_test
async def argmax_ties_go_to_the_first_maximum(dut):
    """Tied logits: the RTL picks the index the golden model picks, the first maximum. Runs last: it
    rewrites the output layer's ROM (zero weights, so the logits are the biases)."""
    golden = load_memh(Path.cwd())
    biases = [3, 7, -2, 7, 7, 0, 1, 7, -5, 2]  # the maximum, 7, at 1, 3, 4 and 7
    tied = dataclasses.replace(golden, w2=np.zeros_like(golden.w2), b2=np.array(biases, dtype=np.int64))
    for index in range(golden.w2.size):
        dut.w2[index].value = 0
    for index, bias in enumerate(biases):
        dut.b2[index].value = bias
    await reset(dut)
    x = np.zeros((1, golden.w1.shape[1]), dtype=np.int64)
    predicted, logits, _ = await infer(dut, x[0])
    expected_logits, expected_classes = tied.forward(x)
    assert logits == expected_logits[0].tolist() == biases, f"logits {logits}, want {biases}"
    assert predicted == int(expected_classes[0]) == 1, f"RTL class {predicted}, golden {int(expected_classes[0])}, want 1"
