"""The generated sample originals."""

import io

from PIL import Image, ImageOps

from edge.config import Config
from imgedge.bucket import sniff_content_type
from imgedge.samples import sample_originals


def test_samples() -> None:
    samples = {sample.key: sample for sample in sample_originals()}
    assert list(samples) == ["photos/landscape.jpg", "logos/imgedge-logo.png", "photos/portrait-exif6.jpg"]
    for sample in samples.values():
        assert sniff_content_type(sample.body, Config()) == sample.content_type

    logo = Image.open(io.BytesIO(samples["logos/imgedge-logo.png"].body))
    assert logo.mode == "RGBA"
    alpha = logo.getchannel("A")
    assert alpha.getextrema() == (0, 255)

    portrait = Image.open(io.BytesIO(samples["photos/portrait-exif6.jpg"].body))
    assert portrait.size == (1200, 900)
    assert portrait.getexif()[0x0112] == 6
    upright = ImageOps.exif_transpose(portrait)
    assert upright.size == (900, 1200)
    # The arrow (yellow) is at the top of the upright image.
    red, green, blue = upright.convert("RGB").getpixel((450, 300))  # type: ignore[misc]
    assert min(red, green) > 200
    assert blue < 150


def test_samples_are_deterministic() -> None:
    first = [sample.body for sample in sample_originals()]
    sample_originals.cache_clear()
    assert [sample.body for sample in sample_originals()] == first
