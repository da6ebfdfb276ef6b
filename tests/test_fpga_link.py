import numpy as np
import pytest
import serial

from accel.fpga.link import (
    CMD_INFER,
    CMD_PING,
    ChecksumError,
    DeviceError,
    FpgaLink,
    Frame,
    LinkError,
    LinkTimeout,
    decode_frame,
    encode_frame,
    parse_inference,
)


def test_frame_layout_and_xor_checksum_hand_computed():
    # XOR of 81 7f 03 10 20 30 is fd; their sum mod 256 would be 63
    wire = bytes.fromhex("a5 81 7f 03 10 20 30 fd")
    assert encode_frame(0x81, 0x7F, b"\x10\x20\x30") == wire
    assert decode_frame(wire) == Frame(0x81, 0x7F, b"\x10\x20\x30")
    with pytest.raises(ChecksumError):
        decode_frame(wire[:-1] + b"\x63")
    assert encode_frame(CMD_PING, 0) == bytes.fromhex("a5 02 00 00 02")


def test_frame_round_trip_over_loop_url():
    port = serial.serial_for_url("loop://", timeout=0.2)
    frame = encode_frame(0x81, 9, bytes(range(41)))
    port.write(frame)
    assert FpgaLink(port).read_frame() == (0x81, 9, bytes(range(41)))
    request = encode_frame(CMD_INFER, 9, bytes(range(64)))
    assert request[0] == 0xA5 and request[2] == 9 and request[3] == 64 and len(request) == 69


def damaged_replies() -> dict[str, bytes]:
    reply = encode_frame(0x81, 4, b"\xa5\xa5\x81\x05\xff" + bytes(range(36)))
    return {
        "bad-checksum": reply[:-1] + bytes([reply[-1] ^ 0xFF]),  # and inside it, start bytes that begin no valid reply
        "byte-lost": reply[:20] + reply[21:],  # reading its claimed length swallows the next frame's start byte
    }


@pytest.mark.parametrize("damage", damaged_replies())
def test_noise_and_a_damaged_frame_before_a_good_one_are_skipped(damage):
    port = serial.serial_for_url("loop://", timeout=0.2)
    port.write(b"\x00\x13" + damaged_replies()[damage] + encode_frame(0x82, 5))
    assert FpgaLink(port).read_frame() == (0x82, 5, b"")


def test_checksum_and_length_errors_carry_the_frame():
    frame = bytearray(encode_frame(CMD_INFER, 1, b"\x01\x02"))
    frame[4] ^= 0xFF
    with pytest.raises(ChecksumError) as info:
        decode_frame(bytes(frame))
    assert info.value.frame == bytes(frame)
    with pytest.raises(LinkError, match="LEN field"):
        decode_frame(encode_frame(CMD_INFER, 1, b"\x01")[:-2] + b"\x00")


class ScriptedPort:
    """A fake device: answers each request with the next scripted (command, payload), under the
    request's sequence number (None: silence)."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.buffer = b""
        self.writes = []

    def write(self, data):
        self.writes.append(bytes(data))
        reply = self.replies.pop(0)
        if reply is not None:
            self.buffer += encode_frame(reply[0], decode_frame(bytes(data)).sequence, reply[1])

    def read(self, count):
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def reset_input_buffer(self):
        self.buffer = b""


def test_retry_after_timeout_then_success():
    port = ScriptedPort([None, (0x82, b"")])
    FpgaLink(port, retries=1).ping()
    assert len(port.writes) == 2
    assert decode_frame(port.writes[0]).sequence != decode_frame(port.writes[1]).sequence


def test_timeouts_exhaust_retries():
    with pytest.raises(LinkTimeout, match="start byte"):
        FpgaLink(ScriptedPort([None, None, None]), retries=2).ping()


def test_device_errors_about_the_request_raise_and_link_errors_retry():
    with pytest.raises(DeviceError, match="bad length") as info:
        FpgaLink(ScriptedPort([(0xEE, b"\x03")])).ping()
    assert info.value.code == 3
    port = ScriptedPort([(0xEE, b"\x01"), (0x82, b"")])  # the request arrived damaged: send it again
    FpgaLink(port, retries=1).ping()
    assert len(port.writes) == 2
    with pytest.raises(DeviceError, match="bad checksum"):
        FpgaLink(ScriptedPort([(0xEE, b"\x01")] * 2), retries=1).ping()


def test_inference_reply_parsing():
    logits = np.arange(-5, 5, dtype=np.int32) * 1000
    payload = bytes([7]) + logits.astype("<i4").tobytes()
    result = FpgaLink(ScriptedPort([(0x81, payload)])).infer(np.zeros(64, dtype=np.int64))
    assert result.predicted == 7 and result.logits.tolist() == logits.tolist()
    with pytest.raises(LinkError, match="41 bytes"):
        parse_inference(b"\x00" * 5)
    with pytest.raises(ValueError, match="64 int8"):
        FpgaLink(ScriptedPort([])).infer(np.zeros(10))
