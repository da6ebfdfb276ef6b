import numpy as np
import pytest
from PIL import Image

from accel.errors import UsageError
from accel.inputs.images import (
    BadImageWarning,
    ImageDecodeError,
    find_images,
    image_source,
)
from accel.inputs.workloads import check_image_set


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


BAD_FILES = ("truncated.png", "garbage.jpg", "big.png", "huge.png")


def save_bad_files(folder, names=BAD_FILES):
    """A truncated PNG (its header decodes, its pixels do not), garbage, and two oversized photos."""
    save_photo(folder / "big.png", size=(64, 64))
    save_photo(folder / "huge.png", size=(64, 128))
    save_photo(folder / "truncated.png")
    full = (folder / "truncated.png").read_bytes()
    (folder / "truncated.png").write_bytes(full[: len(full) // 2])
    (folder / "garbage.jpg").write_bytes(b"\xff\xd8\xff garbage")
    for name in set(BAD_FILES) - set(names):
        (folder / name).unlink()


@pytest.fixture
def small_bomb_limit(monkeypatch):
    """64x48 photos pass; 64x64 is over the limit (Pillow warns); 64x128 is over twice the limit (Pillow raises)."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 4000)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("truncated.png", "cannot be decoded: .*truncated"),
        ("garbage.jpg", "cannot be decoded: not an image format Pillow knows"),
        ("big.png", "is too large: .*4096 pixels"),
        ("huge.png", "is too large: .*8192 pixels"),
    ],
)
def test_fail_names_each_kind_of_bad_file_at_startup(tmp_path, small_bomb_limit, bad, reason):
    for name in ("a.png", "b.png", "c.png"):
        save_photo(tmp_path / name)
    save_bad_files(tmp_path, [bad])
    with pytest.raises(ImageDecodeError, match=rf"^image '[^']*{bad}' {reason}.*\(pass --on-bad-image skip to leave it out\)$"):
        check_image_set(tmp_path, "fail")


def test_skip_leaves_out_every_bad_file_with_one_warning_each(tmp_path, small_bomb_limit):
    for name in ("a.png", "b.png", "c.png"):
        save_photo(tmp_path / name)
    save_bad_files(tmp_path)
    with pytest.warns(BadImageWarning) as caught:
        images = check_image_set(tmp_path, "skip")
    assert sorted(image.name.rsplit("/", 1)[-1] for image in images) == ["a.png", "b.png", "c.png"]
    messages = [str(warning.message) for warning in caught]
    assert len(messages) == len(BAD_FILES) and all("\n" not in message for message in messages)
    for name in BAD_FILES:
        assert sum(f"{name}'" in message for message in messages) == 1, name


def test_set_too_small_for_the_evaluation_split(tmp_path):
    save_photo(tmp_path / "a.png")
    save_photo(tmp_path / "b.png")
    with pytest.raises(UsageError, match=r"need at least 3 decodable images .*found 2 in '.*'$"):
        check_image_set(tmp_path, "fail")
    (tmp_path / "broken.png").write_bytes(b"nope")
    with pytest.raises(UsageError, match=r"found 2 in .* \(1 bad one\(s\) skipped\)"), pytest.warns(BadImageWarning):
        check_image_set(tmp_path, "skip")


def test_bad_option(tmp_path):
    save_photo(tmp_path / "a.png")
    with pytest.raises(UsageError, match="--on-bad-image"):
        image_source(tmp_path, "ignore")
