"""edge.render.crop (and geometry.focus_crop): where fit=cover crops, checked by pixels on generated images."""

import pytest
from PIL import Image, ImageDraw

from edge.config import Config
from edge.options import COMPASS_FOCUS, Fit, Gravity, OutputFormat, RenderSpec
from edge.render import Limits
from edge.render.crop import attention_box, entropy_box
from edge.render.geometry import focus_crop, plan_for
from tests.edge.render.pixels import rendered_image

LIMITS = Limits.from_config(Config())
RED = (255, 0, 0)
GREY = (128, 128, 128)


def _render(image: Image.Image, spec: RenderSpec) -> Image.Image:
    return rendered_image(image, spec, LIMITS).convert("RGB")


def _marked(corner: tuple[int, int]) -> Image.Image:
    """A 400x200 grey image with a 40x40 red square at ``corner`` (0/1 for left/right, top/bottom)."""
    image = Image.new("RGB", (400, 200), GREY)
    left = 0 if corner[0] == 0 else 360
    top = 0 if corner[1] == 0 else 160
    ImageDraw.Draw(image).rectangle((left, top, left + 39, top + 39), fill=RED)
    return image


@pytest.mark.parametrize(
    ("gravity", "corner", "probe"),
    [
        (Gravity.NORTHWEST, (0, 0), (5, 5)),
        (Gravity.WEST, (0, 1), (5, 190)),
        (Gravity.SOUTHWEST, (0, 1), (5, 190)),
        (Gravity.NORTHEAST, (1, 0), (95, 5)),
        (Gravity.EAST, (1, 1), (95, 190)),
        (Gravity.SOUTHEAST, (1, 1), (95, 190)),
    ],
)
def test_a_red_square_in_a_corner_survives_its_gravity(
    gravity: Gravity, corner: tuple[int, int], probe: tuple[int, int]
) -> None:
    spec = RenderSpec(100, 200, Fit.COVER, OutputFormat.PNG, None, gravity=gravity)
    out = _render(_marked(corner), spec)
    assert out.size == (100, 200)
    assert out.getpixel(probe) == RED
    # The centre crop loses it.
    centred = _render(_marked(corner), RenderSpec(100, 200, Fit.COVER, OutputFormat.PNG, None))
    assert RED not in [centred.getpixel((x, y)) for x in range(0, 100, 5) for y in range(0, 200, 5)]


def test_north_and_south_keep_the_top_and_bottom() -> None:
    image = Image.new("RGB", (200, 400), GREY)
    ImageDraw.Draw(image).rectangle((80, 0, 119, 39), fill=RED)
    top = _render(image, RenderSpec(200, 100, Fit.COVER, OutputFormat.PNG, None, gravity=Gravity.NORTH))
    bottom = _render(image, RenderSpec(200, 100, Fit.COVER, OutputFormat.PNG, None, gravity=Gravity.SOUTH))
    assert top.getpixel((100, 5)) == RED
    assert bottom.getpixel((100, 5)) == GREY


def test_a_focal_point_centres_the_crop_on_it() -> None:
    image = Image.new("RGB", (400, 200), GREY)
    ImageDraw.Draw(image).rectangle((110, 90, 129, 109), fill=RED)  # centred at (120, 100) = (30 %, 50 %)
    out = _render(image, RenderSpec(100, 200, Fit.COVER, OutputFormat.PNG, None, Gravity.FOCUS, (30, 50)))
    assert out.getpixel((50, 100)) == RED  # the middle of the output


@pytest.mark.parametrize(("resized", "cropped"), [((400, 200), (100, 200)), ((333, 777), (100, 101)), ((7, 9), (7, 9))])
def test_compass_focal_points_are_the_compass_crops(resized: tuple[int, int], cropped: tuple[int, int]) -> None:
    plan = plan_for(*resized, RenderSpec(cropped[0], cropped[1], Fit.COVER, OutputFormat.PNG, None))
    assert focus_crop(plan.resize, plan.canvas, COMPASS_FOCUS[Gravity.CENTRE]) == plan.crop
    assert focus_crop(resized, cropped, (0, 0))[:2] == (0, 0)
    assert focus_crop(resized, cropped, (100, 100))[2:] == resized


def test_focus_crop_stays_inside_the_image() -> None:
    for x in range(0, 101, 5):
        for y in range(0, 101, 5):
            left, top, right, bottom = focus_crop((400, 300), (123, 45), (x, y))
            assert left >= 0
            assert right <= 400
            assert top >= 0
            assert bottom <= 300
            assert (right - left, bottom - top) == (123, 45)


def _busy_corner() -> Image.Image:
    """Flat grey with a noisy, colourful 100x100 patch near the right edge."""
    image = Image.new("RGB", (600, 200), GREY)
    noise = Image.effect_noise((100, 100), 80).convert("RGB")
    patch = Image.merge("RGB", (noise.getchannel("R"), Image.new("L", (100, 100), 40), noise.getchannel("B")))
    image.paste(patch, (480, 50))
    return image


@pytest.mark.parametrize("strategy", [entropy_box, attention_box])
def test_smart_strategies_keep_the_busy_part(strategy: object) -> None:
    assert callable(strategy)
    left, top, right, bottom = strategy(_busy_corner(), (200, 200))
    assert (right - left, bottom - top) == (200, 200)
    assert left >= 380  # the window holds the patch at x 480-580


def test_attention_prefers_skin_tones_and_saturation_over_flat_grey() -> None:
    image = Image.new("RGB", (600, 200), GREY)
    ImageDraw.Draw(image).ellipse((40, 40, 140, 160), fill=(224, 172, 140))  # a skin tone
    left, _, right, _ = attention_box(image, (200, 200))
    assert left <= 40
    assert right >= 140


@pytest.mark.parametrize("gravity", [Gravity.ENTROPY, Gravity.ATTENTION])
def test_smart_gravity_renders_through_the_pipeline(gravity: Gravity) -> None:
    out = _render(_busy_corner(), RenderSpec(100, 100, Fit.COVER, OutputFormat.PNG, None, gravity=gravity))
    assert out.size == (100, 100)
    assert out.getpixel((50, 50)) != GREY
