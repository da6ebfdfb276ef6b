"""The --val-dir reader: an ImageNet-1k validation folder with real labels.

Class folders are either WordNet ids (`n01440764`: class index = sorted order, the torchvision /
ImageNet index) or class numbers (`0` … `999`, or zero-padded): a number is its own index,
because sorted as text `10` would come third. Any other naming has no known index and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from accel.errors import UsageError
from accel.inputs.images import (
    IMAGE_SUFFIXES,
    ImageDecodeError,
    read_checked,
    refuse_or_warn,
    validate_on_bad_image,
)
from accel.matrix import IMAGENET_MODELS

IMAGENET_CLASSES = 1000
DEFAULT_VAL_LIMIT = 500
WORDNET_ID = re.compile(r"n\d{8}")
CLASS_NUMBER = re.compile(r"\d+")
MAX_NAMED = 5  # offending folder names quoted in an error


def _named(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names[:MAX_NAMED]) + (", ..." if len(names) > MAX_NAMED else "")


def class_indices(names: Sequence[str], root: Path) -> dict[str, int]:
    """Folder name -> ImageNet class index, or a UsageError saying why the naming has none."""
    if all(CLASS_NUMBER.fullmatch(name) for name in names):
        by_number: dict[int, list[str]] = {}
        for name in names:
            by_number.setdefault(int(name), []).append(name)
        problems = []
        out_of_range = sorted((name for name in names if int(name) >= IMAGENET_CLASSES), key=int)
        if out_of_range:
            problems.append(f"out of range: {_named(out_of_range)}")
        clashes = ["/".join(sorted(group)) for _, group in sorted(by_number.items()) if len(group) > 1]
        if clashes:
            problems.append(f"same number twice: {_named(clashes)}")
        if problems:
            raise UsageError(
                f"--val-dir: numbered class folders in {str(root)!r} must be 0 … {IMAGENET_CLASSES - 1}, "
                f"one per class; {'; '.join(problems)}"
            )
        return {name: int(name) for name in names}
    if all(WORDNET_ID.fullmatch(name) for name in names):
        return {name: index for index, name in enumerate(sorted(names))}
    wordnet = sorted(name for name in names if WORDNET_ID.fullmatch(name))
    numbers = sorted((name for name in names if CLASS_NUMBER.fullmatch(name)), key=int)
    others = sorted(set(names) - set(wordnet) - set(numbers))
    reason = f"no ImageNet index is known for {_named(others)}" if others else f"they mix WordNet ids ({_named(wordnet)}) and class numbers ({_named(numbers)})"
    raise UsageError(
        f"--val-dir: class folders in {str(root)!r} must all be WordNet ids (n01440764, index = sorted order) or all "
        f"class numbers (0 … {IMAGENET_CLASSES - 1}); {reason}"
    )


def image_folder(
    root: str | Path, limit: int | None = None, on_bad_image: str = "fail"
) -> tuple[list[Path], np.ndarray]:
    """An ImageFolder tree of ImageNet-1k with class indices as in `class_indices`. Takes the first
    `limit` good images in a class-balanced, deterministic interleaving, each decoded once now, so
    a bad one fails (or is skipped, one warning each) before any row runs."""
    validate_on_bad_image(on_bad_image)
    if limit is not None and limit < 1:
        raise UsageError(f"`--val-limit` must be >= 1; got {limit}")
    root = Path(root).expanduser()
    if not root.is_dir():
        raise UsageError(f"--val-dir: folder {str(root)!r} does not exist")
    classes = [p.name for p in root.iterdir() if p.is_dir()]
    if len(classes) != IMAGENET_CLASSES:
        raise UsageError(
            f"--val-dir: expected {IMAGENET_CLASSES} class folders (ImageNet-1k WordNet ids such as n01440764, or 0 … 999), found {len(classes)} in {str(root)!r}"
        )
    indices = class_indices(classes, root)
    per_class = [
        (indices[name], sorted(p for p in (root / name).rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES))
        for name in sorted(classes, key=indices.__getitem__)
    ]
    interleaved = [  # round-robin so a limit still covers many classes
        (files[position], label)
        for position in range(max(len(files) for _, files in per_class))
        for label, files in per_class
        if position < len(files)
    ]
    paths, labels = [], []
    for path, label in interleaved:
        if limit is not None and len(paths) == limit:
            break
        try:
            read_checked(path)
        except ImageDecodeError as exc:
            refuse_or_warn(exc, on_bad_image)
            continue
        paths.append(path)
        labels.append(label)
    if not paths:
        raise UsageError(f"--val-dir: no decodable images under {str(root)!r}")
    return paths, np.asarray(labels, dtype=np.int64)


def ineffective_validation_options(val_dir: str | None, val_limit: int, weights: str, models: Sequence[str]) -> list[str]:
    """Warning texts for --val-dir / --val-limit given where they change nothing (they were ignored silently)."""
    warnings = []
    if val_dir and weights != "pretrained":
        warnings.append(
            f"--val-dir is ignored with --weights {weights}: top-1/top-5 against its labels needs --weights pretrained "
            "(random weights know no ImageNet classes)"
        )
    elif val_dir and not set(models) & set(IMAGENET_MODELS):
        warnings.append(f"--val-dir is ignored: no selected model ({', '.join(models)}) classifies ImageNet images")
    if not val_dir and val_limit != DEFAULT_VAL_LIMIT:
        warnings.append(f"--val-limit {val_limit} is ignored without --val-dir")
    return warnings
