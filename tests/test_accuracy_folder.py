import numpy as np
import pytest
from PIL import Image

from accel.quality.accuracy import image_folder
from accel.errors import UsageError


def test_imagenet_folder_index_is_sorted_wnids_and_limit_interleaves(tmp_path):
    wnids = [f"n{index:08d}" for index in range(1000)]
    for wnid in wnids:
        (tmp_path / wnid).mkdir()
    pixel = Image.fromarray(np.zeros((4, 4, 3), np.uint8))
    for wnid in (wnids[0], wnids[7], wnids[999]):
        for k in range(2):
            pixel.save(tmp_path / wnid / f"img{k}.JPEG")
    paths, labels = image_folder(tmp_path)
    assert labels.tolist() == [0, 7, 999, 0, 7, 999]
    assert paths[2].parent.name == wnids[999]
    _, limited = image_folder(tmp_path, limit=3)
    assert limited.tolist() == [0, 7, 999]


def test_wrong_class_count_and_missing(tmp_path):
    (tmp_path / "cats").mkdir()
    with pytest.raises(UsageError, match="expected 1000 class folders"):
        image_folder(tmp_path)
    with pytest.raises(UsageError, match="does not exist"):
        image_folder(tmp_path / "nope")
