import numpy as np

from accel.zoo import digits
from accel.inputs import digits_data
from accel.fpga.int8_mlp import export_memh, from_float, load_memh, quantize_pixels


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
