"""mlp_uart_top: whole frames through the UART pins: inference, ping, corrupted, unknown, wrong
length, truncated and back-to-back frames, a framing error, a 40-frame burst paced by CTS and one
that ignores CTS; the host link over a pseudo-terminal; and the host->FPGA->host latency of one
inference in clock cycles. Every reply is decoded with the host's decoder and checked for framing."""

import json
import os
import threading
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge, Timer
from cocotb.utils import get_sim_time
from sim_clock import CLOCK_PERIOD_NS, bounded_test, mid_cycle
from uart_bfm import start_uart_dut

from accel.fpga.int8_mlp import load_memh
from accel.fpga.link import (
    CMD_INFER,
    CMD_PING,
    HEADER_BYTES,
    INFER_REPLY_BYTES,
    NO_SEQUENCE,
    FpgaLink,
    decode_frame,
    encode_frame,
    frame_bytes,
    parse_inference,
)

CLKS = int(os.environ["ACCEL_CLKS_PER_BIT"])
TIMEOUT_CLKS = int(os.environ["ACCEL_TIMEOUT_CLKS"])
BYTE_CLKS = 10 * CLKS


async def start(dut):
    return await start_uart_dut(dut, CLKS)


def digits():
    data = np.load(Path(os.environ["ACCEL_DIGITS_FILE"]))
    return data["inputs"], load_memh(Path.cwd())


def frame_at(data: bytes, position: int) -> tuple[tuple, int] | None:
    """The frame that starts at `position`, decoded to (command, sequence, payload), and its end;
    None while it is incomplete."""
    if len(data) < position + HEADER_BYTES or len(data) < position + frame_bytes(data[position + 3]):
        return None
    end = position + frame_bytes(data[position + 3])
    return tuple(decode_frame(data[position:end])), end


async def read_frames(monitor, count, budget_cycles):
    """Wait for `count` complete frames and decode them."""
    frames, position, waited = [], 0, 0
    while len(frames) < count and waited < budget_cycles:
        found = frame_at(bytes(monitor.received), position)
        if found:
            frames.append(found[0])
            position = found[1]
            continue
        await Timer(CLKS * CLOCK_PERIOD_NS, unit="ns")
        waited += CLKS
    assert len(frames) == count, f"expected {count} frames, got {len(frames)} from {bytes(monitor.received).hex(' ')}"
    assert not monitor.framing_errors, f"bad start or stop bits on reply bytes {monitor.framing_errors}"
    return frames


def infer_payload(x) -> bytes:
    return np.asarray(x, dtype=np.int64).astype(np.int8).tobytes()


@bounded_test
async def inference_and_ping(dut):
    driver, monitor = await start(dut)
    inputs, golden = digits()
    await driver.send(encode_frame(CMD_PING, 1))
    await driver.send(encode_frame(CMD_INFER, 2, infer_payload(inputs[0])))
    ping, (reply, sequence, payload) = await read_frames(monitor, 2, 200 * BYTE_CLKS + 10_000)
    assert ping == (0x82, 1, b"") and (reply, sequence) == (0x81, 2)
    result = parse_inference(payload)
    logits, classes = golden.forward(inputs[:1])
    assert result.logits.tolist() == logits[0].tolist() and result.predicted == int(classes[0])


@bounded_test
async def corrupted_unknown_and_wrong_length_frames(dut):
    driver, monitor = await start(dut)
    inputs, _ = digits()
    bad_checksum = bytearray(encode_frame(CMD_INFER, 3, infer_payload(inputs[1])))
    bad_checksum[10] ^= 0x40
    await driver.send(b"\x00\x13" + bytes(bad_checksum))  # leading noise is skipped
    await driver.send(encode_frame(0x33, 4, b"\x01\x02"))
    await driver.send(encode_frame(CMD_INFER, 5, b"\x05" * 10))
    await driver.send(encode_frame(CMD_PING, 6))
    frames = await read_frames(monitor, 4, 300 * BYTE_CLKS)
    assert frames[:3] == [(0xEE, 3, b"\x01"), (0xEE, 4, b"\x02"), (0xEE, 5, b"\x03")], frames
    assert frames[3] == (0x82, 6, b""), "the link must work again after errors"


@bounded_test
async def truncated_frame_times_out(dut):
    driver, monitor = await start(dut)
    await driver.send(encode_frame(CMD_INFER, 7, b"\x01" * 64)[:20])
    await ClockCycles(dut.clk, TIMEOUT_CLKS + 100 * CLKS)
    await driver.send(encode_frame(CMD_PING, 8))
    frames = await read_frames(monitor, 2, TIMEOUT_CLKS + 100 * BYTE_CLKS)
    assert frames == [(0xEE, 7, b"\x04"), (0x82, 8, b"")], frames


@bounded_test
async def back_to_back_frames(dut):
    driver, monitor = await start(dut)
    inputs, golden = digits()
    burst = b"".join(encode_frame(CMD_INFER, 9 + index, infer_payload(x)) for index, x in enumerate(inputs[2:5]))
    await driver.send(burst)  # no gap: the second frame arrives while the first is computed
    frames = await read_frames(monitor, 3, 400 * BYTE_CLKS + 30_000)
    logits, _ = golden.forward(inputs[2:5])
    for index, ((reply, sequence, payload), expected) in enumerate(zip(frames, logits)):
        assert (reply, sequence) == (0x81, 9 + index) and parse_inference(payload).logits.tolist() == expected.tolist()


@bounded_test
async def framing_error_is_reported(dut):
    driver, monitor = await start(dut)
    await driver.send_byte(0xA5, stop_bit=0)
    frames = await read_frames(monitor, 1, 100 * BYTE_CLKS)
    assert frames == [(0xEE, NO_SEQUENCE, b"\x05")], frames


async def count_falling_edges(signal, counter: list[int]) -> None:
    while True:
        await FallingEdge(signal)
        counter[0] += 1


BURST = 40


@bounded_test
async def burst_paced_by_cts_is_answered_in_full(dut):
    """40 INFER frames back to back arrive faster than the replies can leave: the FIFO fills, CTS
    drops, the driver waits, and every request is answered, in order, with its own sequence number."""
    driver, monitor = await start(dut)
    inputs, golden = digits()
    cts_drops = [0]
    cocotb.start_soon(count_falling_edges(dut.cts, cts_drops))
    await driver.send(b"".join(encode_frame(CMD_INFER, 1 + index, infer_payload(x)) for index, x in enumerate(inputs[:BURST])))
    frames = await read_frames(monitor, BURST, BURST * 200 * BYTE_CLKS)
    assert cts_drops[0] > 0, "CTS never dropped: the burst did not test flow control"
    logits, _ = golden.forward(inputs[:BURST])
    for index, ((reply, sequence, payload), expected) in enumerate(zip(frames, logits)):
        assert (reply, sequence) == (0x81, 1 + index), f"frame {index}: reply {reply:#04x} for request {sequence}"
        assert parse_inference(payload).logits.tolist() == expected.tolist(), f"frame {index}: wrong logits"


@bounded_test
async def burst_ignoring_cts_is_refused_not_lost(dut):
    """A host that ignores CTS overruns the FIFO: the device says so (error 6) instead of dropping
    requests silently, and every reply it does send answers its own request correctly."""
    driver, monitor = await start(dut)
    inputs, golden = digits()
    requests = b"".join(encode_frame(CMD_INFER, 1 + index, infer_payload(x)) for index, x in enumerate(inputs[:BURST]))
    await driver.send(requests, honour_cts=False)
    await quiet_line(monitor, TIMEOUT_CLKS + 100 * BYTE_CLKS)
    frames = split_frames(bytes(monitor.received))
    logits, _ = golden.forward(inputs[:BURST])
    answered = {sequence: payload for reply, sequence, payload in frames if reply == 0x81}
    assert (0xEE, NO_SEQUENCE, b"\x06") in frames, f"no overflow error among {len(frames)} replies"
    assert len(answered) < BURST, "nothing overflowed: the burst did not test the overflow path"
    for sequence, payload in answered.items():
        assert parse_inference(payload).logits.tolist() == logits[sequence - 1].tolist(), f"request {sequence}: wrong logits"


async def quiet_line(monitor, quiet_cycles: int) -> None:
    """Wait until the DUT has sent nothing for `quiet_cycles`."""
    seen = -1
    while len(monitor.received) != seen:
        seen = len(monitor.received)
        await Timer(quiet_cycles * CLOCK_PERIOD_NS, unit="ns")


def split_frames(data: bytes) -> list[tuple]:
    frames, position = [], 0
    while found := frame_at(data, position):
        frames.append(found[0])
        position = found[1]
    assert position == len(data), f"trailing bytes {data[position:].hex(' ')}"
    return frames


@bounded_test
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
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
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
            time.sleep(0.001)  # noqa: ASYNC251 - the simulator holds the GIL between callbacks: let the host thread run
        await Timer(4 * CLKS * CLOCK_PERIOD_NS, unit="ns")
    thread.join(timeout=5)
    dut._log.info("bridge: %d bytes to the FPGA, %d back, host alive=%s", to_fpga, sent, thread.is_alive())
    os.close(master)
    assert "error" not in outcome, f"host link failed: {outcome.get('error')}"
    logits, _ = golden.forward(inputs[7:8])
    assert outcome["result"].logits.tolist() == logits[0].tolist()


@bounded_test
async def offload_round_trip_latency(dut):
    """Clock cycles from the first start bit of an INFER frame to the end of the reply's last stop bit."""
    driver, monitor = await start(dut)
    inputs, golden = digits()
    count = int(os.environ.get("ACCEL_LATENCY_DIGITS", "3"))
    cycles = []
    for index, x in enumerate(inputs[:count]):
        monitor.received.clear()
        monitor.stop_times.clear()
        await mid_cycle(dut.clk)  # where the driver's first start bit begins
        began = get_sim_time(unit="ns")
        await driver.send(encode_frame(CMD_INFER, 1 + index, infer_payload(x)))
        (reply, sequence, _), = await read_frames(monitor, 1, 400 * BYTE_CLKS + 10_000)
        assert (reply, sequence) == (0x81, 1 + index)
        last_byte = frame_bytes(INFER_REPLY_BYTES) - 1
        cycles.append(round((monitor.stop_times[last_byte] - began) / CLOCK_PERIOD_NS))
    Path(os.environ["ACCEL_RESULT_FILE"]).write_text(json.dumps({"round_trip_cycles": cycles, "mlp_cycles": golden.cycles}))
