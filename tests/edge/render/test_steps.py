"""edge.render.steps: each step on generated images whose answer is known."""

import io
import struct
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import geometry
from edge.render.context import Context
from edge.render.geometry import Plan
from edge.render.steps import (
    STEPS,
    apply_steps,
    crop,
    flatten,
    normalise_mode,
    pad,
    resize,
    srgb_transform,
    strip_metadata,
    to_srgb,
)

Colorant = tuple[float, float, float]
Matrix = tuple[Colorant, Colorant, Colorant]

# D50-adapted colorants (rXYZ, gXYZ, bXYZ) of Apple's Display P3 profile.
DISPLAY_P3: Matrix = ((0.515121, 0.241196, -0.001053), (0.291977, 0.692245, 0.041885), (0.157104, 0.066574, 0.784073))
D50: Colorant = (0.9642, 1.0, 0.8249)


# --- a tiny ICC v2 writer: matrix/TRC RGB and grey profiles with known maths --------------------------------


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(value: Colorant) -> bytes:
    return b"XYZ \x00\x00\x00\x00" + b"".join(_s15(v) for v in value)


def _curve(gamma: float) -> bytes:
    return b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(gamma * 256)) + b"\x00\x00"


def _desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\x00"
    return b"desc\x00\x00\x00\x00" + struct.pack(">I", len(ascii_text)) + ascii_text + bytes(4 + 4 + 2 + 1 + 67)


def icc_profile(space: str, tags: dict[bytes, bytes]) -> bytes:
    """An ICC v2 display profile in ``space`` (``RGB`` or ``GRAY``) with XYZ connection space and ``tags``."""
    entries, blobs, offset = [], [], 128 + 4 + 12 * len(tags)
    for signature, blob in tags.items():
        padded = blob + bytes(-len(blob) % 4)
        entries.append(signature + struct.pack(">II", offset, len(blob)))
        blobs.append(padded)
        offset += len(padded)
    header = (
        struct.pack(">I", offset)
        + b"lcms"
        + struct.pack(">I", 0x02100000)
        + b"mntr"
        + space.ljust(4).encode("ascii")
        + b"XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + bytes(24)  # platform, flags, manufacturer, model, attributes
        + struct.pack(">I", 0)  # rendering intent
        + b"".join(_s15(v) for v in D50)
        + bytes(4 + 16 + 28)  # creator, profile ID, reserved
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + b"".join(entries) + b"".join(blobs)


def rgb_profile(name: str, colorants: Matrix, gamma: float) -> bytes:
    curve = _curve(gamma)
    return icc_profile(
        "RGB",
        {
            b"desc": _desc(name),
            b"wtpt": _xyz(D50),
            b"rXYZ": _xyz(colorants[0]),
            b"gXYZ": _xyz(colorants[1]),
            b"bXYZ": _xyz(colorants[2]),
            b"rTRC": curve,
            b"gTRC": curve,
            b"bTRC": curve,
        },
    )


def grey_profile(gamma: float) -> bytes:
    return icc_profile("GRAY", {b"desc": _desc(f"Grey gamma {gamma}"), b"wtpt": _xyz(D50), b"kTRC": _curve(gamma)})


def srgb_colorants() -> Matrix:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).profile
    colorants = []
    for colorant in (profile.red_colorant, profile.green_colorant, profile.blue_colorant):
        assert colorant is not None
        colorants.append(colorant[0])
    return colorants[0], colorants[1], colorants[2]


def srgb_bytes() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# --- colour maths for the expected values ---------------------------------------------------------------------


def apply_matrix(columns: Matrix, vector: Colorant) -> Colorant:
    x, y, z = (sum(columns[c][r] * vector[c] for c in range(3)) for r in range(3))
    return x, y, z


def invert(columns: Matrix) -> Matrix:
    (a, d, g), (b, e, h), (c, f, i) = columns  # columns -> rows a b c / d e f / g h i
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    rows = (
        ((e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det),
        ((f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det),
        ((d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det),
    )
    return (
        (rows[0][0], rows[1][0], rows[2][0]),
        (rows[0][1], rows[1][1], rows[2][1]),
        (rows[0][2], rows[1][2], rows[2][2]),
    )


def srgb_encode(linear: float) -> int:
    linear = min(max(linear, 0.0), 1.0)
    value = 12.92 * linear if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055
    return round(value * 255)


def expected_srgb(pixel: tuple[int, int, int], colorants: Matrix, gamma: float) -> tuple[int, ...]:
    gamma = round(gamma * 256) / 256  # u8Fixed8, as stored in the profile
    linear: Colorant = (pixel[0] / 255) ** gamma, (pixel[1] / 255) ** gamma, (pixel[2] / 255) ** gamma
    out = apply_matrix(invert(srgb_colorants()), apply_matrix(colorants, linear))
    return tuple(srgb_encode(v) for v in out)


# --- helpers --------------------------------------------------------------------------------------------------


def context(
    plan: Plan | None = None, fmt: OutputFormat = OutputFormat.PNG, icc_profile: bytes | None = None
) -> Context:
    return Context(plan or Plan((8, 8), (0, 0, 8, 8), (8, 8), (0, 0)), fmt, icc_profile)


def plan_for(size: tuple[int, int], width: int, height: int | None, fit: Fit = Fit.INSIDE) -> Plan:
    return geometry.plan_for(*size, RenderSpec(width, height, fit, OutputFormat.PNG, None))


def solid(mode: str, colour: int | tuple[int, ...], size: tuple[int, int] = (8, 8)) -> Image.Image:
    return Image.new(mode, size, colour)


def close(actual: object, expected: tuple[int, ...], tolerance: int = 2) -> bool:
    assert isinstance(actual, tuple)
    return len(actual) == len(expected) and all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


# --- normalise_mode -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I;16L", "I"])
def test_sixteen_bit_is_scaled_not_clipped(mode: str) -> None:
    image = Image.new(mode, (4, 1))
    for x, value in enumerate((0, 1000, 30000, 65535)):
        image.putpixel((x, 0), value)
    result = normalise_mode(image, context())
    assert result.mode == "L"
    assert result.get_flattened_data() == (0, 4, 117, 255)


def test_palette_with_transparency_becomes_rgba() -> None:
    image = Image.new("P", (2, 1))
    image.putpalette([255, 0, 0, 0, 0, 255])
    image.putpixel((1, 0), 1)
    image.info["transparency"] = 1
    result = normalise_mode(image, context())
    assert result.mode == "RGBA"
    assert result.getpixel((0, 0)) == (255, 0, 0, 255)
    assert result.getpixel((1, 0))[3] == 0  # type: ignore[index]


def test_palette_with_transparency_bytes_becomes_rgba() -> None:
    image = Image.new("P", (2, 1))
    image.putpalette([255, 0, 0, 0, 0, 255])
    image.putpixel((1, 0), 1)
    image.info["transparency"] = b"\xff\x80"
    result = normalise_mode(image, context())
    assert result.mode == "RGBA"
    assert result.getpixel((1, 0)) == (0, 0, 255, 128)


def test_palette_without_transparency_becomes_rgb() -> None:
    image = Image.new("P", (1, 1))
    image.putpalette([10, 20, 30])
    result = normalise_mode(image, context())
    assert result.mode == "RGB"
    assert result.getpixel((0, 0)) == (10, 20, 30)


@pytest.mark.parametrize(
    ("mode", "colour", "info", "expected_mode", "expected_pixel"),
    [
        ("L", 90, {}, "L", 90),
        ("LA", (90, 30), {}, "LA", (90, 30)),
        ("RGB", (1, 2, 3), {}, "RGB", (1, 2, 3)),
        ("RGBA", (1, 2, 3, 4), {}, "RGBA", (1, 2, 3, 4)),
        ("CMYK", (0, 255, 255, 0), {}, "CMYK", (0, 255, 255, 0)),  # converted by to_srgb, after the resize
        ("1", 1, {}, "L", 255),
        ("PA", (0, 7), {}, "RGBA", (0, 0, 0, 7)),
        ("L", 90, {"transparency": 90}, "LA", (90, 0)),
        ("RGB", (1, 2, 3), {"transparency": (1, 2, 3)}, "RGBA", (1, 2, 3, 0)),
        ("RGB", (1, 2, 3), {"transparency": (9, 9, 9)}, "RGBA", (1, 2, 3, 255)),
        ("F", 300.0, {}, "L", 255),
        ("YCbCr", (128, 128, 128), {}, "RGB", (128, 128, 128)),
        ("RGBX", (1, 2, 3, 0), {}, "RGB", (1, 2, 3)),
        ("RGBa", (100, 50, 0, 255), {}, "RGBA", (100, 50, 0, 255)),
    ],
)
def test_normalise_mode(
    mode: str, colour: float | tuple[int, ...], info: dict[str, object], expected_mode: str, expected_pixel: object
) -> None:
    image = Image.new(mode, (2, 2), colour)
    image.info.update(info)
    result = normalise_mode(image, context())
    assert result.mode == expected_mode
    assert result.getpixel((1, 1)) == expected_pixel


def test_normalise_mode_returns_ready_images_untouched() -> None:
    image = solid("RGB", (1, 2, 3))
    assert normalise_mode(image, context()) is image


# --- resize and crop ------------------------------------------------------------------------------------------


def test_resize_to_the_plan() -> None:
    image = solid("RGB", (10, 200, 30), (640, 400))
    result = resize(image, context(plan_for(image.size, 300, None)))
    assert result.size == (300, 188)
    assert close(result.getpixel((150, 94)), (10, 200, 30), 1)
    same = context(plan_for(image.size, 1000, None))
    assert resize(image, same) is image


def test_resize_has_no_dark_halo_at_soft_alpha_edges() -> None:
    # Opaque white on the left, fully transparent *black* on the right: resizing straight (not premultiplied)
    # alpha would bleed the invisible black into the edge and grey it.
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((255, 255, 255, 255), (0, 0, 101, 100))
    result = resize(image, context(plan_for(image.size, 21, None)))
    edge = [result.getpixel((x, 5)) for x in range(result.width)]
    visible = [p for p in edge if isinstance(p, tuple) and 8 < p[3] < 250]
    assert visible, edge  # there is a soft edge
    assert all(min(p[:3]) >= 250 for p in visible), visible


def test_resize_la_keeps_grey_and_alpha() -> None:
    image = Image.new("LA", (100, 100), (200, 128))
    result = resize(image, context(plan_for(image.size, 10, None)))
    assert result.mode == "LA"
    assert close(result.getpixel((5, 5)), (200, 128), 1)  # premultiplied round trip: off by one at most


def test_cover_crops_the_centre() -> None:
    image = Image.new("RGB", (480, 300), (255, 0, 0))
    image.paste((0, 0, 255), (90, 0, 390, 300))
    plan = plan_for((2560, 1600), 300, 300, Fit.COVER)
    assert plan.resize == image.size
    result = crop(image, context(plan))
    assert result.size == (300, 300)
    assert result.getcolors() == [(90000, (0, 0, 255))]
    uncropped = context(plan_for((480, 300), 480, None))
    assert crop(image, uncropped) is image


# --- colour ---------------------------------------------------------------------------------------------------


def test_permuted_primaries_profile_is_converted() -> None:
    red, green, blue = srgb_colorants()
    swapped = rgb_profile("red and green swapped", (green, red, blue), 2.2)
    image = Image.new("RGB", (3, 1))
    for x, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        image.putpixel((x, 0), colour)
    result = to_srgb(image, context(icc_profile=swapped))
    assert result.mode == "RGB"
    assert close(result.getpixel((0, 0)), (0, 255, 0))
    assert close(result.getpixel((1, 0)), (255, 0, 0))
    assert close(result.getpixel((2, 0)), (0, 0, 255))


@pytest.mark.parametrize("pixel", [(200, 120, 80), (90, 160, 110), (128, 128, 128), (40, 60, 200)])
def test_display_p3_is_converted_to_srgb(pixel: tuple[int, int, int]) -> None:
    p3 = rgb_profile("Display P3 (gamma 2.2)", DISPLAY_P3, 2.2)
    result = to_srgb(Image.new("RGB", (2, 2), pixel), context(icc_profile=p3))
    expected = expected_srgb(pixel, DISPLAY_P3, 2.2)
    assert close(result.getpixel((1, 1)), expected, 2), (result.getpixel((1, 1)), expected)
    if pixel[0] != pixel[1]:
        assert result.getpixel((1, 1)) != pixel  # P3 colours are more saturated in sRGB numbers


def test_alpha_survives_the_conversion() -> None:
    p3 = rgb_profile("Display P3 (gamma 2.2)", DISPLAY_P3, 2.2)
    result = to_srgb(Image.new("RGBA", (2, 2), (200, 120, 80, 77)), context(icc_profile=p3))
    assert result.mode == "RGBA"
    pixel = result.getpixel((0, 0))
    assert isinstance(pixel, tuple)
    assert close(pixel[:3], expected_srgb((200, 120, 80), DISPLAY_P3, 2.2))
    assert pixel[3] == 77


@pytest.mark.parametrize(("mode", "colour"), [("L", 128), ("LA", (128, 40))])
def test_grey_profile_is_converted_and_stays_grey(mode: str, colour: int | tuple[int, int]) -> None:
    linear_grey = grey_profile(1.0)  # 128 means 50 % linear light, which sRGB encodes as 188
    result = to_srgb(Image.new(mode, (2, 2), colour), context(icc_profile=linear_grey))
    assert result.mode == mode
    pixel = result.getpixel((0, 0))
    assert close(pixel if isinstance(pixel, tuple) else (pixel,), (188, 40)[: len(mode)], 1)


def test_srgb_profile_is_left_alone() -> None:
    image = Image.new("RGB", (2, 2), (200, 120, 80))
    assert srgb_transform(srgb_bytes(), "RGB") is None
    assert to_srgb(image, context(icc_profile=srgb_bytes())) is image


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_no_profile_means_no_work(mode: str) -> None:
    image = Image.new(mode, (2, 2))
    assert to_srgb(image, context()) is image


def test_transforms_are_cached_per_profile() -> None:
    p3 = rgb_profile("Display P3 cached", DISPLAY_P3, 2.2)
    first = srgb_transform(p3, "RGB")
    hits = srgb_transform.cache_info().hits
    assert first is not None
    assert srgb_transform(p3, "RGB") is first
    assert srgb_transform.cache_info().hits == hits + 1


@pytest.mark.parametrize(
    "profile", [b"garbage", b"", rgb_profile("truncated", DISPLAY_P3, 2.2)[:200], grey_profile(2.2)]
)
def test_unusable_profile_falls_back_without_failing(profile: bytes) -> None:
    # grey_profile on an RGB image: a valid profile for the wrong colour space
    image = Image.new("RGB", (2, 2), (200, 120, 80))
    result = to_srgb(image, context(icc_profile=profile or None))
    assert result.getpixel((0, 0)) == (200, 120, 80)


def test_cmyk_without_profile_is_converted_plainly() -> None:
    result = to_srgb(Image.new("CMYK", (2, 2), (0, 255, 255, 0)), context())
    assert result.mode == "RGB"
    assert result.getpixel((0, 0)) == (255, 0, 0)


def test_cmyk_with_a_wrong_profile_falls_back_to_a_plain_conversion() -> None:
    p3 = rgb_profile("Display P3 (gamma 2.2)", DISPLAY_P3, 2.2)
    result = to_srgb(Image.new("CMYK", (2, 2), (255, 0, 255, 0)), context(icc_profile=p3))
    assert result.mode == "RGB"
    assert result.getpixel((0, 0)) == (0, 255, 0)


def test_adobe_inverted_cmyk_jpeg_round_trip() -> None:
    buffer = io.BytesIO()
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(buffer, "JPEG", quality=95)
    with Image.open(buffer) as reopened:
        reopened.load()
        assert reopened.mode == "CMYK"
        result = to_srgb(normalise_mode(reopened, context()), context())
    assert close(result.getpixel((8, 8)), (255, 0, 0), 6)


def test_cmyk_icc_profile_is_used(corpus_dir: Path) -> None:
    with Image.open(corpus_dir / "edge-cmyk-icc.jpg") as source:
        source.draft(None, (125, 84))
        source.load()
        profile = source.info["icc_profile"]
        small = source.copy()
    managed = to_srgb(small, context(icc_profile=profile))
    plain = to_srgb(small, context())
    assert managed.mode == plain.mode == "RGB"
    assert managed.size == small.size
    # SWOP ink on paper: a profile-managed conversion never reaches pure white or black, the naive one does
    low, high = zip(*managed.getextrema(), strict=True)
    assert max(high) < 255 or min(low) > 0
    assert managed.tobytes() != plain.tobytes()


# --- pad and flatten ------------------------------------------------------------------------------------------


def test_contain_pads_on_a_transparent_canvas() -> None:
    plan = plan_for((2560, 1600), 300, 300, Fit.CONTAIN)
    image = Image.new("RGB", plan.resize, (10, 20, 30))
    result = pad(image, context(plan))
    assert result.mode == "RGBA"
    assert result.size == (300, 300)
    assert result.getpixel((150, 10)) == (0, 0, 0, 0)  # top band
    assert result.getpixel((150, 150)) == (10, 20, 30, 255)
    assert result.getpixel((150, 299)) == (0, 0, 0, 0)  # bottom band
    assert result.getbbox() == (0, 56, 300, 244)


def test_pad_keeps_grey_as_la_and_skips_full_images() -> None:
    plan = plan_for((100, 50), 60, 60, Fit.CONTAIN)
    result = pad(Image.new("L", plan.resize, 77), context(plan))
    assert result.mode == "LA"
    assert result.getpixel((30, 30)) == (77, 255)
    full = Image.new("RGB", (60, 60))
    assert pad(full, context(plan)) is full


@pytest.mark.parametrize(
    ("mode", "pixel", "expected_mode", "expected"),
    [
        ("RGBA", (255, 0, 0, 0), "RGB", (255, 255, 255)),
        ("RGBA", (255, 0, 0, 255), "RGB", (255, 0, 0)),
        ("RGBA", (255, 0, 0, 128), "RGB", (255, 127, 127)),
        ("LA", (0, 128), "L", (127,)),
        ("LA", (0, 0), "L", (255,)),
    ],
)
def test_flatten_on_white_for_jpeg(
    mode: str, pixel: tuple[int, ...], expected_mode: str, expected: tuple[int, ...]
) -> None:
    result = flatten(Image.new(mode, (2, 2), pixel), context(fmt=OutputFormat.JPEG))
    assert result.mode == expected_mode
    actual = result.getpixel((0, 0))
    assert close(actual if isinstance(actual, tuple) else (actual,), expected, 1)


@pytest.mark.parametrize("fmt", [OutputFormat.PNG, OutputFormat.WEBP, OutputFormat.AVIF])
def test_other_formats_keep_alpha(fmt: OutputFormat) -> None:
    image = Image.new("RGBA", (2, 2), (255, 0, 0, 128))
    assert flatten(image, context(fmt=fmt)) is image


# --- metadata -------------------------------------------------------------------------------------------------


def test_strip_metadata_empties_info_and_keeps_pixels(metadata_jpeg: bytes) -> None:
    with Image.open(io.BytesIO(metadata_jpeg)) as source:
        source.load()
        assert source.info
        result = strip_metadata(source, context())
        assert result.info == {}
        assert dict(result.getexif()) == {}
        assert result.tobytes() == source.tobytes()
        assert source.info  # the input is untouched


# --- the pipeline ---------------------------------------------------------------------------------------------


def test_steps_run_in_the_documented_order() -> None:
    names = [step.__name__ for step in STEPS]
    assert names == [
        "normalise_mode",
        "resize",
        "orient",
        "crop",
        "to_srgb",
        "grayscale",
        "blur",
        "sharpen",
        "pad",
        "flatten",
        "apply_watermark",
        "strip_metadata",
    ]


@pytest.mark.parametrize(
    ("fmt", "fit", "expected_mode", "corner"),
    [
        (OutputFormat.PNG, Fit.CONTAIN, "RGBA", (0, 0, 0, 0)),
        (OutputFormat.JPEG, Fit.CONTAIN, "RGB", (255, 255, 255)),
        (OutputFormat.WEBP, Fit.COVER, "RGB", (0, 0, 200)),
    ],
)
def test_apply_steps(fmt: OutputFormat, fit: Fit, expected_mode: str, corner: tuple[int, ...]) -> None:
    image = Image.new("P", (400, 200))
    image.putpalette([0, 0, 200])
    image.info["comment"] = b"gone"
    plan = plan_for(image.size, 100, 100, fit)
    result = apply_steps(image, context(plan, fmt))
    assert result.size == (100, 100)
    assert result.mode == expected_mode
    assert result.getpixel((0, 0)) == corner
    assert result.info == {}
