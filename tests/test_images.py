import numpy as np
import pytest
from PIL import Image

from accel.errors import UsageError
from accel.inputs.images import ImageDecodeError, find_images, image_source


def save_photo(path, size=(64, 48)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (*size[::-1], 3), dtype=np.uint8)).save(path)


def test_default_is_scikit_image_photos():
    images = image_source(None)
    assert len(images) >= 10 and all(image.data for image in images)


def test_recursive_discovery_by_suffix(tmp_path):
    save_photo(tmp_path / "a.png")
    save_photo(tmp_path / "sub" / "deeper" / "b.JPG")
    save_photo(tmp_path / "c.webp")
    (tmp_path / "notes.txt").write_text("not an image")
    assert [p.name for p in find_images(tmp_path)] == ["a.png", "c.webp", "b.JPG"]


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        find_images(tmp_path / "nope")
    with pytest.raises(UsageError, match="no jpg/jpeg/png/webp files"):
        find_images(tmp_path)


def test_corrupt_image_fails_naming_file_or_is_skipped(tmp_path):
    save_photo(tmp_path / "good.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(ImageDecodeError, match=r"broken\.jpg.*--on-bad-image skip"):
        image_source(tmp_path, "fail")
    with pytest.warns(UserWarning, match="broken.jpg"):
        images = image_source(tmp_path, "skip")
    assert [image.name.rsplit("/", 1)[-1] for image in images] == ["good.png"]


def test_all_bad_and_bad_option(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"nope")
    with pytest.raises(UsageError, match="no decodable images"), pytest.warns(UserWarning):
        image_source(tmp_path, "skip")
    with pytest.raises(UsageError, match="--on-bad-image"):
        image_source(tmp_path, "ignore")
