"""Fixed-point primitives against accel.fpga.fixedpoint: exhaustive int8 x int8 multiply-accumulate and
int16 -> int8 saturation, the requantizer on a large random set plus every edge case."""

import random

import numpy as np
from cocotb.triggers import Timer
from sim_clock import bounded_test

from accel.fpga.fixedpoint import INT32_MAX, INT32_MIN, requantize, saturate


async def settle():
    await Timer(1, unit="ns")


@bounded_test
async def mac_exhaustive(dut):
    rng = random.Random(1)
    mismatches = []
    for a in range(-128, 128):
        acc = rng.randrange(-(2**30), 2**30)
        dut.mac_acc.value = acc
        dut.mac_a.value = a
        for b in range(-128, 128):
            dut.mac_b.value = b
            await settle()
            if dut.mac_out.value.to_signed() != acc + a * b:
                mismatches.append((a, b, acc, dut.mac_out.value.to_signed()))
    assert not mismatches, f"{len(mismatches)} MAC mismatches, first {mismatches[:3]}"


@bounded_test
async def saturate_exhaustive(dut):
    values = np.arange(-(2**15), 2**15)
    expected = saturate(values, 8)
    mismatches = []
    for value, want in zip(values.tolist(), expected.tolist()):
        dut.sat_in.value = value
        await settle()
        if dut.sat_out.value.to_signed() != want:
            mismatches.append((value, want, dut.sat_out.value.to_signed()))
    assert not mismatches, f"{len(mismatches)} saturation mismatches, first {mismatches[:3]}"


def requant_cases(count: int):
    rng = random.Random(2)
    edges_acc = [INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX, 127, -128, 128, -129]
    cases = [(acc, m, s) for acc in edges_acc for m in (1, 2, 37219, 65535) for s in (0, 1, 15, 30, 31)]
    for shift in range(1, 32):  # exact ties, both signs: acc * M = k * 2^s + 2^(s-1)
        for k in (-3, -2, -1, 0, 1, 2):
            tie = k * (1 << shift) + (1 << (shift - 1))
            if INT32_MIN <= tie <= INT32_MAX:
                cases.append((tie, 1, shift))
    cases += [(rng.randrange(INT32_MIN, INT32_MAX + 1), rng.randrange(1, 65536), rng.randrange(0, 32)) for _ in range(count)]
    cases += [(rng.randrange(-(2**20), 2**20), rng.randrange(1, 65536), rng.randrange(14, 32)) for _ in range(count)]
    return cases


@bounded_test
async def requantize_random_and_edges(dut):
    mismatches = []
    cases = requant_cases(10_000)
    for acc, multiplier, shift in cases:
        dut.rq_acc.value = acc
        dut.rq_multiplier.value = multiplier
        dut.rq_shift.value = shift
        await settle()
        want = int(requantize(acc, multiplier, shift))
        if dut.rq_out.value.to_signed() != want:
            mismatches.append((acc, multiplier, shift, want, dut.rq_out.value.to_signed()))
    assert not mismatches, f"{len(mismatches)} of {len(cases)} requantize mismatches, first {mismatches[:3]}"
