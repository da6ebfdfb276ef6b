import numpy as np

from accel.fpga.int8_mlp import (
    Int8Mlp,
    export_memh,
    from_float,
    load_memh,
    quantize_pixels,
)
from accel.inputs import digits_data
from accel.zoo import digits


def test_quantized_mlp_keeps_accuracy_and_round_trips_through_memh(tmp_path):
    split = digits_data.digits_split()
    net = digits.train("digits_mlp")
    mlp = from_float(net, split.train_pixels)
    x = quantize_pixels(split.test_pixels)
    logits, classes = mlp.forward(x)
    import torch

    with torch.no_grad():
        float_top1 = (net(torch.from_numpy(digits_data.preprocess_digits(split.test_pixels, "digits_mlp"))).numpy().argmax(1) == split.test_labels).mean()
    int8_top1 = (classes == split.test_labels).mean()
    assert int8_top1 >= 0.99 * float_top1
    assert logits.dtype == np.int64 and np.abs(logits).max() < 2**31
    assert mlp.w1.min() >= -128 and mlp.w1.max() <= 127 and mlp.cycles == 32 * 66 + 10 * 34 + 1
    export_memh(mlp, tmp_path)
    again = load_memh(tmp_path)
    np.testing.assert_array_equal(again.forward(x)[0], logits)
    assert (tmp_path / "w1.mem").read_text().splitlines()[0] == f"{int(mlp.w1.ravel()[0]) & 0xFF:02x}"


def test_pixel_quantization_is_integer_round_half_up():
    assert quantize_pixels(np.array([[0, 1, 8, 16]])).tolist() == [[0, 8, 64, 127]]  # 127/16 = 7.94 -> 8


def tiny_mlp(w2, b2) -> Int8Mlp:
    """1 input -> 2 hidden (x and -x, requantized with M = 1, S = 0, i.e. unchanged) -> len(b2) outputs."""
    return Int8Mlp(np.array([[1], [-1]]), np.array([0, 0]), 1, 0, np.array(w2), np.array(b2))


def test_relu_zeroes_negative_hidden_activations():
    mlp = tiny_mlp([[1, 0], [0, -2]], [0, 0])
    assert mlp.hidden(np.array([[5]])).tolist() == [[5, 0]]  # -5 clipped to 0
    logits, classes = mlp.forward(np.array([[5]]))
    assert logits.tolist() == [[5, 0]] and classes.tolist() == [0]  # without ReLU: [5, 10], class 1


def test_argmax_ties_go_to_the_first_maximum_as_in_the_rtl():
    # int8_mlp.v keeps a new maximum only when it is strictly larger (`acc > best`)
    mlp = tiny_mlp(np.zeros((5, 2), dtype=np.int64), [3, 7, -2, 7, 7])
    logits, classes = mlp.forward(np.array([[5], [-5]]))
    assert logits.tolist() == [[3, 7, -2, 7, 7]] * 2 and classes.tolist() == [1, 1]
    _, classes = tiny_mlp([[1, 0], [1, 0], [0, 1]], [0, 0, 5]).forward(np.array([[5]]))
    assert classes.tolist() == [0]  # 5, 5, 5: the very first
