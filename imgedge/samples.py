"""A small generated set of originals, so that ``imgedge serve`` needs no images on its first run.

Each sample exercises something the renderer must get right: a photo-like JPEG (smooth gradients and noise,
where formats differ most in bytes), a PNG logo with transparency (kept in AVIF, WebP and PNG, flattened on
white in JPEG) and a portrait JPEG whose pixels are stored sideways with EXIF orientation 6 (a variant that
shows the arrow pointing up proves the orientation was applied). Generation is deterministic and takes well
under a second.
"""

import io
import random
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True, slots=True)
class Sample:
    """One generated original: its S3 key, bytes, content type and a one-line description."""

    key: str
    body: bytes
    content_type: str
    description: str


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _photo(width: int = 1600, height: int = 1067) -> Image.Image:
    """A landscape: sky gradient, sun, layered hills and grain, so it compresses like a photograph."""
    horizontal = Image.linear_gradient("L").rotate(90).resize((width, height))
    vertical = Image.linear_gradient("L").resize((width, height))
    red = ImageChops.add(vertical.point(lambda v: 40 + v * 0.75), horizontal.point(lambda v: v * 0.15))
    green = vertical.point(lambda v: 90 + v * 0.45)
    blue = ImageChops.subtract(Image.new("L", (width, height), 235), vertical.point(lambda v: v * 0.55))
    image = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(image)
    sun = (int(width * 0.72), int(height * 0.3), int(height * 0.11))
    for step in range(24, 0, -1):
        radius = sun[2] * (1 + step / 20)
        shade = 255 - step * 3
        draw.ellipse(
            (sun[0] - radius, sun[1] - radius, sun[0] + radius, sun[1] + radius),
            fill=(255, shade, 150 + step * 2),
        )
    for index, (base, colour) in enumerate(
        [(0.62, (70, 110, 90)), (0.72, (45, 85, 60)), (0.84, (30, 60, 40)), (0.95, (20, 40, 28))]
    ):
        points = [(0, height)]
        for x in range(0, width + 80, 80):
            wave = ((x * (index + 3)) % 230) / 230 - 0.5
            points.append((x, int(height * (base - 0.06 * wave - 0.04 * ((x / width) - 0.5) ** 2))))
        points.append((width, height))
        draw.polygon(points, fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    # Seeded grain (``Image.effect_noise`` is not reproducible), so the sample bytes are the same on every run.
    noise = Image.frombytes("L", (width, height), random.Random(1).randbytes(width * height))  # noqa: S311 - not security
    return Image.blend(image, noise.convert("RGB"), 0.04)


def _logo(width: int = 800, height: int = 400) -> Image.Image:
    """A transparent PNG logo: soft shadow, translucent circles and the word "imgedge"."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    shadow = Image.new("L", (width, height), 0)
    ImageDraw.Draw(shadow).rounded_rectangle((40, 50, width - 40, height - 30), radius=60, fill=110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(14))
    image.paste((20, 20, 40, 255), (0, 0), shadow)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((30, 30, width - 50, height - 50), radius=56, fill=(255, 153, 0, 235))
    for index, colour in enumerate([(35, 47, 62, 200), (0, 120, 212, 170), (255, 255, 255, 150)]):
        x = 90 + index * 60
        draw.ellipse((x, 110, x + 140, 250), fill=colour)
    draw.text((320, 130), "imgedge", font=_font(96), fill=(35, 47, 62, 255))
    draw.text((326, 245), "resized at the edge", font=_font(34), fill=(35, 47, 62, 200))
    return image


def _portrait(width: int = 900, height: int = 1200) -> Image.Image:
    """An upright portrait card with an arrow pointing up and the word UP at the top."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image = Image.merge(
        "RGB",
        (
            image.getchannel(0).point(lambda v: 60 + v // 2),
            image.getchannel(0).point(lambda v: 30 + v // 3),
            Image.new("L", (width, height), 120),
        ),
    )
    draw = ImageDraw.Draw(image)
    centre = width // 2
    draw.polygon([(centre, 120), (centre - 220, 420), (centre + 220, 420)], fill=(255, 230, 90))
    draw.rectangle((centre - 90, 420, centre + 90, 900), fill=(255, 230, 90))
    draw.text((centre, 980), "UP", font=_font(160), fill=(255, 255, 255), anchor="mt")
    draw.text((centre, 40), "EXIF orientation 6", font=_font(48), fill=(255, 255, 255), anchor="mt")
    return image


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _sideways_jpeg(upright: Image.Image) -> bytes:
    """JPEG bytes whose pixels are ``upright`` turned 90 degrees anticlockwise, tagged orientation 6 ("rotate
    90 CW to display"), so that only a viewer honouring EXIF shows it upright."""
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[_EXIF_ORIENTATION] = 6
    return _encode(stored, "JPEG", quality=88, exif=exif.tobytes())


@cache
def sample_originals() -> tuple[Sample, ...]:
    """The generated originals, in display order (generated once per process)."""
    return (
        Sample(
            "photos/landscape.jpg",
            _encode(_photo(), "JPEG", quality=90),
            "image/jpeg",
            "photo-like JPEG, 1600x1067: gradients, blur and grain",
        ),
        Sample(
            "logos/imgedge-logo.png",
            _encode(_logo(), "PNG", optimize=True),
            "image/png",
            "PNG logo with transparency, 800x400",
        ),
        Sample(
            "photos/portrait-exif6.jpg",
            _sideways_jpeg(_portrait()),
            "image/jpeg",
            "portrait JPEG stored sideways with EXIF orientation 6 (displays 900x1200)",
        ),
    )
