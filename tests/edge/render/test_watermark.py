"""edge.render.watermark: the overlay appears, by pixels, only where and when it should."""

import io

import pytest
from PIL import Image

from edge.config import Config
from edge.options import Fit, Gravity, OutputFormat, RenderSpec
from edge.render import Limits, render
from edge.render.watermark import overlay_box
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
