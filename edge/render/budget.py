"""The memory budget of one render, and what an original costs against it: pure arithmetic, no Pillow.

Lambda kills a function that outgrows its configured memory, and CloudFront turns that into an uncached 5xx
that repeats on every request. So ``edge.render.decode`` refuses (``ImageTooLarge``, 422), before decoding any
pixel, an original whose estimated peak does not fit:

    budget   = memory_mb MiB - RUNTIME_RESERVE_MIB MiB - SOURCE_COPIES x len(original bytes)
    estimate = (source pixels x SOURCE_BYTES_PER_PIXEL[(format, mode)]
                + output pixels x OUTPUT_BYTES_PER_PIXEL) x MARGIN + FIXED_OVERHEAD_MIB MiB

Source pixels are what the header declares (a JPEG drafted by ``Image.draft`` is charged for its reduced size);
output pixels the largest canvas the spec can give that source (``edge.render.decode.check_memory``).
``SOURCE_BYTES_PER_PIXEL`` is the measured peak of decoding and resizing per source pixel: measured with
``benchmarks/render_cost.py --quick`` at 16 MP, one render per fresh process, peak RSS (``VmHWM``) minus the
imports-only baseline, for a 1280 px AVIF (the resize of an image with alpha premultiplies a full-size copy).
``OUTPUT_BYTES_PER_PIXEL`` is the same for 3840 x 3840 outputs. Where the decoders cost it:

- WebP: libwebp decodes into its own RGBA canvas, Pillow copies that into a ``bytes`` object and then into the
  image (three full-size buffers at once, 4 bytes per pixel each, with or without alpha);
- AVIF: libavif's YUV planes (8-bit, 4:2:0 to 4:4:4 as the original has them, plus alpha), an RGB(A) buffer,
  its ``bytes`` copy, the image;
- PNG, GIF and TIFF decode straight into the image (Pillow holds RGB as 4 bytes per pixel, palette and grey as 1,
  16-bit grey as 2, then converts it: 16-bit to 32-bit to 8-bit, a palette to RGB(A));
- JPEG decodes into the image (drafted when the output is small), CMYK at 4 bytes per pixel.

``RUNTIME_RESERVE_MIB`` is what the origin-response process holds before it renders: CPython, Pillow, boto3 and
botocore (measured 93 MiB RSS after importing the handler; the imports-only baseline of the render benchmark is 20
MiB without boto3), rounded up. ``SOURCE_COPIES`` counts the original's bytes held at once (the S3 body and the
buffer Pillow reads).
"""

from typing import Final

MIB: Final = 1024 * 1024
#: MiB the runtime holds before a render (interpreter, Pillow, boto3): see the module docstring.
RUNTIME_RESERVE_MIB: Final = 128
#: Copies of the original's bytes alive during a render.
SOURCE_COPIES: Final = 2
#: MiB a render needs whatever the size (encoder state, output buffers, LittleCMS transforms).
FIXED_OVERHEAD_MIB: Final = 48
#: Safety factor on the measured bytes per pixel.
MARGIN: Final = 1.15
#: Measured peak bytes per declared source pixel, by (Pillow format, header mode), before ``MARGIN``.
SOURCE_BYTES_PER_PIXEL: Final[dict[tuple[str, str], float]] = {
    ("WEBP", "RGB"): 16.4,
    ("WEBP", "RGBA"): 16.4,
    ("AVIF", "RGB"): 9.7,
    ("AVIF", "RGBA"): 12.1,
    ("PNG", "RGB"): 5.8,
    ("PNG", "RGBA"): 9.8,
    ("PNG", "P"): 5.8,
    ("PNG", "I;16"): 10.0,
    ("JPEG", "RGB"): 5.8,
    ("JPEG", "CMYK"): 5.8,
    ("GIF", "P"): 6.0,
    ("TIFF", "RGBA"): 10.0,
}
#: Formats whose decoders write straight into the image: a mode not measured costs at most this (a 4-byte mode
#: with alpha, or 16-bit grey widened to 32 bits); other formats' unmeasured modes cost the WebP figure.
_DIRECT_FORMATS: Final = frozenset({"PNG", "JPEG", "MPO", "GIF", "TIFF"})
_DIRECT_DEFAULT: Final = 10.0
_WORST: Final = max(SOURCE_BYTES_PER_PIXEL.values())
#: Measured peak bytes per output pixel (the encoder's buffers and the output-sized working images, before
#: ``MARGIN``): 27.0 for the costliest format with AVIF at 4:2:0 (WebP with alpha at 3840 x 3840), plus the
#: 6.3-6.6 that full-resolution chroma adds to AVIF (3840 x 3840 with alpha: libavif's 4:4:4 planes and aom's
#: buffers for them, measured 4:2:0 against 4:4:4 in one fresh process each, encoder alone and whole render).
OUTPUT_BYTES_PER_PIXEL: Final = 33.5


def bytes_per_pixel(source_format: str, mode: str) -> float:
    """The estimated peak bytes per source pixel of decoding a ``source_format`` image whose header says ``mode``
    (``MARGIN`` included)."""
    measured = SOURCE_BYTES_PER_PIXEL.get(("JPEG" if source_format == "MPO" else source_format, mode))
    if measured is None:
        measured = _DIRECT_DEFAULT if source_format in _DIRECT_FORMATS else _WORST
    return measured * MARGIN


def budget_bytes(memory_mb: int, source_bytes: int) -> int:
    """What one render may use in a function of ``memory_mb`` MB handling an original of ``source_bytes`` bytes
    (may be negative: nothing fits)."""
    return (memory_mb - RUNTIME_RESERVE_MIB) * MIB - SOURCE_COPIES * source_bytes


def estimated_peak_bytes(source_format: str, mode: str, source_pixels: int, output_pixels: int) -> int:
    """The estimated peak of rendering an original of ``source_pixels`` (``source_format``, header ``mode``)
    into an output of at most ``output_pixels``."""
    output = output_pixels * OUTPUT_BYTES_PER_PIXEL * MARGIN
    return int(source_pixels * bytes_per_pixel(source_format, mode) + output) + FIXED_OVERHEAD_MIB * MIB
