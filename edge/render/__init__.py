"""Rendering: original bytes in, variant bytes out. The only package of imgedge that imports Pillow.

``render(data, spec, limits)`` runs decode (``edge.render.decode``), the transform steps
(``edge.render.steps``, sized by ``edge.render.geometry``) and the encoder (``edge.render.encode``), and times
each stage.
"""

import time
from dataclasses import dataclass

from edge.errors import EdgeError
from edge.options import OutputFormat, RenderSpec
from edge.render.decode import Limits as Limits
from edge.render.decode import decode, pillow_errors, quiet_warnings
from edge.render.encode import encode
from edge.render.geometry import target_box
from edge.render.steps import Context, apply_steps

__all__ = ["Limits", "Rendered", "render"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """An encoded variant.

    ``format`` is the spec's format, ``width x height`` the size of the encoded image, ``source_format`` the
    Pillow name of the original's format (``"JPEG"``, ``"PNG"``, ``"WEBP"``, ``"GIF"``, ``"AVIF"``, ``"TIFF"``
    or ``"MPO"``) and ``timings_ms`` the milliseconds spent in ``"decode"``, ``"transform"`` and ``"encode"``.
    """

    body: bytes
    format: OutputFormat
    width: int
    height: int
    source_format: str
    timings_ms: dict[str, float]


def _check_spec(spec: RenderSpec) -> None:
    width_ok = spec.width is None or spec.width >= 1
    height_ok = spec.height is None or spec.height >= 1
    sized = spec.width is not None or spec.height is not None
    if spec.format is OutputFormat.PNG:
        quality_ok = spec.quality is None
    else:
        quality_ok = spec.quality is not None and 1 <= spec.quality <= 100
    if not (width_ok and height_ok and sized and quality_ok):
        raise EdgeError(detail=f"render: RenderSpec breaks its invariants: {spec!r}")


def _elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def render(data: bytes, spec: RenderSpec, limits: Limits) -> Rendered:
    """Render the original ``data`` as ``spec`` describes, within ``limits``.

    The output is the first frame, upright (EXIF orientation applied), sized by ``geometry.target_box`` (never
    enlarged), converted to sRGB, stripped of all metadata and encoded as ``spec.format``.

    Raises only ``EdgeError`` subclasses: ``ImageTooLarge`` (too many bytes, or a header declaring too many
    pixels; checked before decoding), ``UnsupportedImage`` (not a JPEG, PNG, WebP, GIF, AVIF or TIFF),
    ``InvalidImage`` (corrupt or truncated, or any other failure inside Pillow, with ``detail`` saying where),
    and a plain ``EdgeError`` (500) for a ``spec`` that breaks the ``RenderSpec`` invariants.
    """
    _check_spec(spec)
    timings: dict[str, float] = {}
    with quiet_warnings():
        start = time.perf_counter()
        decoded = decode(data, limits, spec)
        timings["decode"] = _elapsed_ms(start)

        start = time.perf_counter()
        with pillow_errors("transform"):
            context = Context(target_box(*decoded.size, spec), spec.format, decoded.icc_profile)
            image = apply_steps(decoded.image, context)
        timings["transform"] = _elapsed_ms(start)

        start = time.perf_counter()
        with pillow_errors("encode"):
            body = encode(image, spec.format, spec.quality)
        timings["encode"] = _elapsed_ms(start)
    return Rendered(
        body=body,
        format=spec.format,
        width=image.width,
        height=image.height,
        source_format=decoded.source_format,
        timings_ms=timings,
    )
