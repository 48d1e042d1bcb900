"""edge.render.decode: limits before decoding, accepted formats, first frame, EXIF orientation, JPEG draft."""

import io
import random
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pillow_heif
import pytest
from PIL import GifImagePlugin, Image, UnidentifiedImageError

from edge.config import Config
from edge.errors import EdgeError, ImageTooLarge, InvalidImage, UnsupportedImage
from edge.options import Fit, OutputFormat, RenderSpec
from edge.render.decode import (
    ACCEPTED_FORMATS,
    AVIF_PARSE_REASON,
    DRAFT_GAP,
    Limits,
    decode,
    draft_size,
    has_accepted_signature,
    is_lossless_jpeg,
    open_image,
    pillow_errors,
    read_orientation,
    upright,
)

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)
# Where a marker drawn in the stored top-left corner is displayed, per EXIF orientation.
MARKER_CORNER = {1: "tl", 2: "tr", 3: "br", 4: "bl", 5: "tl", 6: "tr", 7: "br", 8: "bl"}


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares ``width x height`` RGB but whose IDAT holds almost nothing."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def marked(size: tuple[int, int]) -> Image.Image:
    """Blue, with a red square in the stored top-left corner."""
    image = Image.new("RGB", size, BLUE)
    side = max(4, min(size) // 5)
    image.paste(RED, (0, 0, side, side))
    return image


def corner(image: Image.Image, name: str) -> tuple[int, ...]:
    inset = max(2, min(image.size) // 20)
    x = inset if name[1] == "l" else image.width - 1 - inset
    y = inset if name[0] == "t" else image.height - 1 - inset
    pixel = image.convert("RGB").getpixel((x, y))
    assert isinstance(pixel, tuple)
    return pixel


def is_red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 200 and pixel[1] < 60 and pixel[2] < 60


def spec(width: int | None, height: int | None = None, fit: Fit = Fit.INSIDE) -> RenderSpec:
    return RenderSpec(width, height, fit, OutputFormat.JPEG, 80)


def with_orientation(image: Image.Image, fmt: str, orientation: int) -> bytes:
    if fmt == "TIFF":
        return encoded(image, fmt, tiffinfo={0x0112: orientation})
    exif = Image.Exif()
    exif[0x0112] = orientation
    options: dict[str, Any] = {"quality": 95} if fmt in ("JPEG", "WEBP", "AVIF") else {}
    return encoded(image, fmt, exif=exif, **options)


# --- limits ---------------------------------------------------------------------------------------------------


def test_limits_from_config() -> None:
    config = Config.of(max_source_bytes=1234, max_source_pixels=5678)
    assert Limits.from_config(config) == Limits(max_source_bytes=1234, max_source_pixels=5678)
    assert Limits.from_config(Config()) == Limits(32 * 1024 * 1024, 100_000_000)


@pytest.mark.parametrize(("size", "pixels"), [(0, 1), (1, 0), (-1, 5)])
def test_limits_must_be_positive(size: int, pixels: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        Limits(size, pixels)


def test_byte_limit_is_checked_first() -> None:
    data = encoded(noise((32, 32)), "PNG")
    assert decode(data, Limits(len(data), 10_000)).image.size == (32, 32)
    with pytest.raises(ImageTooLarge) as caught:
        decode(data, Limits(len(data) - 1, 10_000))
    assert "max_source_bytes" in caught.value.detail
    with pytest.raises(ImageTooLarge):
        decode(b"not even an image", Limits(4, 10_000))


def test_pixel_limit_uses_the_header_before_any_decoding() -> None:
    # 12000 x 12000 = 144 MP, under Pillow's own bomb error (179 MP) but over the default 100 MP. The file holds
    # no pixel data: decoding would fail as truncated, so ImageTooLarge proves the check came first.
    data = png_header_only(12_000, 12_000)
    with pytest.raises(ImageTooLarge) as caught:
        decode(data, Limits.from_config(Config()))
    assert "144000000" in caught.value.detail
    with pytest.raises(InvalidImage):
        decode(png_header_only(100, 100), Limits.from_config(Config()))


def test_pixel_limit_is_inclusive() -> None:
    data = encoded(noise((40, 25)), "PNG")
    assert decode(data, Limits(10**6, 1000)).image.size == (40, 25)
    with pytest.raises(ImageTooLarge):
        decode(data, Limits(10**6, 999))


@pytest.mark.parametrize(("width", "height"), [(65_536, 65_536), (20_000, 14_000), (2**31 - 1, 2**31 - 1)])
def test_pillow_bomb_error_becomes_image_too_large(width: int, height: int) -> None:
    with pytest.raises(ImageTooLarge):
        decode(png_header_only(width, height), Limits(10**9, 10**12))


def test_open_image_does_not_decode() -> None:
    image = open_image(encoded(noise((64, 64)), "PNG"), Limits(10**6, 10**6))
    assert image.format == "PNG"
    assert image.tile  # tiles still pending: nothing decoded yet


# --- formats and broken files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ACCEPTED_FORMATS)
def test_decodes_every_accepted_format(fmt: str) -> None:
    if fmt == "HEIF":
        pillow_heif.register_heif_opener()  # Pillow writes HEIF only through the plugin (the edge reads it lazily)
    data = encoded(Image.new("RGB", (30, 20), (10, 200, 30)), fmt)
    decoded = decode(data, Limits(10**6, 10**6))
    assert decoded.source_format == fmt
    assert decoded.image.size == decoded.size == (30, 20)
    pixel = decoded.image.convert("RGB").getpixel((15, 10))
    assert isinstance(pixel, tuple)
    assert all(abs(a - b) <= 12 for a, b in zip(pixel, (10, 200, 30), strict=True))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff",
        b"<!DOCTYPE html><html><body>Access Denied</body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="5"/></svg>',
        random.Random(1).randbytes(2000),
    ],
    ids=["empty", "one-byte", "html", "svg", "garbage"],
)
def test_not_an_image_is_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedImage):
        decode(data, Limits(10**6, 10**6))


@pytest.mark.parametrize("fmt", ["BMP", "ICO", "PCX", "PPM", "TGA"])
def test_formats_pillow_reads_but_we_do_not_accept_are_unsupported(fmt: str) -> None:
    data = encoded(Image.new("RGB", (16, 16)), fmt)
    with Image.open(io.BytesIO(data)) as check:
        assert check.size == (16, 16)  # Pillow itself could open it
    with pytest.raises(UnsupportedImage):
        decode(data, Limits(10**6, 10**6))


@pytest.mark.parametrize("fmt", ACCEPTED_FORMATS)
def test_truncated_file_is_invalid(fmt: str) -> None:
    data = encoded(noise((200, 150)), fmt)
    for cut in (len(data) // 2, 40):
        with pytest.raises(InvalidImage):
            decode(data[:cut], Limits(10**6, 10**6))


@pytest.mark.parametrize(
    "prefix",
    [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"RIFF\x00\x10\x00\x00WEBP", b"II*\x00", b"MM\x00*",
     b"\x00\x00\x00\x1cftypavif"],
)  # fmt: skip
def test_accepted_signature_with_garbage_is_invalid(prefix: bytes) -> None:
    assert has_accepted_signature(prefix)
    with pytest.raises(InvalidImage):
        decode(prefix + random.Random(2).randbytes(500), Limits(10**6, 10**6))


def test_truncated_file_stays_invalid_without_touching_pillow_globals() -> None:
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    max_pixels = Image.MAX_IMAGE_PIXELS
    data = encoded(noise((300, 200)), "JPEG")
    with pytest.raises(InvalidImage):
        decode(data[:-20], Limits(10**6, 10**6))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert max_pixels == Image.MAX_IMAGE_PIXELS


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError("broken data stream"), InvalidImage),
        (ValueError("bad"), InvalidImage),
        (SyntaxError("bad"), InvalidImage),
        (struct.error("bad"), InvalidImage),
        (MemoryError(), InvalidImage),
        (Image.DecompressionBombError("big"), InvalidImage),
        (UnidentifiedImageError("what"), UnsupportedImage),
        (ImageTooLarge(detail="kept"), ImageTooLarge),
    ],
)
def test_pillow_errors_become_edge_errors(error: Exception, expected: type[EdgeError]) -> None:
    with pytest.raises(expected) as caught, pillow_errors("stage"):
        raise error
    assert caught.value.detail.startswith("stage:") or caught.value.detail == "kept"


# --- frames ---------------------------------------------------------------------------------------------------


def frames() -> list[Image.Image]:
    return [Image.new("RGB", (24, 16), colour) for colour in (RED, GREEN, BLUE)]


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "AVIF"])
def test_animated_first_frame_only(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first, *rest = frames()
    data = encoded(first, fmt, save_all=True, append_images=rest, duration=100, loop=0)
    with Image.open(io.BytesIO(data)) as check:
        assert getattr(check, "n_frames", None) == 3

    def no_scan(self: object) -> int:
        raise AssertionError("decode must not scan the frames")

    monkeypatch.setattr(GifImagePlugin.GifImageFile, "n_frames", property(no_scan))
    monkeypatch.setattr(GifImagePlugin.GifImageFile, "is_animated", property(no_scan))
    decoded = decode(data, Limits(10**6, 10**6))
    assert decoded.image.size == (24, 16)
    assert is_red(corner(decoded.image, "tl"))
    assert is_red(corner(decoded.image, "br"))


# --- orientation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "AVIF", "TIFF"])
def test_exif_orientation_is_applied(fmt: str, orientation: int) -> None:
    data = with_orientation(marked((60, 40)), fmt, orientation)
    decoded = decode(data, Limits(10**6, 10**6))
    expected = (40, 60) if orientation >= 5 else (60, 40)
    # Pillow's TIFF loader applies the orientation itself and drops the tag, so nothing is left to apply.
    assert decoded.orientation == (1 if fmt == "TIFF" else orientation)
    assert decoded.size == decoded.image.size == expected
    red_corner = MARKER_CORNER[orientation]
    for name in ("tl", "tr", "bl", "br"):
        assert is_red(corner(decoded.image, name)) == (name == red_corner), (name, red_corner)


@pytest.mark.parametrize("orientation", [0, 9, 65535])
def test_out_of_range_orientation_counts_as_1(orientation: int) -> None:
    decoded = decode(with_orientation(marked((60, 40)), "JPEG", orientation), Limits(10**6, 10**6))
    assert decoded.orientation == 1
    assert decoded.image.size == (60, 40)
    assert is_red(corner(decoded.image, "tl"))


def test_malformed_exif_counts_as_orientation_1() -> None:
    data = encoded(marked((60, 40)), "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff\x01\x12")
    decoded = decode(data, Limits(10**6, 10**6))
    assert decoded.orientation == 1
    assert is_red(corner(decoded.image, "tl"))


def test_read_orientation_never_raises() -> None:
    class Broken(Image.Image):
        def getexif(self) -> Image.Exif:
            raise SyntaxError("corrupt EXIF")

    assert read_orientation(Broken()) == 1


@pytest.mark.parametrize(("orientation", "transform"), [(1, None), (6, Image.Transpose.ROTATE_270)])
def test_upright(orientation: int, transform: Image.Transpose | None) -> None:
    image = marked((6, 4))
    result = upright(image, orientation)
    if transform is None:
        assert result is image
    else:
        assert result.tobytes() == image.transpose(transform).tobytes()


# --- JPEG draft -----------------------------------------------------------------------------------------------


def test_jpeg_is_dct_scaled_to_at_least_three_times_the_need() -> None:
    data = encoded(marked((1600, 1200)), "JPEG", quality=90)
    decoded = decode(data, Limits(10**7, 10**7), spec(100))
    assert decoded.size == (1600, 1200)
    assert decoded.image.size == (400, 300)  # 1/4 scale: 400 >= 3 x 100, 1/8 (200) would not be
    assert is_red(corner(decoded.image, "tl"))


def test_jpeg_draft_respects_orientation() -> None:
    data = with_orientation(marked((1600, 1200)), "JPEG", 6)
    decoded = decode(data, Limits(10**7, 10**7), spec(100))
    # displayed 1200x1600 -> needs 100x133, i.e. 133x100 stored; 3x that is 399x300 -> 1/4 scale (400x300)
    assert decoded.size == (1200, 1600)
    assert decoded.image.size == (300, 400)
    assert is_red(corner(decoded.image, "tr"))


def test_no_draft_without_spec_or_for_other_formats() -> None:
    jpeg = encoded(marked((1600, 1200)), "JPEG")
    assert decode(jpeg, Limits(10**7, 10**7)).image.size == (1600, 1200)
    png = encoded(marked((1600, 1200)), "PNG")
    assert decode(png, Limits(10**7, 10**7), spec(100)).image.size == (1600, 1200)


@pytest.mark.parametrize(
    ("size", "wanted", "orientation", "expected"),
    [
        ((1600, 1200), spec(100), 1, (300, 225)),  # three times the output
        ((1600, 1200), spec(266), 1, (798, 600)),
        ((1600, 1200), spec(267), 1, None),  # 3 x 267 > 1600 / 2: no DCT scale applies
        ((1200, 1600), spec(100), 6, (399, 300)),  # displayed size; the request is in stored orientation
        ((2560, 1600), spec(200, 200, Fit.COVER), 1, (960, 600)),  # cover needs the pre-crop size
        ((2560, 1600), spec(300, 300, Fit.COVER), 1, None),
        ((100, 100), spec(1000), 1, None),
    ],
)
def test_draft_size(
    size: tuple[int, int], wanted: RenderSpec, orientation: int, expected: tuple[int, int] | None
) -> None:
    assert draft_size(size, wanted, orientation) == expected
    assert DRAFT_GAP == 3.0


def test_is_lossless_jpeg() -> None:
    baseline = encoded(noise((16, 16)), "JPEG")
    progressive = encoded(noise((16, 16)), "JPEG", progressive=True)
    assert not is_lossless_jpeg(baseline)
    assert not is_lossless_jpeg(progressive)
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof3 = b"\xff\xc3\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00"
    assert is_lossless_jpeg(b"\xff\xd8" + app0 + sof3)
    assert is_lossless_jpeg(b"\xff\xd8\xff\xff" + sof3)  # fill bytes before a marker
    assert not is_lossless_jpeg(b"\xff\xd8" + app0 + b"\xff\xda\x00\x08")
    assert not is_lossless_jpeg(b"\xff\xd8\x00\x00\x00\x00")
    assert not is_lossless_jpeg(b"\xff\xd8\xff\xe0\xff\xff")  # a length running past the end


def test_lossless_jpeg_is_decoded_at_full_size(corpus_dir: Any) -> None:
    data = (corpus_dir / "edge-lossless-sof3.jpg").read_bytes()
    assert is_lossless_jpeg(data)
    decoded = decode(data, Limits(10**6, 10**6), spec(50))
    assert decoded.image.size == (227, 149)


def test_icc_profile_is_kept_for_the_colour_step() -> None:
    data = encoded(Image.new("RGB", (8, 8)), "PNG", icc_profile=b"not really a profile")
    assert decode(data, Limits(10**6, 10**6)).icc_profile == b"not really a profile"
    assert decode(encoded(Image.new("RGB", (8, 8)), "PNG"), Limits(10**6, 10**6)).icc_profile is None


# --- AVIF files libavif's strict parser refuses (issue 14) ---------------------------------------------------


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[str, int, int]]:
    """(type, body start, end) of the ISOBMFF boxes in ``data[start:end]`` (32-bit sizes only)."""
    at = start
    while at < end:
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        yield kind.decode("latin-1"), at + 8, at + size
        at += size


def _avif_with_alpha_lacking_ispe() -> bytes:
    """A Pillow-written RGBA AVIF whose alpha item's association with the shared 'ispe' property is replaced by one
    with a property it already has: what some older encoders wrote (alpha without 'ispe'). Same length, so
    every offset stays valid."""
    buffer = io.BytesIO()
    Image.new("RGBA", (64, 48), (200, 30, 30, 128)).save(buffer, "AVIF")
    data = bytearray(buffer.getvalue())
    (meta,) = [(body, end) for kind, body, end in _boxes(data, 0, len(data)) if kind == "meta"]
    iprp = {kind: (body, end) for kind, body, end in _boxes(data, meta[0] + 4, meta[1])}["iprp"]
    inside = {kind: (body, end) for kind, body, end in _boxes(data, *iprp)}
    properties = [kind for kind, _, _ in _boxes(data, *inside["ipco"])]
    ispe = properties.index("ispe") + 1
    body = inside["ipma"][0]
    assert data[body] == 0
    assert data[body + 3] & 1 == 0
    at, entries = body + 8, []
    for _ in range(struct.unpack(">I", data[body + 4 : body + 8])[0]):
        count = data[at + 2]
        entries.append(list(range(at + 3, at + 3 + count)))
        at += 3 + count
    alpha = entries[-1]
    other = next(data[p] & 0x7F for p in alpha if data[p] & 0x7F != ispe)
    for position in alpha:
        if data[position] & 0x7F == ispe:
            data[position] = (data[position] & 0x80) | other
    return bytes(data)


def test_an_avif_libavif_refuses_gets_a_reason_that_says_so() -> None:
    valid = io.BytesIO()
    Image.new("RGBA", (64, 48), (200, 30, 30, 128)).save(valid, "AVIF")
    assert open_image(valid.getvalue(), Limits(10**6, 10**6)).size == (64, 48)  # the unedited file opens
    for data in (_avif_with_alpha_lacking_ispe(), valid.getvalue()[:200]):
        with pytest.raises(InvalidImage) as refused:
            open_image(data, Limits(10**6, 10**6))
        assert refused.value.status == 422
        assert refused.value.reason == AVIF_PARSE_REASON
        assert "ispe" in refused.value.reason


def test_a_heic_signature_with_a_broken_header_is_invalid_not_unsupported() -> None:
    # HEIF is accepted (pillow-heif): its signature with garbage after it is a corrupt original (422), like AVIF.
    with pytest.raises(InvalidImage):
        open_image(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), Limits(10**6, 10**6))
