"""Pixel helpers shared by the render tests: encode a generated image, render it, read a pixel as a tuple."""

import io

from PIL import Image

from edge.options import RenderSpec
from edge.render import Limits, render


def png_bytes(image: Image.Image) -> bytes:
    """``image`` encoded as PNG, as an original in the bucket would be."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def rendered_image(image: Image.Image, spec: RenderSpec, limits: Limits) -> Image.Image:
    """``image`` rendered as ``spec`` through ``render()`` and decoded again; its size is the one ``render()``
    reported."""
    rendered = render(png_bytes(image), spec, limits)
    with Image.open(io.BytesIO(rendered.body)) as out:
        out.load()
        assert (rendered.width, rendered.height) == out.size
        return out.copy()


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
