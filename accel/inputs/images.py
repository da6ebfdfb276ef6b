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
from accel.inputs.color import to_rgb

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
ON_BAD_IMAGE = ("fail", "skip")

# Photographs (not synthetic patterns) that ship inside the scikit-image wheel; no download.
SAMPLE_PHOTOS = (
    "astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png",
    "coffee.png", "coins.png", "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png",
    "moon.png", "motorcycle_left.png", "motorcycle_right.png", "page.png", "retina.jpg", "rocket.jpg",
)  # fmt: skip


class ImageDecodeError(UsageError):
    """An image file could not be read or decoded, or is too large; names the file."""


class BadImageWarning(UserWarning):
    """A bad image was left out (--on-bad-image skip)."""


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
    """Decode to an RGB PIL image (`accel.inputs.color.to_rgb`: 16-bit scaled, transparency on white)."""
    try:
        with Image.open(io.BytesIO(image.data)) as opened:
            return to_rgb(opened)
    except UnidentifiedImageError as exc:
        raise ImageDecodeError(f"image {image.name!r} cannot be decoded: not an image format Pillow knows") from exc
    except Image.DecompressionBombError as exc:
        raise ImageDecodeError(f"image {image.name!r} is too large: {exc}") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageDecodeError(f"image {image.name!r} cannot be decoded: {exc}") from exc


def read_checked(path: Path) -> EncodedImage:
    """Read and fully decode `path` once; an image over Pillow's decompression-bomb limit
    (PIL.Image.MAX_IMAGE_PIXELS), which Pillow would only warn about below twice the limit, is refused."""
    try:
        image = EncodedImage(str(path), path.read_bytes())
    except OSError as exc:
        raise ImageDecodeError(f"image {str(path)!r} cannot be read: {exc}") from exc
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            decode(image)
        except Image.DecompressionBombWarning as exc:
            raise ImageDecodeError(f"image {image.name!r} is too large: {exc}") from exc
    return image


def validate_on_bad_image(value: str) -> str:
    if value not in ON_BAD_IMAGE:
        raise invalid_choice("--on-bad-image", value, ON_BAD_IMAGE)
    return value


def refuse_or_warn(error: ImageDecodeError, on_bad_image: str) -> None:
    """`fail`: raise naming the file; `skip`: one warning line for this file."""
    if on_bad_image == "fail":
        raise ImageDecodeError(f"{error} (pass --on-bad-image skip to leave it out)") from error
    warnings.warn(BadImageWarning(f"--on-bad-image skip: left out {error}"), stacklevel=3)


def load_images(paths: Sequence[Path], on_bad_image: str = "fail") -> list[EncodedImage]:
    """Read and decode every file once; a bad one fails or is skipped (one warning each) as asked."""
    validate_on_bad_image(on_bad_image)
    images = []
    for path in paths:
        try:
            images.append(read_checked(path))
        except ImageDecodeError as exc:
            refuse_or_warn(exc, on_bad_image)
    return images


def image_paths(directory: str | Path | None) -> list[Path]:
    """The files of the image set: `directory` when given, else the bundled sample photos."""
    return find_images(directory) if directory else sample_photo_paths()


def image_source(directory: str | Path | None, on_bad_image: str = "fail") -> list[EncodedImage]:
    """The benchmark's image set, every file checked (see `accel.inputs.workloads.check_image_set`)."""
    return load_images(image_paths(directory), on_bad_image)
