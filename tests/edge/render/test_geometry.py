"""edge.render.geometry: the output size of every fit, as tables, plus the invariants as properties."""

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.options import Fit, OutputFormat, RenderSpec
from edge.render.geometry import Plan, oriented_size, plan_for

Size = tuple[int, int]


def spec(width: int | None, height: int | None, fit: Fit = Fit.INSIDE) -> RenderSpec:
    return RenderSpec(width, height, fit, OutputFormat.PNG, None)


def output_size(src: Size, width: int | None, height: int | None, fit: Fit = Fit.INSIDE) -> Size:
    return plan_for(*src, spec(width, height, fit)).size


@pytest.mark.parametrize(
    ("src", "width", "height", "expected"),
    [
        ((2560, 1600), 300, None, (300, 188)),  # 187.5 rounds half up
        ((1600, 2560), None, 300, (188, 300)),
        ((600, 450), 300, None, (300, 225)),
        ((940, 2), 300, None, (300, 1)),  # 0.64 px: never below 1
        ((2, 940), None, 300, (1, 300)),
        ((200, 101), 100, None, (100, 51)),  # 50.5 -> 51
        ((200, 99), 100, None, (100, 50)),  # 49.5 -> 50
        ((200, 97), 100, None, (100, 49)),  # 48.5 -> 49
        ((300, 200), 600, None, (300, 200)),  # no enlargement
        ((300, 200), None, 400, (300, 200)),
        ((1, 1), 300, None, (1, 1)),
        ((9643, 10328), 300, None, (300, 321)),
    ],
)
def test_one_dimension(src: Size, width: int | None, height: int | None, expected: Size) -> None:
    assert output_size(src, width, height) == expected


@pytest.mark.parametrize("fit", list(Fit))
@pytest.mark.parametrize(("width", "height"), [(300, None), (None, 300)])
def test_one_dimension_ignores_the_fit(fit: Fit, width: int | None, height: int | None) -> None:
    assert plan_for(2560, 1600, spec(width, height, fit)) == plan_for(2560, 1600, spec(width, height))


@pytest.mark.parametrize(
    ("fit", "src", "box", "expected"),
    [
        # inside: both sides within the box
        (Fit.INSIDE, (2560, 1600), (300, 300), (300, 188)),
        (Fit.INSIDE, (1600, 2560), (300, 300), (188, 300)),
        (Fit.INSIDE, (2560, 1600), (1000, 200), (320, 200)),
        (Fit.INSIDE, (200, 100), (400, 400), (200, 100)),  # smaller than the box: unchanged
        # outside: both sides cover the box
        (Fit.OUTSIDE, (2560, 1600), (300, 300), (480, 300)),
        (Fit.OUTSIDE, (1600, 2560), (300, 300), (300, 480)),
        (Fit.OUTSIDE, (2560, 1600), (1000, 200), (1000, 625)),
        (Fit.OUTSIDE, (200, 100), (150, 150), (200, 100)),  # would need enlarging: unchanged
        (Fit.OUTSIDE, (400, 100), (150, 150), (400, 100)),
        # cover: exactly the box whenever the source covers it
        (Fit.COVER, (2560, 1600), (300, 300), (300, 300)),
        (Fit.COVER, (1600, 2560), (300, 200), (300, 200)),
        (Fit.COVER, (2560, 1600), (1000, 200), (1000, 200)),
        (Fit.COVER, (200, 100), (150, 150), (150, 100)),  # too small to cover: cropped, not enlarged
        (Fit.COVER, (940, 2), (300, 300), (300, 2)),
        # contain: always exactly the box
        (Fit.CONTAIN, (2560, 1600), (300, 300), (300, 300)),
        (Fit.CONTAIN, (200, 100), (400, 400), (400, 400)),
        (Fit.CONTAIN, (940, 2), (300, 300), (300, 300)),
        # fill: each axis on its own
        (Fit.FILL, (2560, 1600), (300, 300), (300, 300)),
        (Fit.FILL, (2560, 1600), (3000, 300), (2560, 300)),
        (Fit.FILL, (200, 100), (400, 400), (200, 100)),
    ],
)
def test_output_size_per_fit(fit: Fit, src: Size, box: Size, expected: Size) -> None:
    assert output_size(src, *box, fit) == expected


@pytest.mark.parametrize(
    ("fit", "src", "box", "expected"),
    [
        (Fit.INSIDE, (2560, 1600), (300, 300), Plan((300, 188), (0, 0, 300, 188), (300, 188), (0, 0))),
        (Fit.OUTSIDE, (2560, 1600), (300, 300), Plan((480, 300), (0, 0, 480, 300), (480, 300), (0, 0))),
        (Fit.COVER, (2560, 1600), (300, 300), Plan((480, 300), (90, 0, 390, 300), (300, 300), (0, 0))),
        (Fit.COVER, (1600, 2560), (300, 300), Plan((300, 480), (0, 90, 300, 390), (300, 300), (0, 0))),
        (Fit.COVER, (301, 100), (300, 100), Plan((301, 100), (0, 0, 300, 100), (300, 100), (0, 0))),  # odd px right
        (Fit.COVER, (200, 100), (150, 150), Plan((200, 100), (25, 0, 175, 100), (150, 100), (0, 0))),
        (Fit.CONTAIN, (2560, 1600), (300, 300), Plan((300, 188), (0, 0, 300, 188), (300, 300), (0, 56))),
        (Fit.CONTAIN, (1600, 2560), (300, 300), Plan((188, 300), (0, 0, 188, 300), (300, 300), (56, 0))),
        (Fit.CONTAIN, (200, 100), (400, 400), Plan((200, 100), (0, 0, 200, 100), (400, 400), (100, 150))),
        (Fit.CONTAIN, (300, 300), (300, 300), Plan((300, 300), (0, 0, 300, 300), (300, 300), (0, 0))),
        (Fit.FILL, (2560, 1600), (300, 300), Plan((300, 300), (0, 0, 300, 300), (300, 300), (0, 0))),
    ],
)
def test_plans(fit: Fit, src: Size, box: Size, expected: Plan) -> None:
    assert plan_for(*src, spec(*box, fit)) == expected


@pytest.mark.parametrize(
    ("src", "box", "canvas"),
    [
        ((2, 2), (3840, 3840), (1024, 1024)),  # a tiny original never buys 14.7 MP of padding
        ((2, 2), (3840, 2160), (1365, 768)),  # the box's aspect ratio is kept
        ((2, 2), (1024, 1024), (1024, 1024)),  # up to 1 MP of canvas is always allowed
        ((600, 600), (1200, 1200), (1200, 1200)),  # 4x the image's pixels is allowed
        ((600, 600), (1201, 1201), (1200, 1200)),  # beyond both, the canvas shrinks to 4x the image
        ((3840, 10), (3840, 3840), (3840, 1024)),  # never narrower than the image
    ],
)
def test_contain_caps_the_padding_relative_to_the_image(src: Size, box: Size, canvas: Size) -> None:
    plan = plan_for(*src, spec(*box, Fit.CONTAIN))
    assert plan.canvas == canvas
    assert plan.resize == src  # the image itself is unchanged
    assert plan.offset == ((canvas[0] - src[0]) // 2, (canvas[1] - src[1]) // 2)


def test_padded_only_when_the_image_does_not_fill_the_canvas() -> None:
    assert plan_for(2560, 1600, spec(300, 300, Fit.CONTAIN)).padded
    assert not plan_for(2560, 1600, spec(300, 188, Fit.CONTAIN)).padded
    assert not plan_for(2560, 1600, spec(300, 300, Fit.COVER)).padded


@pytest.mark.parametrize(
    ("orientation", "expected"),
    [(0, (600, 450)), (1, (600, 450)), (2, (600, 450)), (3, (600, 450)), (4, (600, 450)),
     (5, (450, 600)), (6, (450, 600)), (7, (450, 600)), (8, (450, 600)), (9, (600, 450))],
)  # fmt: skip
def test_oriented_size_swaps_for_5_to_8(orientation: int, expected: Size) -> None:
    assert oriented_size((600, 450), orientation) == expected
    assert oriented_size(oriented_size((600, 450), orientation), orientation) == (600, 450)


def test_phone_portrait_width_applies_after_rotation() -> None:
    displayed = oriented_size((1800, 1200), 6)
    assert output_size(displayed, 300, None) == (300, 450)


@pytest.mark.parametrize(
    ("src", "width", "height"),
    [((0, 10), 5, None), ((10, 0), 5, None), ((10, 10), None, None), ((10, 10), 0, None), ((10, 10), 5, -1)],
)
def test_rejects_broken_inputs(src: Size, width: int | None, height: int | None) -> None:
    with pytest.raises(ValueError, match=r"must be positive|needs a width"):
        plan_for(*src, spec(width, height))


SIDES = st.integers(min_value=1, max_value=20_000)
BOX = st.integers(min_value=1, max_value=4096)


@given(src_w=SIDES, src_h=SIDES, width=BOX, height=BOX, fit=st.sampled_from(Fit))
def test_invariants(src_w: int, src_h: int, width: int, height: int, fit: Fit) -> None:
    plan = plan_for(src_w, src_h, spec(width, height, fit))
    rw, rh = plan.resize
    left, top, right, bottom = plan.crop
    cw, ch = plan.canvas
    assert 1 <= rw <= src_w  # never enlarged, never empty
    assert 1 <= rh <= src_h
    assert 0 <= left < right <= rw
    assert 0 <= top < bottom <= rh
    assert plan.offset[0] + right - left <= cw
    assert plan.offset[1] + bottom - top <= ch
    if fit is Fit.CONTAIN:
        # The box, unless its padding would multiply the image's pixels by more than 4 beyond 1 MP: then no
        # larger than the box, no smaller than the image, and within that area unless the image forces more.
        limit = max(4 * rw * rh, 1024 * 1024)
        if width * height <= limit:
            assert plan.canvas == (width, height)
        else:
            assert rw <= cw <= width
            assert rh <= ch <= height
            assert cw * ch <= limit or cw == rw or ch == rh
    elif fit in (Fit.INSIDE, Fit.COVER, Fit.FILL):
        assert cw <= width
        assert ch <= height
    if fit is Fit.COVER and src_w >= width and src_h >= height:
        assert plan.canvas == (width, height)
    if fit is Fit.OUTSIDE and plan.resize != (src_w, src_h):
        assert rw >= width
        assert rh >= height


@given(src_w=SIDES, src_h=SIDES, width=BOX)
def test_width_only_matches_the_formula(src_w: int, src_h: int, width: int) -> None:
    out_w = min(width, src_w)
    # round half up of src_h * out_w / src_w, in integers
    out_h = max(1, (2 * src_h * out_w + src_w) // (2 * src_w))
    assert output_size((src_w, src_h), width, None) == (out_w, out_h)


def test_no_float_drift_on_large_sources() -> None:
    big = sys.maxsize // 4
    assert output_size((big, big // 2), 1000, None) == (1000, 500)
