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
| AVIF   | ``avif_quality(quality)``, 4:2:0 (4:0:0 for grey), 8-bit, ``speed=6``, full range, aom with  |
|        | ``tune=ssim``, ``enable-cdef=3``, ``deltaq-mode=6`` (``AVIF_AOM_OPTIONS``)                   |
| PNG    | ``compress_level=6``, ``optimize=False``; ``quality`` must be ``None``                       |

Why these (measured with Pillow 13.0.0 on 2 cores, q=80 JPEG/WebP, q=50 AVIF, the corpus photos
``photo-bythewater`` and ``photo-saw`` at 300 and 1280 px wide):

- JPEG progressive takes 1.0-1.2 ms instead of 0.4-0.5 ms at 300 px and 13-25 ms instead of 6-10 ms at 1280 px,
  for 0.4-0.9 % and 2.4-3.2 % fewer bytes. A variant is encoded once and served many times, so the bytes win.
- AVIF ``speed`` (``AVIF_SPEED``): at 1280 px speed 5 took 1.8-2.2 s for 3-5 % fewer bytes than speed 6
  (0.42-0.47 s), and speed 7 saved 30-45 % of the time for 6-23 % more bytes; at 300 px speed 6 took
  41-61 ms. Speed 6 is the knee.
- WebP ``method=4`` took 5-7 ms at 300 px and 81-102 ms at 1280 px.

AVIF tuning (``AVIF_AOM_OPTIONS``, ``avif_quality``): measured on the 8 corpus photos at 300 / 640 / 1280 px
through ``render()``, one thread, CPU time, with ``benchmarks/render_bench.py``'s DSSIM and its sharp 0.35.5 cells
(q50 4:2:0, aom speed 5 through libheif):

- libavif 1.4 tunes aom with ``tune=iq`` when given no tune (quantisation matrices, sharpness 7, variance
  boost). ``tune=ssim`` with adaptive CDEF (``enable-cdef=3``) and aom's variance boost (``deltaq-mode=6``,
  more bits for flat areas) is 1.7 / 2.4 / 3.4 % lower in DSSIM at equal bytes, and takes about 10 % less CPU
  time. Per photo it is better at equal bytes on 6 or 7 of the 8 photos at each width and at most 1.9 % worse
  on the others. Tried, none better than this: ``tune=ssim`` alone, or with quantisation matrices, chroma
  delta-q, sharpness 1-3 or ``deltaq-mode=3``; ``tune=psnr``; ``tune=ssimulacra2``; ``tune=iq`` with a weaker
  variance boost, none, less sharpness or other CDEF or quantisation-matrix settings.
- The tuning spends more bytes at the same quantiser, so ``avif_quality`` maps the spec's quality onto
  libavif's (``AVIF_QUALITY_KNOTS``: ``q - 10`` from 40 to 70, linear to 0 and to 100 at the ends) to keep the
  bytes of libavif's default tuning: from q20 to q85 0.97-1.06x its bytes at 0.93-1.005x its DSSIM, at q90-95
  1.06-1.09x its bytes at 0.93-0.97x its DSSIM; q100 is unchanged. Grey photos (4:0:0) at q50: 1.07-1.08x
  the bytes at 0.87-0.89x the DSSIM.
- At q50 (libavif's 40) against sharp: DSSIM x1e3 91.2 / 69.0 / 50.7 against 97.1 / 70.3 / 51.3, 1.036 / 1.030
  / 1.016x its bytes, 0.27 / 0.22 / 0.22x its CPU time. libavif's defaults at q50 gave 96.1 / 72.6 / 52.3 at
  0.995 / 0.997 / 1.021x its bytes. Speed 5 with this tuning: 0.82 / 0.75x sharp's time at 640 / 1280 px;
  speed 7: 10-12 % more DSSIM. Speed 6 stays the knee.
"""

import io
import itertools
from typing import Any, Final

from PIL import Image

from edge.options import OutputFormat

#: libavif/libaom speed (0 slowest/smallest .. 10 fastest).
AVIF_SPEED: Final = 6
#: libavif's encoder; ``AVIF_AOM_OPTIONS`` are aom's.
AVIF_CODEC: Final = "aom"
#: aom's options (``aomenc`` names, set through libavif on the colour and the alpha planes).
AVIF_AOM_OPTIONS: Final = (("tune", "ssim"), ("enable-cdef", "3"), ("deltaq-mode", "6"))
#: ``(spec quality, libavif quality)`` points of ``avif_quality``, linear in between.
AVIF_QUALITY_KNOTS: Final = ((0, 0), (40, 30), (70, 60), (100, 100))
#: libwebp method (0 fastest .. 6 smallest).
WEBP_METHOD: Final = 4
#: zlib level of PNG output.
PNG_COMPRESS_LEVEL: Final = 6

#: The largest width and height each encoder writes, measured with Pillow 13.0 here (``test_encode``): libwebp
#: refuses more than 16383 px a side (``encoding error 5``); libjpeg(-turbo) more than 65500 (``JPEG_MAX_DIMENSION``);
#: aom encodes AVIF up to 65536 px a side, but libavif's decoder (browsers', and Pillow's) refuses more than 32768
#: by default (``AVIF_DEFAULT_IMAGE_DIMENSION_LIMIT``), so AVIF stops there; PNG stores 2^31 - 1.
MAX_SIDE: Final[dict[OutputFormat, int]] = {
    OutputFormat.AVIF: 32768,
    OutputFormat.WEBP: 16383,
    OutputFormat.JPEG: 65500,
    OutputFormat.PNG: 2**31 - 1,
}


def holds(fmt: OutputFormat, width: int, height: int) -> bool:
    """True when ``fmt`` can encode (and browsers decode) a ``width x height`` image (``MAX_SIDE``)."""
    return max(width, height) <= MAX_SIDE[fmt]


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


def avif_quality(quality: int) -> int:
    """libavif's quality for the spec's ``quality`` (1-100): linear between ``AVIF_QUALITY_KNOTS``, rounded half up.

    It keeps 1 at 1 and 100 at 100 and never decreases; ``save_options`` checks the range first.
    """
    for (low, low_avif), (high, high_avif) in itertools.pairwise(AVIF_QUALITY_KNOTS):
        if quality <= high:
            span = high - low
            return low_avif + ((quality - low) * (high_avif - low_avif) * 2 + span) // (2 * span)
    raise ValueError(f"AVIF quality above {AVIF_QUALITY_KNOTS[-1][0]}: {quality}")


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
    options: dict[str, Any] = {
        "format": "AVIF",
        "quality": avif_quality(quality),
        "speed": AVIF_SPEED,
        "codec": AVIF_CODEC,
        "advanced": AVIF_AOM_OPTIONS,
        "exif": b"",
        "xmp": b"",
    }
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
