"""Every pixel mode Pillow can produce from the formats imgedge accepts either renders or gets a truthful 4xx.

The table is Pillow's own list of modes (``PIL.Image.MODES``, not a list kept here): each mode is built
with ``Image.new``, saved in every accepted source format whose encoder takes that mode, and rendered to every
output format. The oracle is independent of the pipeline: the output decodes, has the requested width, and its
mode is one the output format holds; or the failure is a 4xx that does not call a valid file corrupt.
"""

import io

import pytest
from PIL import Image

from edge.errors import EdgeError
from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import render
from edge.render.decode import Limits
from edge.render.steps import normalise_mode

#: Source formats imgedge accepts that Pillow can write (GIF, PNG, JPEG, WebP, TIFF, AVIF).
SOURCE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "TIFF", "AVIF")
#: The modes each output format may hold.
OUTPUT_MODES = {
    OutputFormat.JPEG: {"L", "RGB"},
    OutputFormat.PNG: {"L", "LA", "RGB", "RGBA", "P"},
    OutputFormat.WEBP: {"RGB", "RGBA"},
    OutputFormat.AVIF: {"L", "RGB", "RGBA"},
}
PIPELINE_MODES = {"L", "LA", "RGB", "RGBA", "CMYK"}
ALL_MODES = sorted(Image.MODES)


def _image(mode: str) -> Image.Image | None:
    try:
        image = Image.new(mode, (64, 48))
    except (ValueError, OSError):
        return None
    # A block of another value, so that resizing has edges to filter.
    bands = len(image.getbands())
    image.paste(200 if bands == 1 else (200,) * bands, (16, 8, 48, 40))
    return image


@pytest.mark.parametrize("mode", ALL_MODES)
def test_every_mode_normalises_to_a_pipeline_mode(mode: str) -> None:
    image = _image(mode)
    if image is None:
        pytest.skip(f"Pillow cannot create mode {mode} in memory")
    assert normalise_mode(image, None).mode in PIPELINE_MODES  # type: ignore[arg-type]


def _encoded(mode: str) -> list[tuple[str, bytes]]:
    image = _image(mode)
    if image is None:
        return []
    files = []
    for fmt in SOURCE_FORMATS:
        buffer = io.BytesIO()
        try:
            image.save(buffer, fmt)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # this encoder does not take this mode
        files.append((fmt, buffer.getvalue()))
    return files


CASES = [(mode, fmt, data) for mode in ALL_MODES for fmt, data in _encoded(mode)]


@pytest.mark.parametrize(("mode", "source", "data"), CASES, ids=[f"{m}-{f}" for m, f, _ in CASES])
def test_every_mode_pillow_writes_renders_or_is_a_truthful_4xx(mode: str, source: str, data: bytes) -> None:
    for output in OutputFormat:
        spec = RenderSpec(32, None, Fit.INSIDE, output, None if output is OutputFormat.PNG else 60)
        refused: EdgeError | None = None
        try:
            rendered = render(data, spec, Limits(10**8, 10**8))
        except EdgeError as err:
            refused = err
        if refused is not None:
            assert 400 <= refused.status < 500, (mode, source, output, refused)
            assert "corrupt" not in refused.reason, (mode, source, output, refused.reason, refused.detail)
            continue
        out = Image.open(io.BytesIO(rendered.body))
        assert out.format == output.name, (mode, source, output)
        assert out.width == 32
        assert out.mode in OUTPUT_MODES[output], (mode, source, output, out.mode)
