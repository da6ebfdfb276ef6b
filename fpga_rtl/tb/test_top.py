"""mlp_uart_top: whole frames through the UART pins: inference, ping, corrupted, unknown, wrong
length, truncated and back-to-back frames, a framing error; the host link over a pseudo-terminal;
and the host->FPGA->host latency of one inference in clock cycles."""

import json
import os
import threading
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles
from cocotb.utils import get_sim_time

from accel.fpga.link import CMD_INFER, CMD_PING, FpgaLink, decode_frame, encode_frame, parse_inference
from accel.fpga.int8_mlp import load_memh
from uart_bfm import start_uart_dut

CLKS = int(os.environ["ACCEL_CLKS_PER_BIT"])
TIMEOUT_CLKS = int(os.environ["ACCEL_TIMEOUT_CLKS"])
BYTE_CLKS = 10 * CLKS


async def start(dut):
    return await start_uart_dut(dut, CLKS)


def digits():
    data = np.load(Path(os.environ["ACCEL_DIGITS_FILE"]))
    return data["inputs"], load_memh(Path.cwd())


async def read_frames(monitor, count, budget_cycles):
    """Wait for `count` complete frames and decode them."""
    frames, position, waited = [], 0, 0
    while len(frames) < count and waited < budget_cycles:
        data = bytes(monitor.received)
        if len(data) >= position + 3 and len(data) >= position + 4 + data[position + 2]:
            end = position + 4 + data[position + 2]
            frames.append(decode_frame(data[position:end]))
            position = end
            continue
        await ClockCycles(monitor.clk, CLKS)
        waited += CLKS
    assert len(frames) == count, f"expected {count} frames, got {len(frames)} from {bytes(monitor.received).hex(' ')}"
    return frames


def infer_payload(x) -> bytes:
    return np.asarray(x, dtype=np.int64).astype(np.int8).tobytes()


@cocotb.test()
async def inference_and_ping(dut):
    driver, monitor = await start(dut)
    inputs, golden = digits()
    await driver.send(encode_frame(CMD_PING))
    await driver.send(encode_frame(CMD_INFER, infer_payload(inputs[0])))
    (ping, _), (reply, payload) = await read_frames(monitor, 2, 200 * BYTE_CLKS + 10_000)
    assert ping == 0x82 and reply == 0x81
    result = parse_inference(payload)
    logits, classes = golden.forward(inputs[:1])
    assert result.logits.tolist() == logits[0].tolist() and result.predicted == int(classes[0])


@cocotb.test()
async def corrupted_unknown_and_wrong_length_frames(dut):
    driver, monitor = await start(dut)
    inputs, _ = digits()
    bad_checksum = bytearray(encode_frame(CMD_INFER, infer_payload(inputs[1])))
    bad_checksum[10] ^= 0x40
    await driver.send(b"\x00\x13" + bytes(bad_checksum))  # leading noise is skipped
    await driver.send(encode_frame(0x33, b"\x01\x02"))
    await driver.send(encode_frame(CMD_INFER, b"\x05" * 10))
    await driver.send(encode_frame(CMD_PING))
    frames = await read_frames(monitor, 4, 300 * BYTE_CLKS)
    assert frames[:3] == [(0xEE, b"\x01"), (0xEE, b"\x02"), (0xEE, b"\x03")], frames
    assert frames[3] == (0x82, b""), "the link must work again after errors"


@cocotb.test()
async def truncated_frame_times_out(dut):
    driver, monitor = await start(dut)
    await driver.send(encode_frame(CMD_INFER, b"\x01" * 64)[:20])
    await ClockCycles(dut.clk, TIMEOUT_CLKS + 100 * CLKS)
    await driver.send(encode_frame(CMD_PING))
    frames = await read_frames(monitor, 2, TIMEOUT_CLKS + 100 * BYTE_CLKS)
    assert frames == [(0xEE, b"\x04"), (0x82, b"")], frames


@cocotb.test()
async def back_to_back_frames(dut):
    driver, monitor = await start(dut)
    inputs, golden = digits()
    burst = b"".join(encode_frame(CMD_INFER, infer_payload(x)) for x in inputs[2:5])
    await driver.send(burst)  # no gap: the second frame arrives while the first is computed
    frames = await read_frames(monitor, 3, 400 * BYTE_CLKS + 30_000)
    logits, _ = golden.forward(inputs[2:5])
    for (reply, payload), expected in zip(frames, logits):
        assert reply == 0x81 and parse_inference(payload).logits.tolist() == expected.tolist()


@cocotb.test()
async def framing_error_is_reported(dut):
    driver, monitor = await start(dut)
    await driver.send_byte(0xA5, stop_bit=0)
    frames = await read_frames(monitor, 1, 100 * BYTE_CLKS)
    assert frames == [(0xEE, b"\x05")], frames


@cocotb.test()
async def host_link_over_pseudo_terminal(dut):
    """The FpgaLink code that would open /dev/ttyUSB0 talks to the simulated FPGA through a pty."""
    import serial

    driver, monitor = await start(dut)
    inputs, golden = digits()
    master, slave = os.openpty()
    os.set_blocking(master, False)
    outcome = {}

    def host():
        try:
            with serial.Serial(os.ttyname(slave), timeout=30) as port:
                link = FpgaLink(port)
                link.ping()
                outcome["result"] = link.infer(inputs[7])
        except Exception as exc:  # surfaced by the assertion below
            outcome["error"] = exc

    thread = threading.Thread(target=host, daemon=True)
    thread.start()
    sent = to_fpga = 0
    for _ in range(4000):  # bridge both ways until the host is done (bounded)
        try:
            chunk = os.read(master, 256)
        except BlockingIOError:
            chunk = b""
        if chunk:
            to_fpga += len(chunk)
            await driver.send(chunk)
        if len(monitor.received) > sent:
            os.write(master, bytes(monitor.received[sent:]))
            sent = len(monitor.received)
        if not thread.is_alive():
            break
        if not chunk:
            time.sleep(0.001)  # the simulator holds the GIL between callbacks: let the host thread run
        await ClockCycles(dut.clk, 4 * CLKS)
    thread.join(timeout=5)
    dut._log.info("bridge: %d bytes to the FPGA, %d back, host alive=%s", to_fpga, sent, thread.is_alive())
    os.close(master)
    assert "error" not in outcome, f"host link failed: {outcome.get('error')}"
    logits, _ = golden.forward(inputs[7:8])
    assert outcome["result"].logits.tolist() == logits[0].tolist()


@cocotb.test()
async def offload_round_trip_latency(dut):
    """Clock cycles from the first start bit of an INFER frame to the end of the reply's last stop bit."""
    driver, monitor = await start(dut)
    inputs, golden = digits()
    count = int(os.environ.get("ACCEL_LATENCY_DIGITS", "3"))
    cycles = []
    for x in inputs[:count]:
        monitor.received.clear()
        monitor.stop_times.clear()
        began = get_sim_time(unit="ns")
        await driver.send(encode_frame(CMD_INFER, infer_payload(x)))
        (reply, _), = await read_frames(monitor, 1, 400 * BYTE_CLKS + 10_000)
        assert reply == 0x81
        while len(monitor.stop_times) < 45:  # the last byte's stop bit ends after it is decoded
            await ClockCycles(dut.clk, CLKS)
        cycles.append(int(round((monitor.stop_times[44] - began) / 10)))
    Path(os.environ["ACCEL_RESULT_FILE"]).write_text(json.dumps({"round_trip_cycles": cycles, "mlp_cycles": golden.cycles}))
