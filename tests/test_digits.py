import numpy as np
import torch

from accel.zoo import digits
from accel.inputs import digits_data
from accel.quality.accuracy import accuracy


def test_split_is_fixed_and_disjoint():
    split = digits_data.digits_split()
    assert len(split.train_pixels) + len(split.test_pixels) == 1797
    assert len(split.test_labels) == 540 and set(split.test_labels) == set(range(10))
    assert split.train_pixels.max() <= 16


def test_models_train_deterministically_to_expected_accuracy():
    split = digits_data.digits_split()
    expected = {"digits_mlp": (0.95, 0.99), "digits_cnn": (0.97, 1.0)}
    for model, (low, high) in expected.items():
        net = digits.train(model)
        with torch.no_grad():
            logits = net(torch.from_numpy(digits_data.preprocess_digits(split.test_pixels, model))).numpy()
        top1 = accuracy(logits, split.test_labels).top1
        assert low <= top1 <= high, (model, top1)
        again = digits.train(model)
        assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), again.state_dict().values()))


def test_preprocess_shapes():
    pixels = np.full((3, 8, 8), 16, dtype=np.uint8)
    assert digits_data.preprocess_digits(pixels, "digits_mlp").shape == (3, 64)
    assert digits_data.preprocess_digits(pixels, "digits_cnn").shape == (3, 1, 8, 8)
    assert digits_data.preprocess_digits(pixels, "digits_mlp").max() == 1.0
