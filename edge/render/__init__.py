"""Rendering: original bytes in, variant bytes out. The only package of imgedge that imports Pillow.

``render(data, spec, limits)`` runs decode (``edge.render.decode``), the transform steps
(``edge.render.steps``, sized by ``edge.render.geometry``) and the encoder (``edge.render.encode``), and times
each stage.
"""

import math
import time
from dataclasses import dataclass, replace

from PIL import Image

from edge.errors import EdgeError, InvalidImage, OutputTooLarge
from edge.faces import FaceDetection, FaceLocator, FaceOutcome, oriented_box
from edge.options import Gravity, OutputFormat, RenderSpec
from edge.render.animation import ANIMATED_SOURCES, Animation, frames, inspect
from edge.render.context import Context
from edge.render.decode import Limits as Limits
from edge.render.decode import decode, pillow_errors, quiet_warnings, upright
from edge.render.encode import MAX_SIDE, encode, encode_frames, holds
from edge.render.faces import detection_jpeg
from edge.render.geometry import plan_for
from edge.render.steps import apply_steps, normalise_mode
from edge.watermarks import Watermark

__all__ = ["Limits", "Rendered", "render"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """An encoded variant.

    ``format`` is the spec's format, ``width x height`` the size of the encoded image, ``source_format`` the
    Pillow name of the original's format (``"JPEG"``, ``"PNG"``, ``"WEBP"``, ``"GIF"``, ``"AVIF"``, ``"TIFF"``
    or ``"MPO"``) and ``timings_ms`` the milliseconds spent in ``"decode"``, ``"transform"`` and ``"encode"``
    (and ``"faces"`` when faces were looked for). ``faces`` is the face detection of ``gravity=face`` (``None``
    when none ran). ``frames`` is the number of frames encoded (more than 1 for an animation);
    ``first_frame_reason`` says why an animated original was rendered as its first frame only (a limit of
    ``edge.render.animation``), ``None`` otherwise (a still original, every frame rendered, or an output
    format that cannot animate).
    """

    body: bytes
    format: OutputFormat
    width: int
    height: int
    source_format: str
    timings_ms: dict[str, float]
    faces: FaceDetection | None = None
    frames: int = 1
    first_frame_reason: str | None = None


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


def check_output(spec: RenderSpec, size: tuple[int, int]) -> None:
    """Raise ``OutputTooLarge``, naming ``spec.format`` and its limit, when that encoder cannot hold an output of
    ``size`` (``encode.MAX_SIDE``)."""
    if not holds(spec.format, *size):
        limit = MAX_SIDE[spec.format]
        raise OutputTooLarge(f"a {size[0]}x{size[1]} output exceeds the {spec.format.value} limit of {limit} px a side")


def render(
    data: bytes,
    spec: RenderSpec,
    limits: Limits,
    watermark: Watermark | None = None,
    face_locator: FaceLocator | None = None,
) -> Rendered:
    """Render the original ``data`` as ``spec`` describes, within ``limits``.

    The output is upright (EXIF orientation applied), sized by ``geometry.plan_for`` (never enlarged), converted
    to sRGB, stripped of all metadata and encoded as ``spec.format``. It is the first frame, except for an
    animated original (GIF, WebP, APNG, AVIF) rendered to WebP or AVIF (without ``spec.still``) within the limits of
    ``edge.render.animation``: then every frame goes through the same steps (crop position and faces from the
    first frame) and the output animates with the original's durations and loop count.

    Raises only ``EdgeError`` subclasses: ``ImageTooLarge`` (too many bytes, a header declaring too many
    pixels, or an original whose render would not fit the memory budget of ``limits.memory_mb``; checked before
    decoding), ``UnsupportedImage`` (not a JPEG, PNG, WebP, GIF, AVIF or TIFF), ``OutputTooLarge`` (the spec's
    format cannot hold the output's size, ``encode.MAX_SIDE``; checked before the transforms), ``InvalidImage``
    (corrupt or truncated, or any other failure inside Pillow, with ``detail`` saying where), and a plain
    ``EdgeError`` (500) for a ``spec`` that breaks the ``RenderSpec`` invariants.

    ``spec.rotate`` turns the upright image before it is sized, so ``width x height`` always describe the output
    (the pixels are turned after the resize: ``edge.render.steps``); ``watermark`` is overlaid unless the output
    shows the source only at thumbnail resolution (``Watermark.covers``). The decoded original is released before
    the transform steps run, so no step's input and output outlive that step.

    ``gravity=face`` (when the spec crops) sends ``face_locator`` a JPEG of the upright original
    (``edge.render.faces.detection_jpeg``; the original is then decoded without JPEG drafting) and centres the
    crop on the faces' union box; without a locator, or when it finds no face or fails, the crop is
    ``attention``'s. The locator never raises (``edge.faces``).
    """
    _check_spec(spec)
    timings: dict[str, float] = {}
    wants_faces = face_locator is not None and spec.crops and spec.gravity is Gravity.FACE
    detection: FaceDetection | None = None
    with quiet_warnings():
        start = time.perf_counter()
        turned = spec.rotate in (90, 270)
        # JPEG drafting sizes the decode for the stored orientation: ask for the box turned back. Faces are
        # looked for on the full-resolution decode.
        draft_spec = None if wants_faces else replace(spec, width=spec.height, height=spec.width) if turned else spec
        decoded = decode(data, limits, draft_spec, orient=False)
        timings["decode"] = _elapsed_ms(start)

        start = time.perf_counter()
        with pillow_errors("transform"):
            size = (decoded.size[1], decoded.size[0]) if turned else decoded.size
            plan = plan_for(*size, spec)
        check_output(spec, plan.canvas)
        context = Context(plan, spec.format, decoded.icc_profile, spec, watermark, orientation=decoded.orientation)
        if wants_faces and face_locator is not None:
            with pillow_errors("faces"):
                jpeg = detection_jpeg(normalise_mode(upright(decoded.image, decoded.orientation), context))
            detection = face_locator(jpeg) if jpeg is not None else FaceDetection(FaceOutcome.SKIPPED)
            if detection.box is not None:
                context = replace(context, faces=oriented_box(detection.box, spec.rotate, spec.flop))
            timings["faces"] = _elapsed_ms(start)
            start = time.perf_counter()
        # Only a format that can hold frames is opened again to count them (a JPEG never is).
        animates = spec.format.animates and not spec.still and decoded.source_format in ANIMATED_SOURCES
        animation = inspect(data, limits, math.prod(plan.canvas), spec.format) if animates else None
        # Only the steps hold the decoded pixels from here: each step's input is released when the next one
        # starts, so the full-size decode is gone after the resize (the first step that copies it).
        source_format = decoded.source_format
        pixels = [decoded.image]
        del decoded
        if animation is not None and animation.first_frame_reason is None:
            pixels.clear()
            try:
                return _render_animation(data, spec, limits, context, animation, source_format, timings, start)
            except InvalidImage:
                # A later frame is corrupt or truncated; the first one decoded: render it, as for a still (the
                # reason reaches a response header, so it names no decoder detail).
                animation = replace(animation, first_frame_reason="a later frame does not decode")
                pixels.append(decode(data, limits, draft_spec, orient=False).image)
        with pillow_errors("transform"):
            image = apply_steps(pixels.pop(), context)
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
        source_format=source_format,
        timings_ms=timings,
        faces=detection,
        first_frame_reason=None if animation is None else animation.first_frame_reason,
    )


def _render_animation(
    data: bytes,
    spec: RenderSpec,
    limits: Limits,
    context: Context,
    animation: Animation,
    source_format: str,
    timings: dict[str, float],
    start: float,
) -> Rendered:
    """Every frame of ``animation`` through the steps of ``context``, encoded as one animation of ``spec.format``
    (the decode of each frame counts as transform time: they alternate)."""
    rendered: list[Image.Image] = []
    durations: list[int] = []
    with pillow_errors("transform"):
        for frame, duration in frames(data, limits):
            rendered.append(apply_steps(frame, context))
            durations.append(duration)
    timings["transform"] = _elapsed_ms(start)
    start = time.perf_counter()
    with pillow_errors("encode"):
        body = encode_frames(rendered, spec.format, spec.quality, durations, animation.loop)
    timings["encode"] = _elapsed_ms(start)
    return Rendered(
        body=body,
        format=spec.format,
        width=rendered[0].width,
        height=rendered[0].height,
        source_format=source_format,
        timings_ms=timings,
        frames=len(rendered),
    )
