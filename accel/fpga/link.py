"""Host side of the FPGA link: the framed UART protocol of fpga_rtl/rtl/mlp_uart_top.v over pyserial.

A frame is 0xA5, CMD, SEQ, LEN, PAYLOAD[LEN], CHK (XOR of CMD, SEQ, LEN and the payload); the device
answers each request with the request's SEQ. The same code talks to `loop://` (framing tests), to
the simulated RTL through a pseudo-terminal, and to a real board on /dev/ttyUSB0. It has one request
in flight at a time, so the device's receive FIFO never fills and its CTS line can be left unwired; a
host that sends frames back to back must honour CTS (pyserial `rtscts=True`). Every failure is an
exception carrying the bytes that failed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from accel.errors import AccelError

SOF = 0xA5
CMD_INFER, CMD_PING = 0x01, 0x02
REPLY_INFER, REPLY_PING, REPLY_ERROR = 0x81, 0x82, 0xEE
ERROR_CODES = {1: "bad checksum", 2: "unknown command", 3: "bad length", 4: "timeout (truncated frame)", 5: "UART framing error",
               6: "receive overflow (the host ignored CTS)"}  # fmt: skip
LINK_ERROR_CODES = frozenset({1, 4, 5, 6})  # the request was damaged or lost on the way: sending it again can work
INPUT_BYTES = 64
INFER_REPLY_BYTES = 41  # class + 10 int32 logits
REPLY_LENGTHS = {REPLY_INFER: INFER_REPLY_BYTES, REPLY_PING: 0, REPLY_ERROR: 1}
START_STOP_BITS = 2  # 8N1: one start and one stop bit per byte
HEADER_BYTES = 4  # start byte, command, sequence number, length
NO_SEQUENCE = 0  # the device's error frames about bytes it could not tie to a request carry this
MAX_NOISE_BYTES = 1024  # bytes skipped looking for a frame before giving up


class LinkError(AccelError):
    """A frame could not be exchanged; `frame` holds the bytes concerned."""

    def __init__(self, message: str, frame: bytes = b"") -> None:
        super().__init__(f"{message} (frame: {frame.hex(' ') or 'none'})")
        self.frame = frame


class ChecksumError(LinkError):
    """A received frame's checksum does not match its contents."""


class LinkTimeout(LinkError):
    """The device did not answer (or stopped mid-frame) within the timeout."""


class DeviceError(LinkError):
    """The device answered with an error frame."""

    def __init__(self, code: int, frame: bytes) -> None:
        super().__init__(f"device reported error {code}: {ERROR_CODES.get(code, 'unknown')}", frame)
        self.code = code


class Frame(NamedTuple):
    command: int
    sequence: int
    payload: bytes


def checksum(body: bytes) -> int:
    """XOR of command, sequence, length and payload bytes."""
    value = 0
    for byte in body:
        value ^= byte
    return value


def encode_frame(command: int, sequence: int, payload: bytes = b"") -> bytes:
    if len(payload) > 255:
        raise ValueError(f"payload must be at most 255 bytes; got {len(payload)}")
    if not 0 <= sequence <= 255:
        raise ValueError(f"sequence number must be 0..255; got {sequence}")
    body = bytes([command, sequence, len(payload)]) + payload
    return bytes([SOF]) + body + bytes([checksum(body)])


def decode_frame(frame: bytes) -> Frame:
    """Check a whole frame and return its command, sequence number and payload."""
    if len(frame) < HEADER_BYTES + 1 or frame[0] != SOF:
        raise LinkError("not a frame: too short or no start byte", frame)
    length = frame[3]
    if len(frame) != frame_bytes(length):
        raise LinkError(f"frame length {len(frame)} does not match its LEN field {length}", frame)
    if checksum(frame[1:-1]) != frame[-1]:
        raise ChecksumError(f"checksum {frame[-1]:#04x} != computed {checksum(frame[1:-1]):#04x}", frame)
    return Frame(frame[1], frame[2], frame[4:-1])


def frame_bytes(payload_length: int) -> int:
    """Bytes on the wire for one frame: start, command, sequence, length, payload, checksum."""
    return HEADER_BYTES + payload_length + 1


@dataclass(frozen=True)
class Inference:
    predicted: int
    logits: np.ndarray  # int32 (10,)


def parse_inference(payload: bytes) -> Inference:
    if len(payload) != INFER_REPLY_BYTES:
        raise LinkError(f"inference reply must carry {INFER_REPLY_BYTES} bytes; got {len(payload)}", payload)
    return Inference(payload[0], np.array(struct.unpack("<10i", payload[1:]), dtype=np.int64))


class FpgaLink:
    """Request/response over a pyserial port (anything with read, write, reset_input_buffer).

    Every attempt carries a new sequence number (1..255) that the device copies into its reply, so a
    reply that comes after its request timed out, or comes twice, is recognized and dropped instead
    of being taken for the answer to the next request. A frame that fails its checksum is rescanned
    from its second byte, so a lost or repeated byte costs that frame only."""

    def __init__(self, port, retries: int = 2, max_unrelated_frames: int = 64) -> None:
        self.port = port
        self.retries = retries
        self.max_unrelated_frames = max_unrelated_frames
        self._sequence = NO_SEQUENCE
        self._pending = bytearray()  # read from the port, not parsed yet

    def _next_sequence(self) -> int:
        self._sequence = self._sequence % 255 + 1
        return self._sequence

    def _read(self, count: int, sofar: bytes, what: str) -> bytes:
        data = bytes(self._pending[:count])
        del self._pending[:count]
        if len(data) < count:
            data += self.port.read(count - len(data))
        if len(data) < count:
            raise LinkTimeout(f"timed out waiting for {what}", sofar + data)
        return data

    def read_frame(self) -> Frame:
        """The next reply frame that passes its checks. Bytes that start none are skipped (a bounded
        number), and so is a start byte whose header names no reply the device sends, without
        reading the length it claims."""
        skipped = bytearray()
        while len(skipped) <= MAX_NOISE_BYTES:
            start = self._read(1, bytes(skipped[-16:]), "a start byte")
            if start[0] != SOF:
                skipped += start
                continue
            header = start + self._read(HEADER_BYTES - 1, start, "a frame header")
            if REPLY_LENGTHS.get(header[1]) != header[3]:
                self._pending[:0] = header[1:]
                skipped += start
                continue
            frame = header + self._read(header[3] + 1, header, f"{header[3] + 1} more bytes of a frame")
            try:
                return decode_frame(frame)
            except ChecksumError:
                self._pending[:0] = frame[1:]  # that start byte was noise: the real one may follow
                skipped += start
        raise LinkTimeout(f"no valid frame in {len(skipped)} bytes", bytes(skipped[-16:]))

    def _reply_to(self, sequence: int) -> Frame:
        for _ in range(self.max_unrelated_frames):
            frame = self.read_frame()
            if frame.sequence == sequence:
                return frame
        raise LinkTimeout(f"{self.max_unrelated_frames} frames arrived, none answering request {sequence}")

    def transact(self, command: int, payload: bytes, expect: int) -> bytes:
        """Send a request and return its reply's payload. A timeout, or an error frame saying the
        request was damaged on the way, sends it again (retries times)."""
        failures: list[LinkError] = []
        for _ in range(self.retries + 1):
            if failures:
                self._pending.clear()
                self.port.reset_input_buffer()
            sequence = self._next_sequence()
            self.port.write(encode_frame(command, sequence, payload))
            try:
                reply = self._reply_to(sequence)
            except LinkTimeout as exc:
                failures.append(exc)
                continue
            if reply.command == REPLY_ERROR:
                error = DeviceError(reply.payload[0] if reply.payload else -1, encode_frame(*reply))
                if error.code not in LINK_ERROR_CODES:
                    raise error
                failures.append(error)
                continue
            if reply.command != expect:
                raise LinkError(f"expected reply {expect:#04x}, got {reply.command:#04x}", encode_frame(*reply))
            return reply.payload
        raise failures[-1]

    def ping(self) -> None:
        self.transact(CMD_PING, b"", REPLY_PING)

    def infer(self, x_int8: np.ndarray) -> Inference:
        values = np.asarray(x_int8, dtype=np.int64).ravel()
        if values.size != INPUT_BYTES or values.min() < -128 or values.max() > 127:
            raise ValueError(f"input must be {INPUT_BYTES} int8 values")
        return parse_inference(self.transact(CMD_INFER, values.astype(np.int8).tobytes(), REPLY_INFER))
