"""The watermark holds through the real handlers (viewer-request, then origin-response against moto S3).

An attacker asks for everything a URL can express (cover crops at many focal points, full-resolution strips
and tiles, rotations and flops, dpr, every fit, the bare original) and keeps what comes back without the logo.
The oracle is independent of imgedge's code: the logo is a solid magenta square at full opacity (the photo has
no such pixel), the scale of each output follows from the documented fit semantics, and an output without the
logo must be a region of the whole photo downscaled by Pillow to under ``watermark_min_width`` on both sides.
So no region of the original can be recovered unwatermarked at more than thumbnail resolution.
"""

import base64
import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from edge.marker import MARKER_HEADER
from tests.conftest import TEST_BUCKET, Handlers, S3Client, config_with, origin_event, viewer_event

PHOTO = "photo-bythewater-2560x1600.jpg"
SOURCE_SIZE = (960, 600)
ORIGINAL = "photos/water.png"
LOGO_KEY = "brand/logo.png"
MAGENTA = (255, 0, 255)
THUMBNAIL = 400  # watermark_min_width
MATCH_LEVELS = 3.0  # mean difference (0-255) between an output and the independently resized photo
MARKED = config_with(watermark=LOGO_KEY, watermark_opacity=100, watermark_margin=0, watermark_min_width=THUMBNAIL)


@dataclass(frozen=True)
class Ask:
    """One request: its query and the rendering it asks for (after dpr), as the oracle needs it."""

    query: str
    width: int | None
    height: int | None
    fit: str = "inside"
    rotate: int = 0
    flop: bool = False


def _focus(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def attacks() -> list[Ask]:
    asks: list[Ask] = []
    grid = [i / 20 for i in range(21)]
    # 21 vertical and 6 horizontal full-resolution strips: together, the exact original (issue 12).
    asks += [Ask(f"w=64&h=3840&fit=cover&focus={_focus(x)},0.5", 64, 3840, "cover") for x in grid]
    asks += [Ask(f"w=3840&h=64&fit=cover&focus=0.5,{_focus(y)}", 3840, 64, "cover") for y in grid[::4]]
    # Cover crops at many focal points: 256 px tiles of the photo at 410x256, 100 px tiles of it at 160x100.
    quarters = [0, 0.25, 0.5, 0.75, 1]
    asks += [
        Ask(f"w=256&h=256&focus={_focus(x)},{_focus(y)}", 256, 256, "cover") for x in quarters for y in (0, 0.5, 1)
    ]
    asks += [Ask(f"w=100&h=100&focus={_focus(x)},0.5", 100, 100, "cover") for x in quarters]
    asks += [Ask("w=16&h=3840&gravity=east", 16, 3840, "cover"), Ask("w=16&h=16&gravity=east", 16, 16, "cover")]
    # Rotations, flips and flops turn the strips the other way.
    asks += [
        Ask("w=64&h=3840&rotate=90&focus=0.3,0.5", 64, 3840, "cover", rotate=90),
        Ask("w=3840&h=64&rotate=270&gravity=north", 3840, 64, "cover", rotate=270),
        Ask("w=64&h=3840&rotate=180&flop=1", 64, 3840, "cover", rotate=180, flop=True),
        Ask("w=64&h=3840&flip=1", 64, 3840, "cover", rotate=180, flop=True),
        Ask("w=64&h=3840&flop=1&gravity=west", 64, 3840, "cover", flop=True),
        Ask("w=100&h=100&rotate=90", 100, 100, "cover", rotate=90),
        Ask("w=300&rotate=90&flop=1", 300, None, rotate=90, flop=True),
    ]
    # dpr multiplies the box: 32 x 1920 at dpr 2 is a 64 px full-resolution strip.
    asks += [Ask("w=32&h=1920&dpr=2&focus=0.7,0.5", 64, 3840, "cover"), Ask("w=150&dpr=2", 300, None)]
    # Every fit, with a strip-shaped box.
    for fit in ("cover", "contain", "fill", "inside", "outside"):
        asks.append(Ask(f"w=384&h=3840&fit={fit}", 384, 3840, fit))
        asks.append(Ask(f"w=3840&h=64&fit={fit}", 3840, 64, fit))
    # contain pads the whole photo at full resolution: the logo must be on the photo, not on the padding.
    asks.append(Ask("w=1920&h=3840&fit=contain", 1920, 3840, "contain"))
    # Plain sizes on either side of the bound, and the bare original (with and without unrelated parameters).
    asks += [Ask("w=300", 300, None), Ask("w=384", 384, None), Ask("h=390", None, 390), Ask("w=1920", 1920, None)]
    asks += [Ask("", 1280, 1280), Ask("utm_source=mail", 1280, 1280)]
    return asks


def whole_source_at_output_scale(ask: Ask) -> tuple[int, int]:
    """The documented fit semantics (docs/url-api.md, "Watermark"): the size of the whole upright photo at the
    scale the output shows it (never enlarged; per axis for fill)."""
    sw, sh = SOURCE_SIZE if ask.rotate in (0, 180) else SOURCE_SIZE[::-1]
    one = Fraction(1)
    if ask.height is None or ask.width is None:
        side, full = (ask.width, sw) if ask.height is None else (ask.height, sh)
        assert side is not None
        scale = min(Fraction(side, full), one)
    elif ask.fit == "fill":
        return min(ask.width, sw), min(ask.height, sh)
    elif ask.fit in ("inside", "contain"):
        scale = min(Fraction(ask.width, sw), Fraction(ask.height, sh), one)
    else:
        scale = min(max(Fraction(ask.width, sw), Fraction(ask.height, sh)), one)
    return round(sw * scale), round(sh * scale)


def upright_photo(photo: Image.Image, ask: Ask) -> Image.Image:
    clockwise = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    turned = photo.transpose(clockwise[ask.rotate]) if ask.rotate else photo
    return turned.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if ask.flop else turned


def best_match(output: Image.Image, reference: Image.Image) -> float:
    """The smallest mean difference between ``output`` and any same-sized region of ``reference``."""
    if output.width > reference.width or output.height > reference.height:
        return 255.0
    best = 255.0
    for left in range(reference.width - output.width + 1):
        for top in range(reference.height - output.height + 1):
            region = reference.crop((left, top, left + output.width, top + output.height))
            best = min(best, sum(ImageStat.Stat(ImageChops.difference(output, region)).mean) / 3)
    return best


def magenta_mask(image: Image.Image) -> Image.Image:
    """255 where an RGB pixel is the logo's magenta, else 0."""
    red, green, blue = (band.point(lambda v, lo=lo: 255 if lo[0] <= v <= lo[1] else 0) for band, lo in
                        zip(image.split(), ((245, 255), (0, 10), (245, 255)), strict=True))  # fmt: skip
    return ImageChops.multiply(ImageChops.multiply(red, green), blue)


def magenta_pixels(image: Image.Image) -> int:
    mask = magenta_mask(image)
    return mask.width * mask.height - mask.histogram()[0]


def shown_box(output: Image.Image, ask: Ask, whole: tuple[int, int]) -> tuple[int, int, int, int]:
    """The box of the output that shows the photo: all of it, but for ``contain``, the whole photo centred on
    the padding (documented: the odd pixel on the right/bottom), where a misplaced logo would cover nothing."""
    if ask.fit != "contain" or ask.width is None or ask.height is None:
        return 0, 0, *output.size
    left, top = (output.width - whole[0]) // 2, (output.height - whole[1]) // 2
    return left, top, left + whole[0], top + whole[1]


@pytest.fixture
def photo(s3: S3Client, corpus_dir: Path) -> Image.Image:
    """The photo (a corpus JPEG, downscaled to 960x600) stored as the original, with a magenta logo (the watermark
    of ``MARKED``)."""
    with Image.open(corpus_dir / PHOTO) as opened:
        image = opened.convert("RGB").resize(SOURCE_SIZE, Image.Resampling.LANCZOS)
    assert magenta_pixels(image) == 0
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    s3.put_object(Bucket=TEST_BUCKET, Key=ORIGINAL, Body=buffer.getvalue(), ContentType="image/png")
    logo = io.BytesIO()
    Image.new("RGBA", (200, 200), (*MAGENTA, 255)).save(logo, "PNG")
    s3.put_object(Bucket=TEST_BUCKET, Key=LOGO_KEY, Body=logo.getvalue(), ContentType="image/png")
    return image


def fetch(handlers: Handlers, s3: S3Client, query: str) -> Image.Image:
    """What a viewer gets for ``/photos/water.png?{query}`` under ``MARKED``: the viewer-request decision, then S3
    (a pass-through serves the stored object as it is) or origin-response's render of the miss (or, when that
    redirects, the variant it stored)."""
    viewer_handler, origin_handler = handlers.viewer(MARKED), handlers.origin(MARKED)
    request: dict[str, Any] = viewer_handler(viewer_event(f"/{ORIGINAL}", query, accept="*/*"), None)
    assert "status" not in request, request.get("body")
    if request["uri"] == f"/{ORIGINAL}":  # passed through: CloudFront serves the original itself
        body = s3.get_object(Bucket=TEST_BUCKET, Key=ORIGINAL)["Body"].read()
    else:
        marker = request["headers"][MARKER_HEADER][0]["value"]
        response = origin_handler(origin_event(403, request["uri"], marker), None)
        if response["status"] == "302":  # too large to inline: stored, and served by S3 on the next request
            body = s3.get_object(Bucket=TEST_BUCKET, Key=request["uri"][1:])["Body"].read()
        else:
            assert response["status"] == "200", response.get("body")
            body = base64.b64decode(response["body"])
    with Image.open(io.BytesIO(body)) as image:
        return image.convert("RGBA")


def test_no_region_of_the_original_is_recovered_unwatermarked_above_thumbnail_resolution(
    s3: S3Client, photo: Image.Image, handlers: Handlers
) -> None:
    leaks: list[str] = []
    marked_thumbnails: list[str] = []
    for ask in attacks():
        output = fetch(handlers, s3, ask.query)  # Accept */* and a PNG original: PNG outputs, lossless
        flat = Image.new("RGB", output.size, (0, 0, 0))
        flat.paste(output.convert("RGB"), mask=output.getchannel("A"))
        whole = whole_source_at_output_scale(ask)
        shown = flat.crop(shown_box(output, ask, whole))
        thumbnail = whole[0] < THUMBNAIL and whole[1] < THUMBNAIL
        marked = magenta_pixels(shown) > 0  # on the photo itself, not on padding
        if marked:
            if thumbnail:
                marked_thumbnails.append(f"{ask.query} -> {output.size}, the photo at {whole[0]}x{whole[1]}")
            continue
        if not thumbnail:
            leaks.append(f"{ask.query or '(bare)'} -> {output.size}, the photo at {whole[0]}x{whole[1]}")
            continue
        # Unwatermarked: it must show nothing a Pillow thumbnail of the whole photo under the bound does not.
        reference = upright_photo(photo, ask).resize(whole, Image.Resampling.LANCZOS)
        assert best_match(shown, reference) < MATCH_LEVELS, ask.query
    assert leaks == []
    assert marked_thumbnails == []


def test_the_bare_original_is_a_watermarked_rendition_without_metadata(
    s3: S3Client, corpus_dir: Path, handlers: Handlers
) -> None:
    with Image.open(corpus_dir / PHOTO) as opened:
        exif = opened.getexif()
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0)}  # GPSInfo: latitude
        original = io.BytesIO()
        opened.save(original, "JPEG", exif=exif.tobytes(), quality=90)
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/gps.jpg", Body=original.getvalue(), ContentType="image/jpeg")
    logo = io.BytesIO()
    Image.new("RGBA", (200, 200), (*MAGENTA, 255)).save(logo, "PNG")
    s3.put_object(Bucket=TEST_BUCKET, Key=LOGO_KEY, Body=logo.getvalue(), ContentType="image/png")
    config = config_with(watermark=LOGO_KEY, watermark_opacity=100)
    viewer_handler, origin_handler = handlers.viewer(config), handlers.origin(config)

    request = viewer_handler(viewer_event("/photos/gps.jpg", "", accept="*/*"), None)
    assert request["uri"] == "/1280x1280-inside/photos/gps.jpg"
    response = origin_handler(origin_event(403, request["uri"], request["headers"][MARKER_HEADER][0]["value"]), None)
    assert response["status"] == "200"
    with Image.open(io.BytesIO(base64.b64decode(response["body"]))) as image:
        assert image.size == (1280, 800)
        assert not image.getexif()
        assert "exif" not in image.info
        assert magenta_pixels(image.convert("RGB")) > 0
    # Stored like any other variant.
    assert s3.head_object(Bucket=TEST_BUCKET, Key="1280x1280-inside/photos/gps.jpg")["ContentLength"] > 0


def test_deny_answers_a_bare_original_with_a_403(handlers: Handlers) -> None:
    viewer_handler = handlers.viewer(config_with(watermark=LOGO_KEY, watermark_passthrough="deny"))
    response = viewer_handler(viewer_event(f"/{ORIGINAL}", "utm_source=x"), None)
    assert response["status"] == "403"
    assert response["body"] == "originals are not served: ask for a size (w or h)\n"
