"""render() drops the decoded original before encoding: its pixels and the encoder's buffers never peak together."""

import gc
import io
import weakref
from collections.abc import Iterator

import pytest
from PIL import Image

from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import Limits, render
from edge.render.decode import Decoded
from edge.render.decode import decode as real_decode
from edge.render.encode import encode as real_encode
from tests.edge.render.pixels import png_bytes


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Reference counting alone must free the original: a reference cycle would keep it until a collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@pytest.mark.usefixtures("no_gc")
@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_the_decoded_original_is_gone_when_the_encoder_runs(
    fmt: OutputFormat, limits: Limits, monkeypatch: pytest.MonkeyPatch
) -> None:
    originals: list[weakref.ref[Image.Image]] = []
    alive_at_encode: list[bool] = []

    def decode(*args: object, **kwargs: object) -> Decoded:
        decoded = real_decode(*args, **kwargs)  # type: ignore[arg-type]
        originals.append(weakref.ref(decoded.image))
        return decoded

    def encode(image: Image.Image, fmt: OutputFormat, quality: int | None) -> bytes:
        alive_at_encode.append(originals[-1]() is not None)
        return real_encode(image, fmt, quality)

    # render() calls the names it imported into edge.render.
    monkeypatch.setattr("edge.render.decode", decode)
    monkeypatch.setattr("edge.render.encode", encode)
    data = png_bytes(Image.new("RGB", (400, 300), (10, 120, 200)))
    quality = None if fmt is OutputFormat.PNG else 60

    rendered = render(data, RenderSpec(100, None, Fit.INSIDE, fmt, quality), limits)

    assert (rendered.width, rendered.height, rendered.source_format) == (100, 75, "PNG")
    assert alive_at_encode == [False]


@pytest.mark.usefixtures("no_gc")
def test_an_original_the_steps_return_unchanged_is_encoded(limits: Limits) -> None:
    # Nothing to resize, convert or strip: the steps may hand the decoded image itself to the encoder.
    data = png_bytes(Image.new("RGB", (40, 30), (200, 20, 20)))

    rendered = render(data, RenderSpec(40, None, Fit.INSIDE, OutputFormat.PNG, None), limits)

    assert (rendered.width, rendered.height, rendered.source_format) == (40, 30, "PNG")
    with Image.open(io.BytesIO(rendered.body)) as image:
        assert image.getpixel((5, 5)) == (200, 20, 20)
