"""The photos as JPEG files, for runs where a GPU preprocessing path decodes them.

nvJPEG and DALI's mixed decoder read JPEG only, and most scikit-image sample photos are PNG. So
in a run with a GPU path every photo is re-encoded once, here, and every path of that run (the PIL
reference included) decodes the same bytes: the comparison is between preprocessing paths, never
between file formats.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from accel.inputs.images import EncodedImage, decode

JPEG_QUALITY = 95  # Pillow's default chroma subsampling (4:2:0), as most photos in the wild have
JPEG_ENCODING = f"jpeg-q{JPEG_QUALITY} (each photo re-encoded once with PIL)"


def reencode_jpeg(image: EncodedImage, quality: int = JPEG_QUALITY) -> EncodedImage:
    """`image` decoded with the suite's RGB rule (`accel.inputs.images.decode`) and saved as a baseline JPEG."""
    buffer = io.BytesIO()
    decode(image).save(buffer, format="JPEG", quality=quality)
    return EncodedImage(f"{image.name} (jpeg q{quality})", buffer.getvalue())


def as_jpeg(images: Sequence[EncodedImage]) -> list[EncodedImage]:
    """Every image re-encoded (JPEG files too, so all share one quality and one encoder)."""
    return [reencode_jpeg(image) for image in images]
