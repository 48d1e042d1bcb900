"""Animated originals: every frame rendered to WebP and AVIF with its duration and the loop count, within limits.

The animations are built here from solid colours, so the oracle (which colour, how long, how many plays) is
written down independently of the code under test.
"""

import io
from pathlib import Path

import pytest
from PIL import Image, ImageSequence

from edge.config import Config
from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import Limits, render

COLOURS = [(220, 30, 30), (30, 200, 40), (40, 60, 220), (230, 210, 20)]
DURATIONS = [40, 100, 150, 200]
LIMITS = Limits.from_config(Config())
CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


def animation(fmt: str, *, loop: int | None = 0, size: tuple[int, int] = (64, 48), count: int = 4) -> bytes:
    frames = [Image.new("RGB", size, COLOURS[index % 4]) for index in range(count)]
    buffer = io.BytesIO()
    options: dict[str, object] = {"duration": [DURATIONS[index % 4] for index in range(count)]}
    if loop is not None:
        options["loop"] = loop
    frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:], **options)
    return buffer.getvalue()


def spec(fmt: OutputFormat, width: int = 32) -> RenderSpec:
    return RenderSpec(width, None, Fit.INSIDE, fmt, None if fmt is OutputFormat.PNG else 90)


def played(body: bytes) -> list[tuple[tuple[int, int, int], int]]:
    """Each frame of an encoded image: its centre colour and its duration."""
    with Image.open(io.BytesIO(body)) as image:
        result = []
        for frame in ImageSequence.Iterator(image):
            rgb = frame.convert("RGB")
            centre = rgb.getpixel((rgb.width // 2, rgb.height // 2))
            assert isinstance(centre, tuple)
            result.append(((centre[0], centre[1], centre[2]), int(frame.info.get("duration", 0))))
        return result


def close(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(colour, expected, strict=True))


@pytest.mark.parametrize("source", ["GIF", "WEBP", "PNG"])
@pytest.mark.parametrize("fmt", [OutputFormat.WEBP, OutputFormat.AVIF])
def test_every_frame_is_rendered_with_its_duration(source: str, fmt: OutputFormat) -> None:
    rendered = render(animation(source), spec(fmt), LIMITS)
    assert (rendered.frames, rendered.first_frame_reason) == (4, None)
    assert (rendered.width, rendered.height) == (32, 24)
    frames = played(rendered.body)
    assert len(frames) == 4
    for (colour, duration), expected, expected_ms in zip(frames, COLOURS, DURATIONS, strict=True):
        assert close(colour, expected), (colour, expected)
        assert duration == expected_ms


@pytest.mark.parametrize(
    ("source", "loop", "plays"),
    [
        ("GIF", 0, 0),  # forever
        ("GIF", 2, 3),  # a GIF's count is repeats after the first play
        ("GIF", None, 1),  # no NETSCAPE extension: once
        ("WEBP", 3, 3),  # WebP counts plays
        ("PNG", 2, 2),  # so does APNG
    ],
)
def test_the_loop_count_is_kept_in_webp(source: str, loop: int | None, plays: int) -> None:
    rendered = render(animation(source, loop=loop), spec(OutputFormat.WEBP), LIMITS)
    with Image.open(io.BytesIO(rendered.body)) as image:
        assert image.info["loop"] == plays


@pytest.mark.parametrize("fmt", [OutputFormat.JPEG, OutputFormat.PNG])
def test_formats_that_cannot_animate_get_the_first_frame(fmt: OutputFormat) -> None:
    rendered = render(animation("GIF"), spec(fmt), LIMITS)
    assert (rendered.frames, rendered.first_frame_reason) == (1, None)
    frames = played(rendered.body)
    assert len(frames) == 1
    assert close(frames[0][0], COLOURS[0])


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        (Limits(10**8, 10**8, max_frames=3), "4 frames > max_frames 3"),
        (Limits(10**8, 10**8, max_animation_pixels=4 * 64 * 48 - 1), "max_animation_pixels"),
        # 50 output frames of 1000 x 750 held for the encoder (143 MiB) do not fit 260 MB; the first frame alone does.
        (Limits(10**8, 10**8, memory_mb=260), "MiB > budget"),
    ],
)
def test_over_a_limit_the_first_frame_is_rendered_and_the_reason_given(limits: Limits, reason: str) -> None:
    source = animation("GIF") if "budget" not in reason else animation("GIF", size=(1000, 750), count=50)
    rendered = render(source, spec(OutputFormat.WEBP, 1000), limits)
    assert rendered.frames == 1
    assert rendered.first_frame_reason is not None
    assert reason in rendered.first_frame_reason
    frames = played(rendered.body)
    assert len(frames) == 1
    assert close(frames[0][0], COLOURS[0])


def test_a_still_gif_is_one_frame() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), COLOURS[2]).save(buffer, format="GIF")
    rendered = render(buffer.getvalue(), spec(OutputFormat.WEBP), LIMITS)
    assert (rendered.frames, rendered.first_frame_reason) == (1, None)
    assert len(played(rendered.body)) == 1


def test_the_transforms_apply_to_every_frame() -> None:
    # cover to a square, rotated and grey: every frame has the same geometry and the filter.
    cropped = RenderSpec(20, 20, Fit.COVER, OutputFormat.WEBP, 90, grayscale=True, rotate=90)
    rendered = render(animation("GIF", size=(64, 32)), cropped, LIMITS)
    with Image.open(io.BytesIO(rendered.body)) as image:
        sizes = {frame.size for frame in ImageSequence.Iterator(image)}
        greys = [frame.convert("RGB").getpixel((10, 10)) for frame in ImageSequence.Iterator(image)]
    assert sizes == {(20, 20)}
    assert all(isinstance(g, tuple) and max(g) - min(g) <= 3 for g in greys)
    assert len(set(greys)) == 4  # four different greys: the frames stayed apart


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize(
    ("name", "frames", "plays"),
    [("edge-gif-animated-loop3.gif", 10, 3), ("edge-webp-animated-loop3.webp", 10, 3)],
)
def test_the_corpus_animations_stay_animated(name: str, frames: int, plays: int) -> None:
    rendered = render((CORPUS / name).read_bytes(), spec(OutputFormat.WEBP, 200), LIMITS)
    assert rendered.frames == frames
    with Image.open(io.BytesIO(rendered.body)) as image:
        assert (getattr(image, "n_frames", 1), image.info["loop"]) == (frames, plays)


def test_anim_0_asks_for_the_first_frame() -> None:
    still = RenderSpec(32, None, Fit.INSIDE, OutputFormat.WEBP, 90, still=True)
    rendered = render(animation("GIF"), still, LIMITS)
    assert (rendered.frames, rendered.first_frame_reason) == (1, None)  # asked for, not a limit
    frames = played(rendered.body)
    assert len(frames) == 1
    assert close(frames[0][0], COLOURS[0])


@pytest.mark.parametrize("kept", [0.5, 0.98])
def test_a_truncated_animation_is_its_first_frame_not_an_error(kept: float) -> None:
    frames = [Image.effect_noise((64, 48), 60 + 20 * index).convert("RGB") for index in range(4)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    data = buffer.getvalue()
    rendered = render(data[: int(len(data) * kept)], spec(OutputFormat.WEBP), LIMITS)
    assert (rendered.frames, rendered.first_frame_reason) == (1, "a later frame does not decode")
    assert len(played(rendered.body)) == 1


def test_an_animation_too_long_to_encode_is_its_first_frame() -> None:
    # 20 AVIF frames of 1000 x 750 are 15 million pixels to encode: over MAX_ENCODED_PIXELS (8 million), about
    # 15 s of aom at speed 6. The same frames as WebP (5 times faster) are within its bound.
    source = animation("GIF", size=(1000, 750), count=20)
    avif = render(source, spec(OutputFormat.AVIF, 1000), LIMITS)
    assert avif.frames == 1
    assert avif.first_frame_reason == "20 x 750000 px too long to encode as avif (at most 8000000)"
    webp = render(source, spec(OutputFormat.WEBP, 1000), LIMITS)
    assert (webp.frames, webp.first_frame_reason) == (20, None)


@pytest.mark.parametrize("fmt", [OutputFormat.WEBP, OutputFormat.AVIF])
def test_an_animation_renders_to_the_same_bytes_every_time(fmt: OutputFormat) -> None:
    # The same variant rendered at two edge locations must be one object with one ETag (aom on several threads
    # encoded textured sequences differently from run to run).
    frames = [Image.effect_noise((400, 300), 40 + 10 * index).convert("RGB") for index in range(8)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    bodies = {render(buffer.getvalue(), spec(fmt, 300), LIMITS).body for _ in range(6)}
    assert len(bodies) == 1
