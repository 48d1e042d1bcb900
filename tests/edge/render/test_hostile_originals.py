"""Hostile originals: every corpus file, a mutated corpus generated from it, and hand-crafted bombs.

Each render ends as a correct variant (it decodes, has the requested format and fits the requested box) or an
``edge.errors`` 4xx, within ``RENDER_SECONDS``. Nothing else escapes ``render``.
"""

import io
import random
import resource
import struct
import time
import zlib
from collections import Counter
from collections.abc import Iterator

import pytest
from PIL import Image

from edge.config import Config
from edge.errors import EdgeError
from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import Limits, Rendered, render
from tests.conftest import CORPUS_ABSENT, CorpusImage, corpus_images

#: The documented per-render time bound (Lambda@Edge origin-response functions may run 30 s; the origin
#: timeout budget leaves a render far less). Measured worst case is well under a second.
RENDER_SECONDS = 5.0
SPEC = RenderSpec(96, None, Fit.INSIDE, OutputFormat.JPEG, 80)
LIMITS = Limits.from_config(Config())
OUTCOMES: Counter[str] = Counter()
WORST: dict[str, float] = {"seconds": 0.0}


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    """Print the outcome counts, the worst render time and the process's peak RSS after the module."""
    yield
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nhostile originals: {dict(OUTCOMES)}; worst render {WORST['seconds']:.3f} s; peak RSS {peak_mib:.0f} MiB")


def attempt(data: bytes, kind: str, spec: RenderSpec = SPEC) -> Rendered | EdgeError:
    """Render ``data``; assert the outcome is a correct variant or a 4xx, in time. Returns it."""
    start = time.perf_counter()
    try:
        outcome: Rendered | EdgeError = render(data, spec, LIMITS)
    except EdgeError as err:
        outcome = err
    elapsed = time.perf_counter() - start
    WORST["seconds"] = max(WORST["seconds"], elapsed)
    assert elapsed < RENDER_SECONDS, f"{kind}: render took {elapsed:.2f} s"
    if isinstance(outcome, EdgeError):
        assert 400 <= outcome.status < 500, f"{kind}: {outcome.status} {outcome.reason} ({outcome.detail})"
        assert "\n" not in outcome.reason
        OUTCOMES[f"{kind}:{outcome.status}"] += 1
        return outcome
    image = Image.open(io.BytesIO(outcome.body))
    image.load()
    assert image.format == spec.format.value.upper().replace("JPG", "JPEG")
    assert image.size == (outcome.width, outcome.height)
    assert spec.width is not None
    assert 1 <= image.width <= spec.width
    OUTCOMES[f"{kind}:ok"] += 1
    return outcome


def mutations(data: bytes, seed: str) -> Iterator[tuple[str, bytes]]:
    """Truncations at several offsets (in the header and through the body) and flipped bytes."""
    size = len(data)
    for offset in sorted({1, 2, 4, 8, 16, 33, 100, 512, size // 4, size // 2, size - 1}):
        if 0 < offset < size:
            yield "truncated", data[:offset]
    rng = random.Random(seed)
    for _ in range(4 if size > 0 else 0):
        flipped = bytearray(data)
        for position in rng.sample(range(size), k=min(3, size)):
            flipped[position] ^= 1 << rng.randrange(8)
        yield "flipped", bytes(flipped)


CORPUS = corpus_images()
#: The manifest predates HEIF support (pillow-heif): its "unreadable" HEIC files now render.
HEIF_SUFFIXES = (".heic", ".heif")


@pytest.mark.parametrize(
    "item",
    CORPUS or [pytest.param(None, marks=pytest.mark.skip(reason=CORPUS_ABSENT))],
    ids=lambda item: item.path.name if isinstance(item, CorpusImage) else "absent",
)
def test_corpus_file_and_its_mutations_end_as_a_variant_or_a_4xx(item: CorpusImage) -> None:
    data = item.path.read_bytes()
    original = attempt(data, "corpus")
    if ("unreadable" in item.format and not item.path.name.endswith(HEIF_SUFFIXES)) or item.path.name.startswith(
        "invalid-"
    ):
        assert isinstance(original, EdgeError)
    for kind, mutated in mutations(data, item.path.name):
        attempt(mutated, kind)


# Hand-crafted headers declaring huge images.


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png(width: int, height: int, *extra: bytes, idat: bytes = b"") -> bytes:
    ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"".join(extra) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _jpeg(width: int, height: int) -> bytes:
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + sof + b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00" + b"\x00" * 64 + b"\xff\xd9"


def _gif(width: int, height: int) -> bytes:
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0, 0, 0)
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, width, height, 0)
        + b"\x02\x02\x44\x01\x00\x3b"
    )


def _webp(width: int, height: int) -> bytes:
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little")
    vp8x += (height - 1).to_bytes(3, "little")
    vp8l = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", (width - 1) & 0x3FFF) + b"\x00"
    body = b"WEBP" + vp8x + vp8l
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _tiff(width: int, height: int) -> bytes:
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1)]
    entries += [(273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, 1000)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *entry) for entry in entries)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00\x00\x00\x00"


BOMBS = {
    "png-100000x100000": _png(100_000, 100_000),
    "jpeg-65535x65535": _jpeg(65_535, 65_535),
    "gif-65535x65535": _gif(65_535, 65_535),
    "webp-100000x100000": _webp(100_000, 100_000),
    "tiff-100000x100000": _tiff(100_000, 100_000),
    "png-20000x20000-tiny-idat": _png(20_000, 20_000, idat=zlib.compress(b"\x00" * 200_000)),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_headers_declaring_huge_images_are_refused_before_decoding(name: str) -> None:
    outcome = attempt(BOMBS[name], "bomb")
    assert isinstance(outcome, EdgeError)
    # 100,000 x 100,000 pixels would be 30 GB of RGB: no render may have decoded them.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 2 * 1024 * 1024


def test_the_pixel_limit_is_the_reason_for_a_valid_huge_header() -> None:
    outcome = attempt(BOMBS["png-100000x100000"], "bomb")
    assert isinstance(outcome, EdgeError)
    assert (outcome.status, outcome.reason) == (422, "original image exceeds the size limits")


def _small_png(*extra: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buffer, "PNG")
    data = buffer.getvalue()
    # Insert the extra chunks right after IHDR (8 signature bytes + 25 bytes of IHDR chunk).
    return data[:33] + b"".join(extra) + data[33:]


@pytest.mark.parametrize(
    "chunk",
    [
        pytest.param(_png_chunk(b"zTXt", b"bomb\x00\x00" + zlib.compress(b"A" * 64_000_000, 9)), id="zTXt-64MB"),
        pytest.param(_png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(b"\x00" * 64_000_000, 9)), id="iCCP-64MB"),
        pytest.param(_png_chunk(b"tEXt", b"big\x00" + b"B" * 8_000_000), id="tEXt-8MB"),
        pytest.param(_png_chunk(b"iTXt", b"x\x00\x01\x00\x00\x00" + zlib.compress(b"C" * 64_000_000, 9)), id="iTXt"),
    ],
)
def test_png_with_a_huge_metadata_chunk_is_a_variant_or_a_4xx(chunk: bytes) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    attempt(_small_png(chunk), "chunk")
    # Pillow caps decompressed text and profiles (ImageFile.SAFEBLOCK / PngImagePlugin.MAX_TEXT_CHUNK).
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 256


def test_animated_gif_with_thousands_of_frames_renders_its_first_frame_quickly() -> None:
    frames = [Image.new("P", (32, 32), index % 256) for index in range(3000)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=10, loop=0, optimize=False)
    outcome = attempt(buffer.getvalue(), "gif-3000-frames", RenderSpec(16, None, Fit.INSIDE, OutputFormat.PNG, None))
    assert isinstance(outcome, Rendered)
    assert (outcome.width, outcome.height) == (16, 16)


def test_animated_gif_with_thousands_of_frames_to_webp_is_its_first_frame_with_the_reason() -> None:
    frames = [Image.new("P", (32, 32), index % 256) for index in range(3000)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=10, loop=0, optimize=False)
    outcome = attempt(buffer.getvalue(), "gif-3000-frames", RenderSpec(16, None, Fit.INSIDE, OutputFormat.WEBP, 80))
    assert isinstance(outcome, Rendered)
    assert (outcome.frames, outcome.first_frame_reason) == (1, "3000 frames > max_frames 300")


def test_zero_byte_and_wrong_signature_originals_are_415() -> None:
    for data in (b"", b"\x00", b"<html>not an image</html>", b"RIFF\x00\x00\x00\x00WAVEfmt "):
        outcome = attempt(data, "junk")
        assert isinstance(outcome, EdgeError)
        assert outcome.status == 415
