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
| AVIF   | ``avif_quality(quality)`` (= ``quality``), 4:2:0 (4:0:0 for grey), 8-bit, ``speed=6``, full  |
|        | range, aom with ``tune=iq``, ``sharpness=0`` (``AVIF_AOM_OPTIONS``)                          |
| PNG    | ``compress_level=6``, ``optimize=False``; ``quality`` must be ``None``                       |

Why these (measured with Pillow 13.0.0 on 2 cores, q=80 JPEG/WebP, q=50 AVIF, the corpus photos
``photo-bythewater`` and ``photo-saw`` at 300 and 1280 px wide):

- JPEG progressive takes 1.0-1.2 ms instead of 0.4-0.5 ms at 300 px and 13-25 ms instead of 6-10 ms at 1280 px,
  for 0.4-0.9 % and 2.4-3.2 % fewer bytes. A variant is encoded once and served many times, so the bytes win.
- AVIF ``speed`` (``AVIF_SPEED``): at 1280 px speed 5 took 1.8-2.2 s for 3-5 % fewer bytes than speed 6
  (0.42-0.47 s), and speed 7 saved 30-45 % of the time for 6-23 % more bytes; at 300 px speed 6 took
  41-61 ms. Speed 6 is the knee.
- WebP ``method=4`` took 5-7 ms at 300 px and 81-102 ms at 1280 px.

AVIF tuning (``AVIF_AOM_OPTIONS``, ``avif_quality``), chosen by rate-distortion on SSIMULACRA2 and DSSIM (issue
19), measured 2026-12-06 with ``./dev bench --rd`` (``benchmarks/rd_bench.py``: quality sweeps 25-95 through
``render()``, one thread pinned, CPU time of each call; BD-rate from PCHIP of log bytes over the common score range,
per photo, then the mean; SSIMULACRA2 from the ``ssimulacra2`` 0.3.0 package) against sharp 0.35.5 at effort 3,
aom speed 6 like ours (load average 3-5: the machine was shared, CPU times are per process):

| aom options at speed 6, 640 px, 8 photos      | BD-rate DSSIM | BD-rate SSIMULACRA2 | CPU at equal SSIMULACRA2 |
|-----------------------------------------------|--------------:|--------------------:|-------------------------:|
| ``tune=ssim, enable-cdef=3, deltaq-mode=6``   |      -2.7 %   |             +6.8 %  |                    0.89x |
| ``tune=iq`` (libavif 1.4's default)           |      +1.4 %   |             +2.1 %  |                    1.02x |
| ``tune=iq, sharpness=0`` (shipping)           |      +0.3 %   |             +0.8 %  |                    1.03x |
| ``tune=ssimulacra2``                          |      +5.4 %   |             +1.4 %  |                    1.03x |
| sharp effort 4 (aom speed 5, its default)     |      -6.1 %   |             -5.8 %  |                    3.36x |

After the change, ``./dev bench --rd --photos 8`` (its default sweep, the new settings sampled at other libavif
qualities; load 6.4 falling to 3.1) printed +0.5 % / +0.8 % at 1.05x for the shipping settings, and -2.4 % / +6.9 %
at 0.89x for 0.2.0's. At 1280 px (4 photos, qualities 30-90) ``tune=iq, sharpness=0`` gives -0.2 % / +1.4 % at 1.08x
sharp's CPU (``tune=ssim``...: -2.3 % / +6.2 % at 0.93x; ``tune=iq``: +1.7 % / +3.8 %); with both encoders given the
same pixels (``--encoder-only``, imgedge's 640 px render as the source and the reference, 8 photos) +0.2 % / +0.3 %
at 1.07x (``tune=ssim``...: -2.3 % / +8.2 % at 0.90x).

- No speed-6 setting reached both BD-rates <= 0 at <= 1.0x sharp's CPU. ``tune=ssim``... (0.2.0) is the
  cheapest of these and the best on DSSIM, the SSIM-type metric it was tuned on, and needs 6.8 % more bytes than
  sharp at equal SSIMULACRA2. ``tune=iq`` with aom's default sharpness 7 lowered to 0 needs the fewest bytes at
  equal SSIMULACRA2 of the speed-6 settings, for 3-8 % more CPU than sharp (16 % more than ``tune=ssim``...); it
  is 5.2 % smaller than ``tune=ssim``... at equal SSIMULACRA2 and 3.3 % larger at equal DSSIM.
- Per photo (SSIMULACRA2) ``tune=iq, sharpness=0`` is within -2.8..+1.9 % of sharp on 7 of 8 photos; on
  ``photo-saw`` it is +9.2 %, and +0.8 % with the encoders given the same pixels: the gap there is in the resize,
  not in the encoder (``benchmarks/RESULTS.md``, "AVIF rate-distortion").
- Tried and not better at speed 6: sharpness 1 or 3 (+3.4 / +2.9 % SSIMULACRA2 on 4 photos, against +1.6 % for 0);
  ``deltaq-mode`` 0 or 3 (+4.0 / +5.5 %); ``enable-cdef=3``, ``deltaq-mode=6`` and ``enable-chroma-deltaq`` with
  ``tune=iq`` give output byte-identical to ``tune=iq`` alone; ``tune=ssimulacra2`` with sharpness 0
  or 3. Speed 5 with ``tune=iq``: -2.1 % SSIMULACRA2 BD-rate for 3.5x sharp effort 3's CPU.
- ``avif_quality`` is the identity: with this tuning libavif's quality q gives, on the mean of the 8 photos, the
  SSIMULACRA2 that 0.2.0's tuning gave at URL quality q (needed libavif quality 26 / 34 / 44 / 55 / 64 / 74 / 84 / 93
  for URL quality 25 / 35 / ... / 95), so a URL quality looks as it did, for fewer bytes.
"""

import io
import itertools
import os
from typing import Any, Final

from PIL import Image

from edge.options import OutputFormat

#: libavif/libaom speed (0 slowest/smallest .. 10 fastest).
AVIF_SPEED: Final = 6
#: libavif's encoder; ``AVIF_AOM_OPTIONS`` are aom's.
AVIF_CODEC: Final = "aom"
#: aom's options (``aomenc`` names, set through libavif on the colour and the alpha planes).
AVIF_AOM_OPTIONS: Final = (("tune", "iq"), ("sharpness", "0"))
#: ``(spec quality, libavif quality)`` points of ``avif_quality``, linear in between.
AVIF_QUALITY_KNOTS: Final = ((0, 0), (100, 100))
#: libavif's lossless quality, and the aom options that remain valid there (``tune`` is refused in lossless mode).
AVIF_LOSSLESS: Final = 100
AVIF_LOSSLESS_AOM_OPTIONS: Final = tuple(option for option in AVIF_AOM_OPTIONS if option[0] != "tune")
#: The fewest encoder threads AVIF gets. libavif turns on aom's row-based multithreading from 2 threads, and
#: with it, and without tiles, the bytes are the same for any thread count (2, 3 and 8 measured identical): at
#: least 2 makes them the same on a 1-CPU laptop, a 2-vCPU Lambda and a 16-core CI. One thread (row-mt off)
#: gives other bytes, 0.5-1 % apart either way.
AVIF_MIN_THREADS: Final = 2
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


def avif_threads() -> int:
    """The AVIF encoder's threads: the CPUs this process may run on, and at least ``AVIF_MIN_THREADS``."""
    return max(
        AVIF_MIN_THREADS, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


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
        # libavif's quality 100 is lossless, where aom refuses any tune: only the tuning-free options apply.
        "advanced": AVIF_AOM_OPTIONS if avif_quality(quality) < AVIF_LOSSLESS else AVIF_LOSSLESS_AOM_OPTIONS,
        # No tiles: libavif's autotiling splits a 1280 px image in 2 when it has 2 threads, for 0.9 % more bytes
        # and no gain in time (row-based multithreading already uses both); aom still splits wider than 4096 px.
        "autotiling": False,
        "max_threads": avif_threads(),
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


def encode_frames(
    frames: list[Image.Image], fmt: OutputFormat, quality: int | None, durations: list[int], loop: int
) -> bytes:
    """``frames`` (each L, LA, RGB or RGBA, no metadata, one size) encoded as one animation of ``fmt`` (one of
    ``OutputFormat.animates``) with the module defaults, each frame shown for its ``durations`` ms, playing ``loop``
    times (0: forever; AVIF ignores it, see ``edge.render.animation``). The same frames always give the same bytes.

    Every frame is saved in one encoder mode (``encoder_mode``): the frames' own when they share it, else RGBA
    when any has alpha, else RGB; without the alpha band when no frame has a pixel that is not opaque. Raises
    ``ValueError`` as ``encode`` does, and for a format that cannot animate.
    """
    if not fmt.animates:
        raise ValueError(f"{fmt.value} cannot hold an animation")
    modes = {frame.mode for frame in frames}
    common = modes.pop() if len(modes) == 1 else "RGBA" if any("A" in mode for mode in modes) else "RGB"
    if common in ("LA", "RGBA") and all(_opaque(frame) for frame in frames):
        common = common[:-1]  # an opaque alpha plane costs bytes (libavif keeps it in a sequence)
    mode = encoder_mode(common, fmt)
    converted = [frame if frame.mode == mode else frame.convert(mode) for frame in frames]
    options = save_options(fmt, quality, mode)
    if fmt is OutputFormat.WEBP:
        options["loop"] = loop
    buffer = io.BytesIO()
    converted[0].save(buffer, save_all=True, append_images=converted[1:], duration=durations, **options)
    return buffer.getvalue() if fmt is OutputFormat.WEBP else without_times(buffer.getvalue())


#: ISOBMFF boxes holding other boxes on the way to the movie, track and media headers, and those headers.
_CONTAINER_BOXES: Final = frozenset({b"moov", b"trak", b"mdia"})
_TIMED_BOXES: Final = frozenset({b"mvhd", b"tkhd", b"mdhd"})


def without_times(data: bytes) -> bytes:
    """An AVIF sequence with the creation and modification times of its movie, track and media headers set to 0.

    libavif writes the encoding time there (Pillow offers no way to set it), so the same frames would give other
    bytes, and another ETag, every second; a still AVIF has no such boxes and comes back unchanged."""
    out = bytearray(data)
    _zero_times(out, 0, len(out))
    return bytes(out)


def _zero_times(data: bytearray, start: int, end: int) -> None:
    while start + 8 <= end:
        size = int.from_bytes(data[start : start + 4], "big")
        kind = bytes(data[start + 4 : start + 8])
        header = 8
        if size == 1 and start + 16 <= end:
            size, header = int.from_bytes(data[start + 8 : start + 16], "big"), 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            return  # not a box structure this function understands: leave the rest as it is
        if kind in _CONTAINER_BOXES:
            _zero_times(data, start + header, start + size)
        elif kind in _TIMED_BOXES and size >= header + 12:
            width = 8 if data[start + header] == 1 else 4  # version 1: 64-bit times; version 0: 32-bit
            times = start + header + 4
            if times + 2 * width <= start + size:
                data[times : times + 2 * width] = bytes(2 * width)
        start += size


def _opaque(frame: Image.Image) -> bool:
    return "A" not in frame.mode or frame.getchannel("A").getextrema() == (255, 255)
