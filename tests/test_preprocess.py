import numpy as np
import pytest
from PIL import Image

from accel.inputs.images import decode, image_source
from accel.inputs.preprocess import preprocess_batch, preprocess_image, softmax, top_k


@pytest.fixture(scope="module")
def photos():
    return [decode(image) for image in image_source(None)]


@pytest.mark.parametrize("crop", [224, 160])
def test_matches_torchvision_reference_transform(photos, crop):
    from torchvision import transforms

    reference = transforms.Compose(
        [
            transforms.Resize(round(crop * 256 / 224)),
            transforms.CenterCrop(crop),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ]
    )
    for photo in photos:
        ours = preprocess_image(photo, crop)
        theirs = reference(photo).numpy()
        assert ours.shape == theirs.shape == (3, crop, crop)
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_odd_shapes_and_grayscale():
    tall = Image.fromarray(np.random.default_rng(0).integers(0, 255, (500, 231, 3), dtype=np.uint8))
    assert preprocess_image(tall).shape == (3, 224, 224)
    gray = Image.fromarray(np.zeros((300, 300), dtype=np.uint8)).convert("RGB")
    assert preprocess_batch([gray, tall]).shape == (2, 3, 224, 224)


def test_softmax_and_top_k():
    logits = np.array([[1.0, 3.0, 2.0, 0.0, -1.0, 5.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(softmax(logits).sum(axis=1), 1.0, rtol=1e-6)
    probabilities, indices = top_k(logits, 5)
    assert indices[0].tolist() == [5, 1, 2, 0, 3]
    assert np.all(np.diff(probabilities[0]) <= 0)
    big = np.array([[1000.0, 1001.0]])  # no overflow
    assert np.isfinite(softmax(big)).all()


def test_top_k_agrees_with_full_sort():
    logits = np.random.default_rng(1).normal(size=(16, 1000))
    _, indices = top_k(logits, 5)
    np.testing.assert_array_equal(indices, np.argsort(-logits, axis=1)[:, :5])
