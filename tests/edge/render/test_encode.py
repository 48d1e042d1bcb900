"""edge.render.encode: per-format options, encoder modes, and outputs free of metadata."""

import io
import random

import pytest
from PIL import Image, JpegImagePlugin

from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import Limits, render
from edge.render.encode import (
    AVIF_AOM_OPTIONS,
    AVIF_CODEC,
    AVIF_QUALITY_KNOTS,
    AVIF_SPEED,
    PNG_COMPRESS_LEVEL,
    WEBP_METHOD,
    avif_quality,
    avif_threads,
    encode,
    encoder_mode,
    save_options,
    without_times,
)

LOSSY = [OutputFormat.JPEG, OutputFormat.WEBP, OutputFormat.AVIF]
PILLOW_NAME = {OutputFormat.JPEG: "JPEG", OutputFormat.WEBP: "WEBP", OutputFormat.AVIF: "AVIF", OutputFormat.PNG: "PNG"}


def quality_for(fmt: OutputFormat) -> int | None:
    return None if fmt is OutputFormat.PNG else 80


def reopen(body: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


def gradient(mode: str, size: tuple[int, int] = (64, 48)) -> Image.Image:
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.merge("RGB", (image.getchannel(0), image.getchannel(0).transpose(Image.Transpose.ROTATE_180),
                                Image.new("L", size, 90)))  # fmt: skip
    if mode in ("L", "LA"):
        image = image.convert("L")
    if mode in ("LA", "RGBA"):
        image.putalpha(Image.linear_gradient("L").resize(size))
    return image


@pytest.mark.parametrize(
    ("fmt", "mode", "expected"),
    [
        (OutputFormat.JPEG, "L", "L"),
        (OutputFormat.JPEG, "RGB", "RGB"),
        (OutputFormat.PNG, "L", "L"),
        (OutputFormat.PNG, "LA", "LA"),
        (OutputFormat.PNG, "RGB", "RGB"),
        (OutputFormat.PNG, "RGBA", "RGBA"),
        (OutputFormat.WEBP, "L", "RGB"),
        (OutputFormat.WEBP, "LA", "RGBA"),
        (OutputFormat.WEBP, "RGB", "RGB"),
        (OutputFormat.WEBP, "RGBA", "RGBA"),
        (OutputFormat.AVIF, "L", "L"),
        (OutputFormat.AVIF, "LA", "RGBA"),
        (OutputFormat.AVIF, "RGB", "RGB"),
        (OutputFormat.AVIF, "RGBA", "RGBA"),
    ],
)
def test_encode_modes_round_trip(fmt: OutputFormat, mode: str, expected: str) -> None:
    assert encoder_mode(mode, fmt) == expected
    body = encode(gradient(mode), fmt, quality_for(fmt))
    with reopen(body) as image:
        assert image.format == PILLOW_NAME[fmt]
        assert image.size == (64, 48)
        assert image.mode == expected


@pytest.mark.parametrize(("fmt", "mode"), [(OutputFormat.JPEG, "RGBA"), (OutputFormat.JPEG, "LA"),
                                           (OutputFormat.PNG, "CMYK"), (OutputFormat.WEBP, "P")])  # fmt: skip
def test_modes_an_encoder_cannot_take(fmt: OutputFormat, mode: str) -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        encode(Image.new(mode, (4, 4)), fmt, quality_for(fmt))


@pytest.mark.parametrize(("fmt", "quality"), [(OutputFormat.PNG, 80), (OutputFormat.JPEG, None),
                                              (OutputFormat.WEBP, 0), (OutputFormat.AVIF, 101)])  # fmt: skip
def test_quality_must_match_the_format(fmt: OutputFormat, quality: int | None) -> None:
    with pytest.raises(ValueError, match="quality"):
        save_options(fmt, quality, "RGB")


def test_save_options_are_the_documented_defaults() -> None:
    assert save_options(OutputFormat.JPEG, 80, "RGB") == {
        "format": "JPEG", "quality": 80, "subsampling": "4:2:0", "optimize": True, "progressive": True,
    }  # fmt: skip
    assert save_options(OutputFormat.WEBP, 80, "RGB") == {
        "format": "WEBP", "quality": 80, "method": WEBP_METHOD, "exif": b"", "xmp": b"",
    }  # fmt: skip
    assert save_options(OutputFormat.AVIF, 50, "RGB") == {
        "format": "AVIF", "quality": 48, "speed": AVIF_SPEED, "codec": AVIF_CODEC, "advanced": AVIF_AOM_OPTIONS,
        "autotiling": False, "max_threads": avif_threads(), "exif": b"", "xmp": b"", "subsampling": "4:4:4",
    }  # fmt: skip
    assert avif_threads() >= 2
    assert AVIF_AOM_OPTIONS == (("tune", "iq"), ("sharpness", "0"))
    assert "subsampling" not in save_options(OutputFormat.AVIF, 50, "L")  # 4:0:0, chosen by Pillow for grey
    assert save_options(OutputFormat.PNG, None, "RGB") == {
        "format": "PNG", "compress_level": PNG_COMPRESS_LEVEL, "optimize": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("quality", "expected"),
    [(1, 1), (2, 2), (10, 10), (20, 19), (30, 29), (40, 38), (50, 48), (60, 58), (70, 67), (80, 76), (85, 80),
     (90, 85), (95, 89), (99, 98), (100, 100)],
)  # fmt: skip
def test_avif_quality_maps_onto_libavifs_scale(quality: int, expected: int) -> None:
    # 4:4:4 at libavif quality avif_quality(q) gives the mean SSIMULACRA2 that 4:2:0 gave at q (encode.py's
    # docstring): 2 below q up to 60, then up to 6 below; 100 stays lossless. Expected values worked out by hand
    # from the measured points (40, 38), (60, 58), (80, 76), (95, 89), rounded half up.
    assert avif_quality(quality) == expected
    assert save_options(OutputFormat.AVIF, quality, "RGB")["quality"] == expected


@pytest.mark.parametrize("quality", [1, 30, 50, 80, 95, 100])
def test_grey_avif_keeps_the_url_quality(quality: int) -> None:
    # 4:0:0 has no chroma for 4:4:4 to pay for: grey keeps the scale it had at 4:2:0, the URL quality itself.
    assert avif_quality(quality, "L") == quality
    assert save_options(OutputFormat.AVIF, quality, "L")["quality"] == quality
    with pytest.raises(ValueError, match="above"):
        avif_quality(101, "L")


def test_avif_quality_is_monotonic_and_keeps_the_ends() -> None:
    mapped = [avif_quality(quality) for quality in range(1, 101)]
    assert mapped == sorted(mapped)
    assert (mapped[0], mapped[-1]) == (1, 100)
    assert all(0 <= value <= 100 for value in mapped)
    assert AVIF_QUALITY_KNOTS[0] == (0, 0)
    assert AVIF_QUALITY_KNOTS[-1] == (100, 100)
    with pytest.raises(ValueError, match="above"):
        avif_quality(101)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_avif_encoder_takes_the_aom_options(mode: str) -> None:
    # Each option changes the bitstream, so an option aom ignored or libavif dropped would go unnoticed by the
    # round-trip tests: the output must differ when an option takes another value at the same quality. tune=iq is
    # libavif 1.4's default, so dropping it would change nothing: it is pinned against a change of that default,
    # and checked against tune=ssim (0.2.0's) instead.
    image = gradient(mode, (128, 96))
    tuned = encode(image, OutputFormat.AVIF, 50)
    others = {"tune": "ssim", "sharpness": "7"}  # 7: aom's sharpness under tune=iq when none is given
    for name, _ in AVIF_AOM_OPTIONS:
        options = save_options(OutputFormat.AVIF, 50, mode)
        options["advanced"] = tuple((key, others[key] if key == name else value) for key, value in AVIF_AOM_OPTIONS)
        buffer = io.BytesIO()
        image.save(buffer, **options)
        assert buffer.getvalue() != tuned, name


def test_jpeg_is_progressive_with_420_subsampling() -> None:
    with reopen(encode(gradient("RGB", (256, 256)), OutputFormat.JPEG, 80)) as image:
        assert isinstance(image, JpegImagePlugin.JpegImageFile)
        assert image.info.get("progressive") == 1
        assert JpegImagePlugin.get_sampling(image) == 2  # 4:2:0


@pytest.mark.parametrize("fmt", LOSSY)
def test_quality_changes_the_size(fmt: OutputFormat) -> None:
    image = gradient("RGB", (256, 192))
    assert len(encode(image, fmt, 30)) < len(encode(image, fmt, 90))


@pytest.mark.parametrize("fmt", LOSSY)
def test_lossy_output_stays_close_to_the_input(fmt: OutputFormat) -> None:
    image = Image.new("RGB", (64, 64), (200, 120, 40))
    with reopen(encode(image, fmt, 90)) as result:
        pixel = result.convert("RGB").getpixel((32, 32))
    assert isinstance(pixel, tuple)
    assert all(abs(a - b) <= 6 for a, b in zip(pixel, (200, 120, 40), strict=True))


def test_png_is_lossless() -> None:
    image = gradient("RGBA")
    with reopen(encode(image, OutputFormat.PNG, None)) as result:
        assert result.tobytes() == image.tobytes()


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_metadata_never_reaches_the_output(fmt: OutputFormat, metadata_jpeg: bytes, limits: Limits) -> None:
    spec = RenderSpec(32, None, Fit.INSIDE, fmt, quality_for(fmt))
    rendered = render(metadata_jpeg, spec, limits)
    with reopen(rendered.body) as image:
        leaked = {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop", "dpi"} & set(image.info)
        assert not leaked
        assert dict(image.getexif()) == {}
    for secret in (b"SecretCam", b"secret-creator", b"secret comment", b"Exif\x00", b"xmpmeta", b"acsp"):
        assert secret not in rendered.body


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
@pytest.mark.parametrize("quality", [1, 50, 90, 99, 100])
def test_avif_encodes_at_every_quality_up_to_lossless(mode: str, quality: int) -> None:
    # libavif's quality 100 is lossless, where aom refuses a tune: it must still encode (q=95 snaps to 100).
    image = Image.new(mode, (48, 32), 128 if mode == "L" else (200, 30, 30, 255)[: len(mode)])
    body = encode(image, OutputFormat.AVIF, quality)
    with Image.open(io.BytesIO(body)) as decoded:
        assert (decoded.format, decoded.size) == ("AVIF", (48, 32))


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def test_without_times_zeroes_the_header_times_of_a_sequence_and_nothing_else() -> None:
    # Built by hand: a version-1 mvhd (64-bit times) and, in trak/mdia, a version-0 mdhd (32-bit times).
    mvhd = _box(b"mvhd", b"\x01\x00\x00\x00" + (7).to_bytes(8, "big") + (9).to_bytes(8, "big") + b"\xaa" * 8)
    mdhd = _box(b"mdhd", b"\x00\x00\x00\x00" + (7).to_bytes(4, "big") + (9).to_bytes(4, "big") + b"\xbb" * 8)
    data = _box(b"ftyp", b"avis") + _box(b"moov", mvhd + _box(b"trak", _box(b"mdia", mdhd))) + _box(b"mdat", b"x")
    cleaned = without_times(data)
    assert len(cleaned) == len(data)
    assert cleaned == data.replace((7).to_bytes(8, "big") + (9).to_bytes(8, "big"), bytes(16)).replace(
        (7).to_bytes(4, "big") + (9).to_bytes(4, "big"), bytes(8)
    )
    still = encode(Image.new("RGB", (16, 16), (9, 99, 199)), OutputFormat.AVIF, 50)
    assert without_times(still) == still  # no movie header in a still AVIF
    assert without_times(b"\x00\x00\x00\x05junk") == b"\x00\x00\x00\x05junk"  # not boxes: left as it is


def test_avif_bytes_do_not_depend_on_how_many_cpus_encode_them() -> None:
    """The same image gives the same AVIF whatever the thread count the machine would give the encoder: no tiles
    (libavif's autotiling would split this 0.77 MP image in 2 with 8 threads) and row-based threading always on."""
    rng = random.Random(7)
    noise = Image.frombytes("L", (1100, 700), bytes(rng.randrange(256) for _ in range(1100 * 700)))
    image = Image.merge("RGB", (Image.linear_gradient("L").resize((1100, 700)), noise, noise.rotate(180)))
    shipped = encode(image, OutputFormat.AVIF, 50)
    for threads in (3, 8):
        buffer = io.BytesIO()
        image.save(buffer, **{**save_options(OutputFormat.AVIF, 50, "RGB"), "max_threads": threads})
        assert buffer.getvalue() == shipped, threads
    tiled = io.BytesIO()
    image.save(tiled, **{**save_options(OutputFormat.AVIF, 50, "RGB"), "max_threads": 8, "autotiling": True})
    assert tiled.getvalue() != shipped  # the test image is big enough for tiles to matter
