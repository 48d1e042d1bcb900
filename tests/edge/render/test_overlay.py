"""edge.render.overlay: the overlay appears, by pixels, only where and when it should."""

import io

import pytest
from PIL import Image

from edge.config import Config
from edge.options import Fit, Gravity, OutputFormat, RenderSpec
from edge.render import Limits, render
from edge.render.overlay import overlay_box
from edge.watermarks import Watermark
from tests.edge.render.pixels import pixel, png_bytes

LIMITS = Limits.from_config(Config())
GREY = (128, 128, 128)
GREEN = (0, 255, 0)


def _mark(**overrides: object) -> Watermark:
    values: dict[str, object] = {
        "image": png_bytes(Image.new("RGBA", (100, 50), (*GREEN, 255))),
        "etag": "abc",
        "position": Gravity.SOUTHEAST,
        "margin": 10,
        "opacity": 100,
        "width_percent": 20,
        "min_width": 400,
    }
    values.update(overrides)
    return Watermark(**values)  # type: ignore[arg-type]


def _render(width: int, mark: Watermark, fmt: OutputFormat = OutputFormat.PNG) -> Image.Image:
    source = png_bytes(Image.new("RGB", (1000, 500), GREY))
    spec = RenderSpec(width, None, Fit.INSIDE, fmt, None if fmt is OutputFormat.PNG else 90)
    rendered = render(source, spec, LIMITS, watermark=mark)
    with Image.open(io.BytesIO(rendered.body)) as out:
        return out.convert("RGB")


def test_watermark_appears_at_its_position_above_the_min_width() -> None:
    out = _render(500, _mark())  # 500x250; the logo is 100x50 (20 % of 500), 10 px from the bottom-right
    assert out.getpixel((500 - 10 - 50, 250 - 10 - 25)) == GREEN
    assert out.getpixel((500 - 5, 250 - 5)) == GREY  # the margin
    assert out.getpixel((50, 50)) == GREY


def test_no_watermark_below_the_min_width() -> None:
    out = _render(300, _mark())
    assert GREEN not in {out.getpixel((x, y)) for x in range(0, 300, 3) for y in range(0, 150, 3)}


def test_opacity_blends_the_watermark() -> None:
    out = _render(500, _mark(opacity=50, position=Gravity.NORTHWEST))
    r, g, b = pixel(out, (10 + 50, 10 + 25))
    assert 60 <= r <= 68
    assert 188 <= g <= 195
    assert 60 <= b <= 68


def test_watermark_on_jpeg_keeps_no_alpha() -> None:
    out = _render(500, _mark(position=Gravity.CENTRE), OutputFormat.JPEG)
    r, g, b = pixel(out, (250, 125))
    assert g > 200
    assert r < 40
    assert b < 40


@pytest.mark.parametrize(
    ("position", "expected"),
    [(Gravity.NORTHWEST, (10, 10)), (Gravity.CENTRE, (200, 100)), (Gravity.SOUTHEAST, (390, 190))],
)
def test_overlay_box_places_the_scaled_logo(position: Gravity, expected: tuple[int, int]) -> None:
    mark = _mark(position=position)
    assert overlay_box((500, 250), (100, 50), mark) == (*expected, 100, 50)
    assert overlay_box((2000, 1000), (100, 50), mark)[2:] == (100, 50)  # never enlarged


def _has_logo(image: Image.Image) -> bool:
    return any(image.getpixel((x, y)) == GREEN for x in range(image.width) for y in range(image.height))


def _render_spec(spec: RenderSpec, source_size: tuple[int, int] = (1000, 500)) -> Image.Image:
    rendered = render(png_bytes(Image.new("RGB", source_size, GREY)), spec, LIMITS, watermark=_mark())
    with Image.open(io.BytesIO(rendered.body)) as out:
        return out.convert("RGB")


@pytest.mark.parametrize(
    ("spec", "size"),
    [
        # Full-resolution strips and tiles narrower than min_width (the stitching attack): watermarked.
        (RenderSpec(96, 3840, Fit.COVER, OutputFormat.PNG, None, gravity=Gravity.WEST), (96, 500)),
        (RenderSpec(3840, 64, Fit.COVER, OutputFormat.PNG, None), (1000, 64)),
        (RenderSpec(96, 3840, Fit.COVER, OutputFormat.PNG, None, rotate=90), (96, 1000)),
        (RenderSpec(200, 200, Fit.COVER, OutputFormat.PNG, None), (200, 200)),  # a crop of the source at 400x200
        # fill squashes one axis only: the other is at full resolution.
        (RenderSpec(96, 3840, Fit.FILL, OutputFormat.PNG, None), (96, 500)),
        # only h: the whole source is 780x390 at this scale.
        (RenderSpec(None, 390, Fit.INSIDE, OutputFormat.PNG, None), (780, 390)),
    ],
)
def test_crops_and_strips_above_thumbnail_scale_are_watermarked(spec: RenderSpec, size: tuple[int, int]) -> None:
    out = _render_spec(spec)
    assert out.size == size
    assert _has_logo(out)


@pytest.mark.parametrize(
    ("spec", "size"),
    [
        (RenderSpec(398, None, Fit.INSIDE, OutputFormat.PNG, None), (398, 199)),
        (RenderSpec(100, 100, Fit.COVER, OutputFormat.PNG, None), (100, 100)),  # a crop of a 200x100 thumbnail
        (RenderSpec(384, 2560, Fit.CONTAIN, OutputFormat.PNG, None), (384, 2560)),  # a 384x192 thumbnail, padded
        (RenderSpec(96, 96, Fit.FILL, OutputFormat.PNG, None), (96, 96)),
    ],
)
def test_thumbnails_and_crops_of_thumbnails_are_left_alone(spec: RenderSpec, size: tuple[int, int]) -> None:
    out = _render_spec(spec)
    assert out.size == size
    assert not _has_logo(out)


@pytest.mark.parametrize(
    ("whole", "covered"),
    [((399, 399), False), ((400, 10), True), ((10, 400), True), ((1, 1), False), ((5000, 3000), True)],
)
def test_covers_compares_both_sides_of_the_whole_source_with_min_width(whole: tuple[int, int], covered: bool) -> None:
    assert _mark(min_width=400).covers(whole) is covered


def test_with_contain_the_watermark_goes_on_the_image_not_on_the_padding() -> None:
    # The 1000x500 source, not enlarged, centred on a 1000x2000 canvas: the image spans rows 750-1249.
    out = _render_spec(RenderSpec(1000, 2000, Fit.CONTAIN, OutputFormat.PNG, None))
    assert out.size == (1000, 2000)
    assert out.getpixel((1000 - 10 - 50, 1250 - 10 - 25)) == GREEN  # the logo's centre, 10 px inside the image
    assert not any(out.getpixel((x, y)) == GREEN for x in range(0, 1000, 5) for y in range(1250, 2000, 5))
