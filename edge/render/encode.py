"""Per-format encoding with fixed, measured defaults.

``encode(image, fmt, quality)`` takes an L, LA, RGB or RGBA image with no metadata (``steps.strip_metadata``)
and returns the encoded bytes. It adapts the mode to the encoder (WebP has no grey: L becomes RGB and LA
becomes RGBA; AVIF has no grey+alpha: LA becomes RGBA; JPEG takes only L and RGB, so alpha must have been
flattened) and never writes EXIF, XMP or an ICC profile. The output is 8-bit sRGB.

Defaults (``quality`` is ``RenderSpec.quality``, 1-100, for the lossy formats):

| format | options                                                                                      |
|--------|----------------------------------------------------------------------------------------------|
| JPEG   | ``quality``, 4:2:0 chroma, ``optimize=True`` (optimal Huffman tables), ``progressive=True``  |
| WebP   | ``quality``, ``method=4`` (libwebp's default speed/size balance), lossy, lossless alpha      |
| AVIF   | ``quality``, 4:2:0 (4:0:0 for grey), 8-bit, ``speed=6``, full range, libavif's default codec |
| PNG    | ``compress_level=6``, ``optimize=False``; ``quality`` must be ``None``                       |

Why these (measured with Pillow 13.0.0 on 2 cores, q=80 JPEG/WebP, q=50 AVIF, the corpus photos
``photo-bythewater`` and ``photo-saw`` at 300 and 1280 px wide):

- JPEG progressive takes 1.0-1.2 ms instead of 0.4-0.5 ms at 300 px and 13-25 ms instead of 6-10 ms at 1280 px,
  for 0.4-0.9 % and 2.4-3.2 % fewer bytes. A variant is encoded once and served many times, so the bytes win.
- AVIF ``speed`` (``AVIF_SPEED``): at 1280 px speed 5 took 1.8-2.2 s for 3-5 % fewer bytes than speed 6
  (0.42-0.47 s), and speed 7 saved 30-45 % of the time for 6-23 % more bytes; at 300 px speed 6 took
  41-61 ms. Speed 6 is the knee.
- WebP ``method=4`` took 5-7 ms at 300 px and 81-102 ms at 1280 px.
"""

import io
from typing import Any, Final

from PIL import Image

from edge.options import OutputFormat

#: libavif/libaom speed (0 slowest/smallest .. 10 fastest).
AVIF_SPEED: Final = 6
#: libwebp method (0 fastest .. 6 smallest).
WEBP_METHOD: Final = 4
#: zlib level of PNG output.
PNG_COMPRESS_LEVEL: Final = 6

_MODES: Final[dict[OutputFormat, dict[str, str]]] = {
    OutputFormat.JPEG: {"L": "L", "RGB": "RGB"},
    OutputFormat.PNG: {"L": "L", "LA": "LA", "RGB": "RGB", "RGBA": "RGBA"},
    OutputFormat.WEBP: {"L": "RGB", "LA": "RGBA", "RGB": "RGB", "RGBA": "RGBA"},
    OutputFormat.AVIF: {"L": "L", "LA": "RGBA", "RGB": "RGB", "RGBA": "RGBA"},
}


def encoder_mode(mode: str, fmt: OutputFormat) -> str:
    """The mode an image of ``mode`` is saved in as ``fmt``; ``ValueError`` when ``fmt`` cannot take it."""
    try:
        return _MODES[fmt][mode]
    except KeyError:
        raise ValueError(f"cannot encode mode {mode} as {fmt.value}") from None


def save_options(fmt: OutputFormat, quality: int | None, mode: str) -> dict[str, Any]:
    """The keyword arguments of ``Image.save`` for ``fmt`` at ``quality`` for an image of ``mode``.

    Raises ``ValueError`` when ``quality`` is not 1-100 for a lossy format or not ``None`` for PNG.
    """
    if fmt is OutputFormat.PNG:
        if quality is not None:
            raise ValueError("PNG takes no quality")
        return {"format": "PNG", "compress_level": PNG_COMPRESS_LEVEL, "optimize": False}
    if quality is None or not 1 <= quality <= 100:
        raise ValueError(f"{fmt.value} needs a quality from 1 to 100, got {quality!r}")
    if fmt is OutputFormat.JPEG:
        return {
            "format": "JPEG",
            "quality": quality,
            "subsampling": "4:2:0",
            "optimize": True,
            "progressive": True,
        }
    if fmt is OutputFormat.WEBP:
        return {"format": "WEBP", "quality": quality, "method": WEBP_METHOD, "exif": b"", "xmp": b""}
    options: dict[str, Any] = {"format": "AVIF", "quality": quality, "speed": AVIF_SPEED, "exif": b"", "xmp": b""}
    if mode != "L":
        options["subsampling"] = "4:2:0"
    return options


def encode(image: Image.Image, fmt: OutputFormat, quality: int | None) -> bytes:
    """``image`` (L, LA, RGB or RGBA, no metadata) encoded as ``fmt`` with the module defaults.

    Raises ``ValueError`` for a mode ``fmt`` cannot take (alpha for JPEG) or a bad ``quality``, and whatever
    the codec raises (``OSError``); ``edge.render.render`` translates both.
    """
    mode = encoder_mode(image.mode, fmt)
    if mode != image.mode:
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, **save_options(fmt, quality, mode))
    return buffer.getvalue()
