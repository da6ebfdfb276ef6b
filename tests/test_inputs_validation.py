import numpy as np
import pytest
from PIL import Image

from accel.errors import UsageError
from accel.inputs.images import BadImageWarning, ImageDecodeError
from accel.inputs.validation import (
    DEFAULT_VAL_LIMIT,
    image_folder,
    ineffective_validation_options,
)

PIXEL = Image.fromarray(np.zeros((4, 4, 3), np.uint8))


def make_tree(root, names, with_images=(), per_class=1):
    for name in names:
        (root / name).mkdir()
    for name in with_images:
        for k in range(per_class):
            PIXEL.save(root / name / f"img{k}.JPEG", "JPEG")


@pytest.mark.parametrize("width", [0, 3])
def test_numbered_folders_map_to_their_number_not_their_text_order(tmp_path, width):
    """Sorted as text, folder `10` came third (label 2) and `2` got label 112."""
    names = [str(index).zfill(width) for index in range(1000)]
    make_tree(tmp_path, names, with_images=[names[i] for i in (2, 10, 100, 999)])
    paths, labels = image_folder(tmp_path)
    assert labels.tolist() == [2, 10, 100, 999]
    assert [int(p.parent.name) for p in paths] == [2, 10, 100, 999]


def test_wordnet_folders_keep_sorted_order_and_limit_interleaves(tmp_path):
    wnids = [f"n{index:08d}" for index in range(1000)]
    make_tree(tmp_path, reversed(wnids), with_images=[wnids[0], wnids[7], wnids[999]], per_class=2)
    paths, labels = image_folder(tmp_path)
    assert labels.tolist() == [0, 7, 999, 0, 7, 999]
    assert paths[2].parent.name == wnids[999]
    assert image_folder(tmp_path, limit=3)[1].tolist() == [0, 7, 999]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ([str(i) for i in range(1, 1000)] + ["1000"], r"must be 0 … 999, one per class; out of range: '1000'$"),
        ([str(i) for i in range(1, 1000)] + ["007"], r"one per class; same number twice: '007/7'$"),
        ([f"n{i:08d}" for i in range(999)] + ["cats"], r"all be WordNet ids .* or all class numbers .*no ImageNet index is known for 'cats'$"),
        ([f"n{i:08d}" for i in range(500)] + [str(i) for i in range(500)], r"they mix WordNet ids \('n00000000', .*\) and class numbers \('0', '1', '2', '3', '4', \.\.\.\)$"),
    ],
)
def test_folder_names_without_a_known_index_are_refused(tmp_path, names, message):
    make_tree(tmp_path, names, with_images=names[:1])
    with pytest.raises(UsageError, match=message):
        image_folder(tmp_path)


def test_bad_images_fail_naming_the_file_or_are_skipped_keeping_the_limit(tmp_path):
    names = [str(i) for i in range(1000)]
    make_tree(tmp_path, names, with_images=["0", "1", "2"])
    (tmp_path / "1" / "img0.JPEG").write_bytes(b"\xff\xd8\xff not a jpeg")
    with pytest.raises(ImageDecodeError, match=r"1/img0\.JPEG' cannot be decoded.*--on-bad-image skip"):
        image_folder(tmp_path, limit=2)
    with pytest.warns(BadImageWarning, match=r"1/img0\.JPEG") as caught:
        _, labels = image_folder(tmp_path, limit=2, on_bad_image="skip")
    assert labels.tolist() == [0, 2] and len(caught) == 1


def test_wrong_class_count_missing_folder_and_bad_limit(tmp_path):
    (tmp_path / "cats").mkdir()
    with pytest.raises(UsageError, match="expected 1000 class folders"):
        image_folder(tmp_path)
    with pytest.raises(UsageError, match="does not exist"):
        image_folder(tmp_path / "nope")
    with pytest.raises(UsageError, match="`--val-limit` must be >= 1; got 0"):
        image_folder(tmp_path, limit=0)


@pytest.mark.parametrize(
    ("val_dir", "val_limit", "weights", "models", "expected"),
    [
        ("/val", DEFAULT_VAL_LIMIT, "pretrained", ["resnet18", "digits_mlp"], []),
        (None, DEFAULT_VAL_LIMIT, "random", ["resnet18"], []),
        ("/val", DEFAULT_VAL_LIMIT, "random", ["resnet18"], ["--val-dir is ignored with --weights random: top-1/top-5"]),
        ("/val", DEFAULT_VAL_LIMIT, "pretrained", ["digits_cnn"], ["--val-dir is ignored: no selected model (digits_cnn)"]),
        (None, 50, "pretrained", ["resnet18"], ["--val-limit 50 is ignored without --val-dir"]),
    ],
)
def test_options_that_change_nothing_are_named(val_dir, val_limit, weights, models, expected):
    warnings = ineffective_validation_options(val_dir, val_limit, weights, models)
    assert len(warnings) == len(expected)
    assert all(text.startswith(start) for text, start in zip(warnings, expected))
