"""Every mode Pillow decodes -> RGB, each against a reference computed here with numpy."""

import io

import numpy as np
import pytest
from PIL import Image

from accel.inputs.color import to_rgb
from accel.inputs.images import EncodedImage, decode

RNG = np.random.default_rng(0)
SHAPE = (6, 7)
GRAY8 = RNG.integers(0, 256, SHAPE, dtype=np.uint8)
RGB8 = RNG.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)
ALPHA = np.tile(np.array([0, 1, 127, 128, 254, 255, 64], np.uint8), (SHAPE[0], 1))
# Full range, both ends and values whose rounding differs from truncation (1000 / 257 = 3.89).
GRAY16 = np.concatenate([[0, 1, 128, 129, 257, 1000, 30000, 65534, 65535], RNG.integers(0, 65536, 33)]).reshape(SHAPE)
WIDE = GRAY16.copy()
WIDE[0, :2] = (-5, 70000)  # outside 16 bits: clipped, the rest scaled
PALETTE = RNG.integers(0, 256, (4, 3), dtype=np.uint8)
INDICES = RNG.integers(0, 4, SHAPE, dtype=np.uint8)


def gray(values: np.ndarray) -> np.ndarray:
    return np.repeat(values.astype(np.uint8)[..., None], 3, axis=-1)


def on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Float maths, independent of the integer formula in accel.inputs.color (no ties arise)."""
    rgb, alpha = rgb.astype(np.float64), alpha.astype(np.float64)[..., None]
    return np.round((rgb * alpha + 255.0 * (255.0 - alpha)) / 255.0).astype(np.uint8)


def png(image: Image.Image, **options) -> Image.Image:
    """Through a real PNG file and `decode`, the path benchmark images take."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return decode(EncodedImage("test.png", buffer.getvalue()))


def palette_image() -> Image.Image:
    image = Image.fromarray(INDICES).convert("L").convert("P")
    image.putpalette(PALETTE.flatten().tolist())
    image.putdata(INDICES.flatten().tolist())
    return image


def cases():
    sixteen = np.round(GRAY16 / 257)
    transparent_index = np.where(INDICES == 1, 0, 255)
    index_alpha = np.array([255, 128, 0, 255], np.uint8)[INDICES]
    cmyk = RNG.integers(0, 256, (*SHAPE, 4), dtype=np.uint8).astype(np.float64)
    cmyk_rgb = np.round((255 - cmyk[..., :3]) * (255 - cmyk[..., 3:]) / 255)
    floats = np.array([-3.0, 0.0, 0.4, 0.6, 1.0, 127.2, 127.8, 254.6, 255.0, 300.0, 42.0, 17.49, 3.51, 99.9])
    floats = np.resize(floats, SHAPE).astype(np.float32)
    return {
        "L": (lambda: png(Image.fromarray(GRAY8)), gray(GRAY8)),
        "1": (lambda: png(Image.fromarray(GRAY8 > 127)), gray(np.where(GRAY8 > 127, 255, 0))),
        "RGB": (lambda: png(Image.fromarray(RGB8)), RGB8),
        "I;16": (lambda: png(Image.fromarray(GRAY16.astype(np.uint16))), gray(sixteen)),
        "I;16B": (lambda: to_rgb(Image.frombytes("I;16B", SHAPE[::-1], GRAY16.astype(">u2").tobytes())), gray(sixteen)),
        "I": (lambda: to_rgb(Image.fromarray(GRAY16.astype(np.int32))), gray(sixteen)),
        "I out of range": (lambda: to_rgb(Image.fromarray(WIDE.astype(np.int32))), gray(np.round(np.clip(WIDE, 0, 65535) / 257))),
        "F": (lambda: to_rgb(Image.fromarray(floats)), gray(np.clip(np.round(floats), 0, 255))),
        "P": (lambda: png(palette_image()), PALETTE[INDICES]),
        "P + transparent index": (lambda: png(palette_image(), transparency=1), on_white(PALETTE[INDICES], transparent_index)),
        "P + palette alpha": (lambda: png(palette_image(), transparency=bytes([255, 128, 0, 255])), on_white(PALETTE[INDICES], index_alpha)),
        "CMYK": (lambda: to_rgb(Image.fromarray(cmyk.astype(np.uint8), "CMYK")), cmyk_rgb.astype(np.uint8)),
        "LA": (lambda: png(Image.fromarray(np.stack([GRAY8, ALPHA], axis=-1), "LA")), on_white(gray(GRAY8), ALPHA)),
        "RGBA": (lambda: png(Image.fromarray(np.dstack([RGB8, ALPHA]))), on_white(RGB8, ALPHA)),
        "RGB + transparent colour": (
            lambda: png(Image.fromarray(RGB8), transparency=tuple(int(v) for v in RGB8[0, 0])),
            on_white(RGB8, np.where((RGB8 == RGB8[0, 0]).all(axis=-1), 0, 255)),
        ),
    }


@pytest.mark.parametrize("case", list(cases()))
def test_mode_converts_to_reference_rgb(case):
    make, expected = cases()[case]
    image = make()
    assert image.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(image), expected)


def test_sixteen_bit_grayscale_photo_keeps_its_tones():
    """The reported bug: Pillow clipped a 16-bit photo, turning 89% of it white."""
    photo = (np.linspace(0, 1, 256)[None, :] ** 2 * 65535).repeat(32, axis=0).astype(np.uint16)
    decoded = np.asarray(png(Image.fromarray(photo)))[..., 0]
    assert (decoded == 255).mean() < 0.01
    np.testing.assert_allclose(decoded, photo / 257, atol=0.5)
