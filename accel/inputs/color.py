"""Any mode Pillow decodes -> 8-bit RGB, with the scaling and transparency Pillow's own
`convert("RGB")` gets wrong for photos.

Pillow clips 16-bit samples to 255 instead of scaling them (a 16-bit grayscale photo turns mostly
white), and drops alpha, exposing whatever colour an encoder left under transparent pixels
(often black, often garbage). Here 16-bit samples are scaled by 255/65535 with rounding, and
transparent images are composited over white, what a viewer shows them on.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# "I" holds 16-bit samples in the files we read (older Pillow opened 16-bit PNGs as "I").
SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
SIXTEEN_BIT_MAX = 65535
BACKGROUND = 255  # white
DECODER_VERSION = 2  # bump when decoding changes any pixel: keys of artifacts made from decoded images hold it


def has_transparency(image: Image.Image) -> bool:
    """An alpha band, or a transparent colour / palette alpha (PNG tRNS) in `info`."""
    return "A" in image.getbands() or "transparency" in image.info


def sixteen_bit_to_rgb(image: Image.Image) -> Image.Image:
    """Scale 0..65535 to 0..255, rounding to nearest: round(v / 257) = (v + 128) // 257."""
    samples = np.clip(np.asarray(image).astype(np.int64), 0, SIXTEEN_BIT_MAX)
    return Image.fromarray(((samples + 128) // 257).astype(np.uint8)).convert("RGB")


def float_to_rgb(image: Image.Image) -> Image.Image:
    """Mode "F" on Pillow's own scale (that of "L", as `convert("F")` makes it), rounded, not truncated."""
    samples = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0)
    return Image.fromarray(np.clip(np.rint(samples), 0, 255).astype(np.uint8)).convert("RGB")


def composite_on_white(image: Image.Image) -> Image.Image:
    """Alpha-composite over white: round((c * a + 255 * (255 - a)) / 255) per channel."""
    rgba = np.asarray(image.convert("RGBA"), dtype=np.uint32)
    alpha = rgba[..., 3:]
    rgb = (rgba[..., :3] * alpha + BACKGROUND * (255 - alpha) + 127) // 255
    return Image.fromarray(rgb.astype(np.uint8))


def to_rgb(image: Image.Image) -> Image.Image:
    """An 8-bit RGB image that looks like `image` does in a viewer on a white page."""
    if image.mode in SIXTEEN_BIT_MODES:
        return sixteen_bit_to_rgb(image)
    if image.mode == "F":
        return float_to_rgb(image)
    if has_transparency(image):
        return composite_on_white(image)
    return image.convert("RGB")
