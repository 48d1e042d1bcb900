"""edge.render.filters and the background steps: each filter checked by pixels on generated images."""

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from edge.config import Config
from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import Limits
from tests.edge.render.pixels import level, pixel, rendered_image

LIMITS = Limits.from_config(Config())
RED = (255, 0, 0)
GREY = (128, 128, 128)


def _render(image: Image.Image, spec: RenderSpec) -> Image.Image:
    return rendered_image(image, spec, LIMITS)


def _marker() -> Image.Image:
    """200x100 grey with a red 20x20 square in the top-left corner."""
    image = Image.new("RGB", (200, 100), GREY)
    ImageDraw.Draw(image).rectangle((0, 0, 19, 19), fill=RED)
    return image


def _spec(**extra: object) -> RenderSpec:
    return RenderSpec(200, None, Fit.INSIDE, OutputFormat.PNG, None, **extra)  # type: ignore[arg-type]


def test_grayscale_gives_equal_channels_in_every_format() -> None:
    colourful = Image.radial_gradient("L").convert("RGB").resize((200, 200))
    colourful.paste(RED, (0, 0, 50, 50))
    png = _render(colourful, RenderSpec(100, None, Fit.INSIDE, OutputFormat.PNG, None, grayscale=True))
    assert png.mode == "L"  # exactly R = G = B
    for fmt in (OutputFormat.WEBP, OutputFormat.AVIF, OutputFormat.JPEG):
        out = _render(colourful, RenderSpec(100, None, Fit.INSIDE, fmt, 90, grayscale=True)).convert("RGB")
        r, g, b = out.split()
        # WebP stores RGB as YUV 4:2:0: grey survives within rounding.
        assert max(ImageChops.difference(r, g).tobytes()) <= 2, fmt
        assert max(ImageChops.difference(g, b).tobytes()) <= 2, fmt


def test_flop_mirrors_the_marker() -> None:
    out = _render(_marker(), _spec(flop=True)).convert("RGB")
    assert out.getpixel((195, 5)) == RED
    assert out.getpixel((5, 5)) == GREY


def test_flip_is_rotate_180_with_flop_and_mirrors_top_to_bottom() -> None:
    # A vertical flip reaches the renderer as rotate=180 + flop (edge.rewrite): the marker goes bottom-left.
    out = _render(_marker(), _spec(rotate=180, flop=True)).convert("RGB")
    assert out.getpixel((5, 95)) == RED
    assert out.getpixel((5, 5)) == GREY


@pytest.mark.parametrize(("rotate", "size", "probe"), [(90, (100, 200), (95, 5)), (180, (200, 100), (195, 95)),
                                                       (270, (100, 200), (5, 195))])  # fmt: skip
def test_rotate_turns_clockwise_and_moves_the_marker(
    rotate: int, size: tuple[int, int], probe: tuple[int, int]
) -> None:
    spec = RenderSpec(size[0], None, Fit.INSIDE, OutputFormat.PNG, None, rotate=rotate)
    out = _render(_marker(), spec).convert("RGB")
    assert out.size == size
    assert out.getpixel(probe) == RED


def test_rotated_width_and_height_describe_the_output() -> None:
    out = _render(_marker(), RenderSpec(50, 80, Fit.COVER, OutputFormat.PNG, None, rotate=90))
    assert out.size == (50, 80)


def test_blur_softens_a_hard_edge_by_its_radius() -> None:
    image = Image.new("L", (200, 100), 0)
    image.paste(255, (100, 0, 200, 100))
    sharp = _render(image, _spec()).convert("L")
    blurred = _render(image, _spec(blur=10)).convert("L")
    assert level(sharp, (95, 50)) == 0
    assert 0 < level(blurred, (95, 50)) < 128 < level(blurred, (105, 50)) < 255
    assert level(blurred, (60, 50)) == 0  # far from the edge


def test_sharpen_increases_local_contrast() -> None:
    image = Image.linear_gradient("L").resize((200, 100)).filter(__import__("PIL.ImageFilter").ImageFilter.BLUR)
    image.paste(200, (100, 0, 200, 100))
    plain = ImageStat.Stat(_render(image, _spec()).convert("L").crop((95, 0, 105, 100))).stddev[0]
    sharpened = ImageStat.Stat(_render(image, _spec(sharpen=True)).convert("L").crop((95, 0, 105, 100))).stddev[0]
    assert sharpened > plain


def test_blur_keeps_transparent_pixels_from_bleeding_colour() -> None:
    image = Image.new("RGBA", (200, 100), (255, 0, 0, 0))  # transparent red
    image.paste((0, 0, 255, 255), (50, 0, 150, 100))
    out = _render(image, _spec(blur=5)).convert("RGBA")
    r, _, b, a = pixel(out, (52, 50))
    assert a > 0
    assert r < 10
    assert b > 200


def test_contain_with_a_background_fills_the_pad_with_that_colour() -> None:
    for fmt, quality in ((OutputFormat.PNG, None), (OutputFormat.JPEG, 90), (OutputFormat.WEBP, 90)):
        spec = RenderSpec(200, 200, Fit.CONTAIN, fmt, quality, background="000000")
        out = _render(_marker(), spec)
        assert out.mode == "RGB", fmt
        assert out.size == (200, 200)
        assert all(abs(c) <= 3 for c in pixel(out, (100, 10))), fmt  # the pad (rows 0-49) is black
        assert all(abs(c - 128) <= 4 for c in pixel(out, (100, 100))), fmt  # the image


def test_background_flattens_alpha_in_every_format() -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, 50, 100))
    out = _render(image, RenderSpec(100, None, Fit.INSIDE, OutputFormat.PNG, None, background="ffffff"))
    assert out.mode == "RGB"
    assert out.getpixel((75, 50)) == (255, 255, 255)
    assert out.getpixel((25, 50)) == RED


def test_jpeg_flattens_on_the_background_instead_of_white() -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    out = _render(image, RenderSpec(100, None, Fit.INSIDE, OutputFormat.JPEG, 90, background="000000"))
    assert max(pixel(out, (50, 50))) <= 3
    default = _render(image, RenderSpec(100, None, Fit.INSIDE, OutputFormat.JPEG, 90))
    assert min(pixel(default, (50, 50))) >= 252


def test_without_a_background_contain_stays_transparent() -> None:
    out = _render(_marker(), RenderSpec(200, 200, Fit.CONTAIN, OutputFormat.PNG, None))
    assert out.mode == "RGBA"
    assert pixel(out, (100, 10))[3] == 0
