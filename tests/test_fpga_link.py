import numpy as np
import pytest
import serial

from accel.fpga.link import (
    CMD_INFER, ChecksumError, DeviceError, FpgaLink, LinkError, LinkTimeout, decode_frame, encode_frame, parse_inference,
)  # fmt: skip


def test_frame_round_trip_over_loop_url():
    port = serial.serial_for_url("loop://", timeout=0.2)
    frame = encode_frame(CMD_INFER, bytes(range(64)))
    port.write(frame)
    link = FpgaLink(port)
    assert link.read_frame() == frame
    assert decode_frame(frame) == (CMD_INFER, bytes(range(64)))
    assert frame[0] == 0xA5 and frame[2] == 64 and len(frame) == 68


def test_noise_before_start_byte_is_skipped():
    port = serial.serial_for_url("loop://", timeout=0.2)
    port.write(b"\x00\x13" + encode_frame(0x82))
    assert decode_frame(FpgaLink(port).read_frame()) == (0x82, b"")


def test_checksum_and_length_errors_carry_the_frame():
    frame = bytearray(encode_frame(CMD_INFER, b"\x01\x02"))
    frame[3] ^= 0xFF
    with pytest.raises(ChecksumError) as info:
        decode_frame(bytes(frame))
    assert info.value.frame == bytes(frame)
    with pytest.raises(LinkError, match="LEN field"):
        decode_frame(encode_frame(CMD_INFER, b"\x01")[:-2] + b"\x00")


class ScriptedPort:
    """A fake device: answers each request with the next scripted reply (None: silence)."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.buffer = b""
        self.writes = []

    def write(self, data):
        self.writes.append(bytes(data))
        reply = self.replies.pop(0)
        self.buffer += reply or b""

    def read(self, count):
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def reset_input_buffer(self):
        self.buffer = b""


def test_retry_after_timeout_then_success():
    ping_reply = encode_frame(0x82)
    port = ScriptedPort([None, ping_reply])
    FpgaLink(port, retries=1).ping()
    assert len(port.writes) == 2


def test_timeouts_exhaust_retries():
    with pytest.raises(LinkTimeout, match="start byte"):
        FpgaLink(ScriptedPort([None, None, None]), retries=2).ping()


def test_device_error_frame_is_an_exception():
    with pytest.raises(DeviceError, match="bad checksum") as info:
        FpgaLink(ScriptedPort([encode_frame(0xEE, b"\x01")])).ping()
    assert info.value.code == 1


def test_inference_reply_parsing():
    logits = np.arange(-5, 5, dtype=np.int32) * 1000
    payload = bytes([7]) + logits.astype("<i4").tobytes()
    result = FpgaLink(ScriptedPort([encode_frame(0x81, payload)])).infer(np.zeros(64, dtype=np.int64))
    assert result.predicted == 7 and result.logits.tolist() == logits.tolist()
    with pytest.raises(LinkError, match="41 bytes"):
        parse_inference(b"\x00" * 5)
    with pytest.raises(ValueError, match="64 int8"):
        FpgaLink(ScriptedPort([])).infer(np.zeros(10))
