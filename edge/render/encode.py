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
| AVIF   | ``avif_quality(quality)``, 4:4:4 (4:0:0 for grey), 8-bit, ``speed=6``, full range, aom with  |
|        | ``tune=iq``, ``sharpness=0`` (``AVIF_AOM_OPTIONS``), no tiles, at least 2 threads            |
| PNG    | ``compress_level=6``, ``optimize=False``; ``quality`` must be ``None``                       |

Why these (measured with Pillow 13.0.0 on 2 cores, q=80 JPEG/WebP, q=50 AVIF, the corpus photos
``photo-bythewater`` and ``photo-saw`` at 300 and 1280 px wide):

- JPEG progressive takes 1.0-1.2 ms instead of 0.4-0.5 ms at 300 px and 13-25 ms instead of 6-10 ms at 1280 px,
  for 0.4-0.9 % and 2.4-3.2 % fewer bytes. A variant is encoded once and served many times, so the bytes win.
- AVIF ``speed`` (``AVIF_SPEED``): at 1280 px speed 5 took 1.8-2.2 s for 3-5 % fewer bytes than speed 6
  (0.42-0.47 s), and speed 7 saved 30-45 % of the time for 6-23 % more bytes; at 300 px speed 6 took
  41-61 ms. Speed 6 is the knee.
- WebP ``method=4`` took 5-7 ms at 300 px and 81-102 ms at 1280 px.

AVIF tuning, chosen by rate-distortion on SSIMULACRA2 and DSSIM (issue 19): quality sweeps through ``render()``
(``benchmarks/rd_bench.py``; BD-rate from PCHIP of log bytes over the common score range, per photo, then the
mean), against sharp 0.35.5 (libheif, aom 3.x), one CPU per engine, CPU time of each call.

- Chroma ``AVIF_SUBSAMPLING``, 4:4:4 (sharp's own default; 0.2.0 wrote 4:2:0): at equal SSIMULACRA2 it needs
  3.2-3.7 % fewer bytes than 4:2:0 at 640 px and 1.3-1.6 % fewer at 1280 px (19 % and 9 % fewer at equal DSSIM),
  for 13-14 % more CPU (encoder-only sweeps, 8 photos, 2026-12-07; ``benchmarks/RESULTS.md``, "AVIF at 4:4:4",
  which also gives the Pareto front). A variant is encoded once and served many times, so the bytes win.
- ``avif_quality`` keeps what a URL quality looks like: 4:4:4 at libavif quality ``avif_quality(q)`` gives the mean
  SSIMULACRA2 (8 photos, 640 and 1280 px) that 4:2:0 gave at libavif quality q, which in turn gave what 0.2.0's
  tuning gave at URL quality q: 2 below q up to 60, then up to 6 below (``AVIF_QUALITY_KNOTS``); 100 is lossless.
  Grey images have no chroma to pay for and keep q itself.
- Threads and tiles: libavif's autotiling split a 1280 px image in 2 on a 2-thread machine for 0.9-1.0 % more bytes
  and no gain in time, so there are no tiles (aom still splits wider than 4096 px, as AV1 requires), and at least
  ``AVIF_MIN_THREADS`` so that the bytes do not depend on the machine.
- aom options at speed 6 (640 px, 8 photos, 2026-12-06, SSIMULACRA2 then from the unpatched ``ssimulacra2``
  package, which scores 0.1-1.6 points low at 640 px): ``tune=iq`` with aom's default sharpness 7 lowered to 0
  needed the fewest bytes at equal SSIMULACRA2 (+0.8 % against sharp at effort 3; ``tune=iq`` alone +2.1 %,
  ``tune=ssimulacra2`` +1.4 %, 0.2.0's ``tune=ssim, enable-cdef=3, deltaq-mode=6`` +6.8 % at 0.89x the CPU).
  Tried since (4 photos, 640 px, SSIMULACRA2 as libjxl scores it, bytes at equal SSIMULACRA2 against these
  options at 4:2:0): ``enable-rect-partitions=0`` +0.7 % for 14 % less CPU, ``deltaq-strength`` 40 / 60 / 80
  -1.2 / -0.5 / -0.5 % for up to 4 % more CPU, ``enable-filter-intra=0`` -0.2 %, ``disable-trellis-quant=2``
  +2.5 %, ``reduced-tx-type-set`` +0 %, speed 7 +10 % for 0.6x the CPU, ``enable-qm=0`` +6 %; at 4:4:4,
  ``enable-angle-delta=0`` or ``enable-diagonal-intra=0`` +8..11 %, ``min-partition-size=8`` -0.2 %,
  ``deltaq-strength`` 40 / 25 -0.3 / +0.3 % (8 photos; -1.0 / -1.2 % at equal DSSIM);
  ``enable-restoration``, ``enable-ab-partitions``, ``enable-palette``, ``enable-tx64``, ``qm-min``/``qm-max``,
  ``auto-intra-tools-off``, ``coeff-cost-upd-freq``, ``sb-size=64``: the same bytes at speed 6. Speed 5 with
  ``tune=iq``: -2.1 % for 3.5x sharp effort 3's CPU.
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
AVIF_QUALITY_KNOTS: Final = ((0, 0), (40, 38), (60, 58), (80, 76), (95, 89), (100, 100))
#: Chroma of colour AVIF: full resolution (grey is 4:0:0, chosen by Pillow).
AVIF_SUBSAMPLING: Final = "4:4:4"
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


def avif_quality(quality: int, mode: str = "RGB") -> int:
    """libavif's quality for the spec's ``quality`` (1-100) of an image saved in ``mode``: for colour, linear
    between ``AVIF_QUALITY_KNOTS``, rounded half up; for grey (``L``, saved as 4:0:0, where full-resolution chroma
    costs nothing) ``quality`` itself, the scale grey was encoded on before 4:4:4.

    It keeps 1 at 1 and 100 at 100 and never decreases; ``save_options`` checks the range first.
    """
    if mode == "L":
        if quality > AVIF_LOSSLESS:
            raise ValueError(f"AVIF quality above {AVIF_LOSSLESS}: {quality}")
        return quality
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
    libavif_quality = avif_quality(quality, mode)
    options: dict[str, Any] = {
        "format": "AVIF",
        "quality": libavif_quality,
        "speed": AVIF_SPEED,
        "codec": AVIF_CODEC,
        # libavif's quality 100 is lossless, where aom refuses any tune: only the tuning-free options apply.
        "advanced": AVIF_AOM_OPTIONS if libavif_quality < AVIF_LOSSLESS else AVIF_LOSSLESS_AOM_OPTIONS,
        # No tiles: libavif's autotiling splits a 1280 px image in 2 when it has 2 threads, for 0.9 % more bytes
        # and no gain in time (row-based multithreading already uses both); aom still splits wider than 4096 px.
        "autotiling": False,
        "max_threads": avif_threads(),
        "exif": b"",
        "xmp": b"",
    }
    if mode != "L":
        options["subsampling"] = AVIF_SUBSAMPLING
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
