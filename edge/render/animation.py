"""Animated originals (GIF, WebP, APNG, AVIF sequences) rendered as animations, within limits.

``edge.render.render`` asks ``inspect`` about an original when the output can animate (WebP and AVIF): it opens
the original once more (no pixel decoded) and reads its frame count, which Pillow gets from the container's
headers (GIF frames are skipped, not decoded). Then, for an animation:

- within ``Limits.max_frames`` frames, ``Limits.max_animation_pixels`` decoded pixels in all (frames x width x
  height), ``MAX_ENCODED_PIXELS`` output pixels in all for the format (the encode's time) and the memory budget
  (every output frame is held until the encoder runs: frames x canvas x 4 bytes, on top of one render's
  estimate), ``frames`` yields each frame, composited on the full canvas as the viewer sees it (GIF disposal and
  transparency applied by Pillow), with its duration; the caller runs the same steps on each (resize, crop,
  filters, watermark), and ``encode.encode_frames`` writes them with the durations and the loop count;
- over any of these, ``Animation.first_frame_reason`` says which, and the caller renders the first frame as for
  a still original (not an error): the response says so (``x-imgedge-animation``).

Loop counts: WebP, APNG and AVIF store how many times the animation plays (0: forever). GIF stores how many
times it *repeats* after the first play (its NETSCAPE extension; browsers play it that many times plus one, and
a GIF without the extension plays once), so a GIF's count becomes plays: 0 stays 0, ``n`` becomes ``n + 1``, none
becomes 1. Pillow's AVIF encoder writes no repetition count: an animated AVIF plays forever whatever the source
said (docs/url-api.md, "Animations").
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageSequence

from edge.options import OutputFormat
from edge.render import budget
from edge.render.decode import Limits, detached, open_image, pillow_errors, quiet_warnings

#: The formats whose files may hold an animation Pillow reads frame by frame.
ANIMATED_SOURCES: Final = frozenset({"GIF", "WEBP", "PNG", "AVIF"})
#: Bytes per pixel of an output frame held until encoding (RGBA).
FRAME_BYTES_PER_PIXEL: Final = 4
#: Duration of a frame that declares none (or zero): the 100 ms browsers use for such GIF frames.
DEFAULT_FRAME_MS: Final = 100
#: The most output pixels (frames x canvas) one animation may encode, per format, so that the encode stays far
#: inside origin-response's 30 s: measured on photo frames (20 frames at 320 and 640 px, one CPU) at 0.8-1.2 s of
#: CPU per million pixels for AVIF (aom speed 6, 4:2:0; full-resolution chroma adds 8-18 %: 0.25 to 0.29 and 0.31
#: to 0.33 s per million pixels on 20 crops of one photo) and 0.16-0.18 s for WebP, i.e. about 10-12 s and 7 s at
#: these bounds.
MAX_ENCODED_PIXELS: Final = {OutputFormat.AVIF: 8_000_000, OutputFormat.WEBP: 40_000_000}


@dataclass(frozen=True, slots=True)
class Animation:
    """What an animated original holds: ``frames`` (at least 2), ``size`` (the canvas), ``loop`` (how many times
    the output plays; 0 forever) and ``first_frame_reason``: ``None`` when every frame is rendered, else why only
    the first one is (a limit)."""

    frames: int
    size: tuple[int, int]
    loop: int
    first_frame_reason: str | None


def inspect(data: bytes, limits: Limits, canvas_pixels: int, fmt: OutputFormat) -> Animation | None:
    """The animation ``data`` holds, or ``None`` for a still image (one frame, or a format that cannot animate).

    ``canvas_pixels`` is the size of one output frame in ``fmt``; with the frame count it decides whether the
    output frames fit the memory budget and ``MAX_ENCODED_PIXELS``. Raises what ``decode.open_image`` raises (the
    caller has decoded the first frame already, so it does not).
    """
    image = open_image(data, limits)
    with quiet_warnings(), pillow_errors("decode"):
        if image.format not in ANIMATED_SOURCES:
            return None
        count = int(getattr(image, "n_frames", 1))
        if count < 2:
            return None
        width, height = image.size
        reason = _over(count, width * height, canvas_pixels, data, limits, fmt)
        return Animation(count, (width, height), _plays(image), reason)


def _plays(image: Image.Image) -> int:
    loop = image.info.get("loop")
    if image.format == "GIF":
        return 1 if loop is None else 0 if loop == 0 else int(loop) + 1
    return int(loop) if isinstance(loop, int) and loop >= 0 else 0


def _over(
    count: int, source_pixels: int, canvas_pixels: int, data: bytes, limits: Limits, fmt: OutputFormat
) -> str | None:
    if count > limits.max_frames:
        return f"{count} frames > max_frames {limits.max_frames}"
    if count * source_pixels > limits.max_animation_pixels:
        return f"{count} x {source_pixels} px > max_animation_pixels {limits.max_animation_pixels}"
    if count * canvas_pixels > MAX_ENCODED_PIXELS.get(fmt, 0):
        return f"{count} x {canvas_pixels} px too long to encode as {fmt.value} (at most {MAX_ENCODED_PIXELS[fmt]})"
    held = count * canvas_pixels * FRAME_BYTES_PER_PIXEL
    need = budget.estimated_peak_bytes("WEBP", "RGBA", source_pixels, canvas_pixels) + held
    have = budget.budget_bytes(limits.memory_mb, len(data))
    if need > have:
        return f"{count} frames need ~{need // budget.MIB} MiB > budget {have // budget.MIB} MiB"
    return None


def frames(data: bytes, limits: Limits) -> Iterator[tuple[Image.Image, int]]:
    """Each frame of the animation in ``data`` as a loaded image of the full canvas (RGBA when the frame has
    transparency, else RGB), with its duration in ms (``DEFAULT_FRAME_MS`` when it declares none). Raises
    ``InvalidImage`` for a frame that does not decode."""
    image = open_image(data, limits)
    with quiet_warnings():
        for index in range(int(getattr(image, "n_frames", 1))):
            with pillow_errors(f"decode frame {index}"):
                image.seek(index)
                frame = detached(image.convert("RGBA" if image.has_transparency_data else "RGB"))
                duration = image.info.get("duration")
            yield frame, int(duration) if isinstance(duration, int | float) and duration > 0 else DEFAULT_FRAME_MS


def sequence_frames(image: Image.Image) -> int:
    """The number of frames of an encoded image (1 for a still one); for tests and tools."""
    return sum(1 for _ in ImageSequence.Iterator(image))
