import numpy as np
import pytest

from accel.errors import UsageError
from accel.fpga.fixedpoint import QFormat, multiplier_and_shift, requantize, rounding_shift_right, saturate, saturating_add, saturating_mul


def test_rounding_is_half_up_including_negative_ties():
    assert rounding_shift_right([5, -5, 6, -6, 7, -7], 1).tolist() == [3, -2, 3, -3, 4, -3]  # 2.5->3, -2.5->-2
    assert rounding_shift_right([3, -3], 0).tolist() == [3, -3]
    assert int(rounding_shift_right(2**40 + 2**29, 30)) == 1025  # exact tie at a large shift


def test_saturation_and_saturating_ops():
    assert saturate([300, -300, 5], 8).tolist() == [127, -128, 5]
    assert int(saturating_add(100, 100, 8)) == 127 and int(saturating_add(-100, -100, 8)) == -128
    assert int(saturating_mul(-128, -128, 8)) == 127 and int(saturating_mul(-128, -128, 16)) == 16384


def test_requantize_hand_computed():
    assert int(requantize(100, 3, 4)) == 19  # 300 / 16 = 18.75 -> 19
    assert int(requantize(24, 1, 4)) == 2 and int(requantize(-24, 1, 4)) == -1  # ties 1.5 -> 2, -1.5 -> -1
    assert int(requantize(1000, 3, 4)) == 127  # 187.5 saturates
    assert int(requantize(2**31 - 1, 65535, 0)) == 127 and int(requantize(-(2**31), 65535, 31)) == -128
    assert int(requantize(2**30, 1, 31)) == 1  # 0.5 rounds up
    with pytest.raises(UsageError, match="multiplier"):
        requantize(1, 0, 1)
    with pytest.raises(UsageError, match="shift"):
        requantize(1, 1, 32)


def test_multiplier_and_shift_approximates_scale():
    for scale in (0.000123, 0.5, 0.9999, 3.7):
        multiplier, shift = multiplier_and_shift(scale)
        assert 1 <= multiplier < 65536 and 0 <= shift <= 31
        assert multiplier / 2**shift == pytest.approx(scale, rel=1e-4)


def test_qformat_limits_and_spelling():
    q = QFormat(8, 4)
    assert (q.min_int, q.max_int, q.lsb, str(q)) == (-128, 127, 0.0625, "Q4.4")
    assert q.quantize(np.array([1.03, -9.0, 100.0])).tolist() == [16, -128, 127]
    with pytest.raises(UsageError):
        QFormat(8, 8)
