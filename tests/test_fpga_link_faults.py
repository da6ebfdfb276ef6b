"""FpgaLink over a serial line that delays, drops and repeats bytes: every answer must be the answer
to its own request (issue 13, item 7: after one late reply, every later answer was the previous
request's)."""

import numpy as np
import pytest

from accel.fpga.link import CMD_PING, FpgaLink, LinkTimeout, decode_frame, encode_frame


def model_reply(command: int, sequence: int, payload: bytes) -> bytes:
    """What the fake board answers: for INFER, class = first input byte mod 10 and logit i = 1000 x
    input byte i + i, so each answer names the request it belongs to."""
    if command == CMD_PING:
        return encode_frame(0x82, sequence)
    inputs = np.frombuffer(payload, dtype=np.int8).astype(np.int64)
    logits = (inputs[:10] * 1000 + np.arange(10)).astype("<i4")
    return encode_frame(0x81, sequence, bytes([int(inputs[0]) % 10]) + logits.tobytes())


class FaultyLine:
    """A fake serial port in front of `model_reply`, one scripted fault per request received:
    None (clean), "late" (the reply comes after the host's next request, as when the host timed out
    and resent), "lost", "drop" / "repeat" (one byte of the reply lost / sent twice), "twice" (the
    whole reply sent twice), "refused" (the device saw a damaged request: error 1)."""

    def __init__(self, faults):
        self.faults = list(faults)
        self.wire = bytearray()  # what the host can read now
        self.late = bytearray()  # what reaches the wire after the next request
        self.sequences = []

    def write(self, data: bytes) -> None:
        command, sequence, payload = decode_frame(bytes(data))
        self.sequences.append(sequence)
        reply = model_reply(command, sequence, payload)
        fault = self.faults.pop(0)
        self.wire += self.late
        self.late = bytearray()
        if fault == "late":
            self.late += reply
        elif fault == "drop":
            self.wire += reply[:10] + reply[11:]
        elif fault == "repeat":
            self.wire += reply[:10] + reply[9:]
        elif fault == "twice":
            self.wire += reply + reply
        elif fault == "refused":
            self.wire += encode_frame(0xEE, sequence, b"\x01")
        elif fault is None:
            self.wire += reply

    def read(self, count: int) -> bytes:
        data = bytes(self.wire[:count])
        del self.wire[:count]
        return data

    def reset_input_buffer(self) -> None:
        self.wire.clear()


def request(index: int) -> np.ndarray:
    return np.full(64, index + 1, dtype=np.int64)


def expected_logits(index: int) -> list[int]:
    return [(index + 1) * 1000 + i for i in range(10)]


def test_every_answer_belongs_to_its_own_request_despite_delays_drops_and_repeats():
    # request 1 comes late, so its first attempt times out and is resent; its late reply then
    # arrives before the reply to the resend, which an unmatched link would hand to request 2
    faults = [None, "late", None, None, "drop", None, "repeat", None, "twice", None, "lost", None, "refused", None, None]
    line = FaultyLine(faults)
    link = FpgaLink(line, retries=2)
    for index in range(9):
        result = link.infer(request(index))
        assert result.logits.tolist() == expected_logits(index), f"request {index} got another request's answer"
        assert result.predicted == (index + 1) % 10
    link.ping()
    assert not line.faults, "every scripted fault was exercised"
    assert len(set(line.sequences)) == len(line.sequences), "a resent request must carry a new sequence number"


def test_a_reply_late_for_every_attempt_is_a_timeout_not_a_wrong_answer():
    line = FaultyLine(["late", "late", "late", None])
    link = FpgaLink(line, retries=2)
    with pytest.raises(LinkTimeout):
        link.infer(request(0))
    assert link.infer(request(1)).logits.tolist() == expected_logits(1)


def test_sequence_numbers_wrap_around_and_skip_zero():
    line = FaultyLine([None] * 300)
    link = FpgaLink(line)
    for _ in range(300):
        link.ping()
    assert 0 not in line.sequences and max(line.sequences) == 255 and line.sequences[255] == 1


class EndlessLine:
    """Answers every read from an endless repetition of `pattern`; fails the test if the link
    keeps reading far past any sensible bound instead of giving up."""

    def __init__(self, pattern: bytes):
        self.pattern = pattern
        self.stream = bytearray()
        self.total = 0

    def write(self, data: bytes) -> None:
        pass

    def read(self, count: int) -> bytes:
        self.total += count
        assert self.total < 1_000_000, "the link never gave up"
        while len(self.stream) < count:
            self.stream += self.pattern
        data = bytes(self.stream[:count])
        del self.stream[:count]
        return data

    def reset_input_buffer(self) -> None:
        pass


@pytest.mark.parametrize("pattern", [encode_frame(0x82, 0), b"\x00\x13"], ids=["frames-for-no-request", "noise"])
def test_an_endless_stream_of_unrelated_bytes_ends_in_a_timeout(pattern):
    with pytest.raises(LinkTimeout):
        FpgaLink(EndlessLine(pattern), retries=1).ping()
