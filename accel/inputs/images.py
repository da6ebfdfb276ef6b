"""Real photos for benchmarks: scikit-image's shipped samples or a user folder.

Images are kept encoded in memory so that end-to-end rows time a real decode, not a disk read.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from accel.errors import UsageError, invalid_choice

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
ON_BAD_IMAGE = ("fail", "skip")

# Photographs (not synthetic patterns) that ship inside the scikit-image wheel; no download.
SAMPLE_PHOTOS = (
    "astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png",
    "coffee.png", "coins.png", "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png",
    "moon.png", "motorcycle_left.png", "motorcycle_right.png", "page.png", "retina.jpg", "rocket.jpg",
)  # fmt: skip


class ImageDecodeError(UsageError):
    """An image file could not be decoded; names the file."""


@dataclass(frozen=True)
class EncodedImage:
    """One image file's bytes and where they came from."""

    name: str
    data: bytes


def sample_photo_paths() -> list[Path]:
    """Paths of the sample photos bundled with scikit-image."""
    import skimage

    data_dir = Path(skimage.__file__).parent / "data"
    paths = [data_dir / name for name in SAMPLE_PHOTOS]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"scikit-image at {data_dir} lacks sample photos {missing}; pass --images DIR")
    return paths


def find_images(directory: str | Path) -> list[Path]:
    """Every jpg/png/webp under `directory`, recursively, sorted for reproducibility."""
    root = Path(directory).expanduser()
    if not root.exists():
        raise UsageError(f"--images: folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise UsageError(f"--images: {str(root)!r} is not a folder")
    paths = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise UsageError(f"--images: no {'/'.join(s[1:] for s in IMAGE_SUFFIXES)} files under {str(root)!r}")
    return paths


def decode(image: EncodedImage) -> Image.Image:
    """Decode to an RGB PIL image; grayscale and RGBA sources are converted."""
    try:
        with Image.open(io.BytesIO(image.data)) as opened:
            return opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageDecodeError(f"cannot decode image {image.name!r}: {exc}") from exc


def validate_on_bad_image(value: str) -> str:
    if value not in ON_BAD_IMAGE:
        raise invalid_choice("--on-bad-image", value, ON_BAD_IMAGE)
    return value


def load_images(paths: Sequence[Path], on_bad_image: str = "fail") -> list[EncodedImage]:
    """Read and test-decode every file; a bad one fails or is skipped (with a warning) as asked."""
    validate_on_bad_image(on_bad_image)
    images, skipped = [], []
    for path in paths:
        image = EncodedImage(str(path), path.read_bytes())
        try:
            decode(image)
        except ImageDecodeError as exc:
            if on_bad_image == "fail":
                raise ImageDecodeError(f"{exc} (pass --on-bad-image skip to leave it out)") from exc
            skipped.append(str(path))
            continue
        images.append(image)
    if skipped:
        warnings.warn(f"skipped {len(skipped)} undecodable image(s): {', '.join(skipped)}", stacklevel=2)
    if not images:
        raise UsageError("no decodable images left after skipping bad ones")
    return images


def image_source(directory: str | Path | None, on_bad_image: str = "fail") -> list[EncodedImage]:
    """The benchmark's image set: `directory` when given, else the bundled sample photos."""
    paths = find_images(directory) if directory else sample_photo_paths()
    return load_images(paths, on_bad_image)
