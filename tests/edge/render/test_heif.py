"""HEIF/HEIC originals (iPhone photos) render through Pillow with the pillow-heif plugin: orientation, alpha and
10-bit honoured, a corrupt file a 4xx. The test files are made here with pillow-heif's own encoder (x265)."""

import io
import struct
import subprocess
import sys

import pillow_heif
import pytest
from PIL import Image

from edge.errors import EdgeError, InvalidImage
from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import render
from edge.render.decode import ACCEPTED_FORMATS, Limits, is_heif, open_image

LIMITS = Limits(10**8, 10**8)
RED, BLUE = (200, 30, 30), (0, 0, 255)


def heif(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, quality=90, **options)
    return buffer.getvalue()


def marked() -> Image.Image:
    """64x48, red, with a blue band on its left edge (so orientation is visible)."""
    image = Image.new("RGB", (64, 48), RED)
    image.paste(BLUE, (0, 0, 12, 48))
    return image


def decoded(body: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


@pytest.mark.parametrize("output", list(OutputFormat))
def test_a_heic_renders_to_every_output_format(output: OutputFormat) -> None:
    data = heif(marked())
    assert is_heif(data)
    assert "HEIF" in ACCEPTED_FORMATS
    rendered = render(
        data, RenderSpec(32, None, Fit.INSIDE, output, None if output is OutputFormat.PNG else 80), LIMITS
    )
    image = decoded(rendered.body)
    assert (image.format, image.size) == (output.name, (32, 24))
    left, right = image.convert("RGB").getpixel((1, 12)), image.convert("RGB").getpixel((30, 12))
    assert isinstance(left, tuple)
    assert isinstance(right, tuple)
    assert left[2] > 150
    assert right[0] > 150


def test_the_exif_orientation_of_a_heic_is_honoured() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 clockwise to display
    buffer = io.BytesIO()
    pillow_heif.register_heif_opener()
    marked().save(buffer, format="HEIF", exif=exif.tobytes(), quality=90)
    rendered = render(buffer.getvalue(), RenderSpec(24, None, Fit.INSIDE, OutputFormat.PNG, None), LIMITS)
    image = decoded(rendered.body).convert("RGB")
    assert image.size == (24, 32)  # displayed upright: 48x64
    top = image.getpixel((12, 1))
    assert isinstance(top, tuple)
    assert top[2] > 150


def test_a_heic_with_alpha_keeps_it() -> None:
    data = heif(Image.new("RGBA", (64, 48), (*RED, 100)))
    image = decoded(render(data, RenderSpec(32, None, Fit.INSIDE, OutputFormat.PNG, None), LIMITS).body)
    assert image.mode == "RGBA"
    alpha = image.getpixel((16, 12))
    assert isinstance(alpha, tuple)
    assert 80 <= alpha[3] <= 120


def test_a_10_bit_heic_renders() -> None:
    width, height = 64, 48
    raw = b"".join(struct.pack("<HHH", (x * 1023 // width) << 6, 0, 40000) for _ in range(height) for x in range(width))
    buffer = io.BytesIO()
    pillow_heif.from_bytes(mode="RGB;16", size=(width, height), data=raw).save(buffer, quality=90)
    assert pillow_heif.open_heif(io.BytesIO(buffer.getvalue()), convert_hdr_to_8bit=False).info["bit_depth"] == 10
    image = decoded(render(buffer.getvalue(), RenderSpec(32, None, Fit.INSIDE, OutputFormat.WEBP, 80), LIMITS).body)
    assert image.size == (32, 24)


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_corrupt_heic_is_a_4xx(cut: float) -> None:
    data = heif(marked())
    with pytest.raises(EdgeError) as refused:
        render(data[: int(len(data) * cut)], RenderSpec(32, None, Fit.INSIDE, OutputFormat.JPEG, 80), LIMITS)
    assert 400 <= refused.value.status < 500
    with pytest.raises(InvalidImage):
        open_image(data[:200], LIMITS)


def test_only_a_heif_original_imports_the_plugin() -> None:
    script = (
        "import io, sys\n"
        "from PIL import Image\n"
        "from edge.render import render\n"
        "from edge.render.decode import Limits\n"
        "from edge.options import Fit, OutputFormat, RenderSpec\n"
        "b = io.BytesIO(); Image.new('RGB', (8, 8)).save(b, 'PNG')\n"
        "render(b.getvalue(), RenderSpec(4, None, Fit.INSIDE, OutputFormat.PNG, None), Limits(10**6, 10**6))\n"
        "print('pillow_heif' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "False"
