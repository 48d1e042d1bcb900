"""Pixel helpers shared by the render tests: encode a generated image, read a pixel as a tuple."""

import io

from PIL import Image


def png_bytes(image: Image.Image) -> bytes:
    """``image`` encoded as PNG, as an original in the bucket would be."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """A pixel as a tuple of band values (a grey pixel is a 1-tuple)."""
    value = image.getpixel(xy)
    if isinstance(value, tuple):
        return tuple(int(v) for v in value)
    assert isinstance(value, int | float)
    return (int(value),)


def level(image: Image.Image, xy: tuple[int, int]) -> int:
    """The first band of a pixel."""
    return pixel(image, xy)[0]
