"""The DALI path takes the PIL reference's geometry (torchvision's resized size, its centre-crop
origin) instead of DALI's own rounding, which cost max 90 / mean 1.11 levels on the H200. The
geometry is checked here without DALI; the pipeline itself runs on DALI's CPU operators where DALI
is installed (`pip install nvidia-dali-cuda130`; it is in the gpu extra, not in dev)."""

import io
import importlib.util

import numpy as np
import pytest
from PIL import Image

from accel.inputs.dali import dali_geometry, photo_geometry
from accel.inputs.preprocess import center_crop_origin, resized_size


def test_the_longer_side_is_truncated_as_torchvision_does():
    assert resized_size(451, 300, 256) == (384, 256)  # 384.85: rounding would give 385
    assert resized_size(300, 451, 256) == (256, 384)
    assert resized_size(512, 512, 256) == (256, 256)


def test_half_way_crop_offsets_go_to_the_even_pixel():
    assert center_crop_origin(341, 256, 224) == (58, 16)  # 58.5: rounding half up would give 59
    assert center_crop_origin(256, 343, 224) == (16, 60)  # 59.5 -> 60
    assert center_crop_origin(224, 224, 224) == (0, 0)


@pytest.mark.parametrize("height", [224, 256, 300, 333])
def test_dali_anchors_land_on_the_reference_origin_for_every_width(height):
    """DALI places the crop at round(anchor * (W - crop)) in float32 (a probe of its CPU operator)."""
    for width in range(224, 1400):
        sizes, anchor_x, anchor_y = dali_geometry(width, height, 256, 224)
        new_w, new_h = resized_size(width, height, 256)
        left, top = center_crop_origin(new_w, new_h, 224)
        assert sizes.tolist() == [new_h, new_w]  # DALI's size argument is (H, W)
        assert 0.0 <= anchor_x <= 1.0 and 0.0 <= anchor_y <= 1.0
        assert int(np.rint(anchor_x * np.float32(new_w - 224))) == left, (width, height)
        assert int(np.rint(anchor_y * np.float32(new_h - 224))) == top, (width, height)


def test_the_size_comes_from_the_jpeg_header():
    buffer = io.BytesIO()
    Image.new("RGB", (451, 300)).save(buffer, format="JPEG")
    sizes, anchor_x, _ = photo_geometry(buffer.getvalue(), 256, 224)
    assert sizes.tolist() == [256, 384]
    assert anchor_x * (384 - 224) == pytest.approx(80)


def _dali_missing() -> bool:
    try:
        return importlib.util.find_spec("nvidia.dali") is None
    except ModuleNotFoundError:  # no `nvidia` package at all
        return True


@pytest.mark.skipif(_dali_missing(), reason="NVIDIA DALI is not installed (pip install nvidia-dali-cuda130)")
def test_dali_cpu_operators_match_pil_on_the_sample_photos():
    from accel.inputs.dali import DaliPreprocess
    from accel.inputs.images import decode, read_checked, sample_photo_paths
    from accel.inputs.jpeg import reencode_jpeg
    from accel.inputs.preprocess import preprocess_image
    from accel.quality.preprocessing import pixel_difference

    photos = [reencode_jpeg(read_checked(path)) for path in sample_photo_paths()]
    reference = np.stack([preprocess_image(decode(photo).convert("RGB")) for photo in photos])
    dali = DaliPreprocess(224, len(photos), device="cpu")
    difference = pixel_difference(reference, dali(dali.load(photos)).numpy())
    # measured max 1.0 / mean 0.145 (docs/results/preprocess/dali_cpu_probe.json); DALI's own geometry: max 90 / mean 1.05
    assert difference.max_abs <= 2 and difference.mean_abs <= 0.3, difference
