"""Host side of the FPGA link: the framed UART protocol of fpga_rtl/rtl/mlp_uart_top.v over pyserial.

The same code talks to `loop://` (framing tests), to the simulated RTL through a pseudo-terminal,
and to a real board on /dev/ttyUSB0. Every failure is an exception carrying the bytes that failed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from accel.errors import AccelError

SOF = 0xA5
CMD_INFER, CMD_PING = 0x01, 0x02
REPLY_INFER, REPLY_PING, REPLY_ERROR = 0x81, 0x82, 0xEE
ERROR_CODES = {1: "bad checksum", 2: "unknown command", 3: "bad length", 4: "timeout (truncated frame)", 5: "UART framing error"}
INPUT_BYTES = 64
START_STOP_BITS = 2  # 8N1: one start and one stop bit per byte


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


def checksum(body: bytes) -> int:
    """XOR of command, length and payload bytes."""
    value = 0
    for byte in body:
        value ^= byte
    return value


def encode_frame(command: int, payload: bytes = b"") -> bytes:
    if len(payload) > 255:
        raise ValueError(f"payload must be at most 255 bytes; got {len(payload)}")
    body = bytes([command, len(payload)]) + payload
    return bytes([SOF]) + body + bytes([checksum(body)])


def decode_frame(frame: bytes) -> tuple[int, bytes]:
    """Check a whole frame and return (command, payload)."""
    if len(frame) < 4 or frame[0] != SOF:
        raise LinkError("not a frame: too short or no start byte", frame)
    command, length = frame[1], frame[2]
    if len(frame) != 4 + length:
        raise LinkError(f"frame length {len(frame)} does not match its LEN field {length}", frame)
    if checksum(frame[1:-1]) != frame[-1]:
        raise ChecksumError(f"checksum {frame[-1]:#04x} != computed {checksum(frame[1:-1]):#04x}", frame)
    return command, frame[3:-1]


def frame_bytes(payload_length: int) -> int:
    """Bytes on the wire for one frame: start, command, length, payload, checksum."""
    return 4 + payload_length


@dataclass(frozen=True)
class Inference:
    predicted: int
    logits: np.ndarray  # int32 (10,)


def parse_inference(payload: bytes) -> Inference:
    if len(payload) != 41:
        raise LinkError(f"inference reply must carry 41 bytes; got {len(payload)}", payload)
    return Inference(payload[0], np.array(struct.unpack("<10i", payload[1:]), dtype=np.int64))


class FpgaLink:
    """Request/response over a pyserial port (anything with read, write, reset_input_buffer)."""

    def __init__(self, port, retries: int = 2) -> None:
        self.port = port
        self.retries = retries

    def _read_exact(self, count: int, sofar: bytes) -> bytes:
        data = self.port.read(count)
        if len(data) < count:
            raise LinkTimeout(f"timed out waiting for {count} bytes, got {len(data)}", sofar + data)
        return data

    def read_frame(self) -> bytes:
        """Skip bytes until a start byte, then read one whole frame."""
        skipped = b""
        while True:
            byte = self.port.read(1)
            if not byte:
                raise LinkTimeout("timed out waiting for a start byte", skipped)
            if byte[0] == SOF:
                break
            skipped += byte
        header = byte + self._read_exact(2, byte)
        return header + self._read_exact(header[2] + 1, header)

    def transact(self, command: int, payload: bytes, expect: int) -> bytes:
        """Send a request and return the reply payload, retrying on timeouts and checksum errors."""
        last: LinkError | None = None
        for _ in range(self.retries + 1):
            self.port.write(encode_frame(command, payload))
            try:
                frame = self.read_frame()
                reply, body = decode_frame(frame)
            except (LinkTimeout, ChecksumError) as exc:
                last = exc
                self.port.reset_input_buffer()
                continue
            if reply == REPLY_ERROR:
                raise DeviceError(body[0] if body else -1, frame)
            if reply != expect:
                raise LinkError(f"expected reply {expect:#04x}, got {reply:#04x}", frame)
            return body
        raise last

    def ping(self) -> None:
        self.transact(CMD_PING, b"", REPLY_PING)

    def infer(self, x_int8: np.ndarray) -> Inference:
        values = np.asarray(x_int8, dtype=np.int64).ravel()
        if values.size != INPUT_BYTES or values.min() < -128 or values.max() > 127:
            raise ValueError(f"input must be {INPUT_BYTES} int8 values")
        return parse_inference(self.transact(CMD_INFER, values.astype(np.int8).tobytes(), REPLY_INFER))
