"""render()'s memory: the decoded original is dropped before encoding, and originals whose render would not fit the
function's memory are refused before decoding; the largest accepted ones render within the budget."""

import gc
import io
import json
import struct
import subprocess
import sys
import weakref
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from edge.config import Config
from edge.errors import ImageTooLarge, InvalidImage
from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import Limits, render
from edge.render.budget import MIB, budget_bytes
from edge.render.decode import Decoded, check_memory, open_image
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


# --- the memory budget ------------------------------------------------------------------------------------------

SMALL_MEMORY_MB = 384  # a small function, so the largest accepted originals are a few MP and render in seconds


def png_header_only(width: int, height: int, colour_type: int = 6) -> bytes:
    """A PNG signature, an IHDR declaring ``width x height`` (8-bit, ``colour_type``) and one IDAT holding a few
    bytes of a row: it can only be refused before decoding (decoding it is ``InvalidImage``, truncated)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(64)))


def test_an_original_over_the_memory_budget_is_refused_before_decoding() -> None:
    limits = Limits(max_source_bytes=32 * 1024 * 1024, max_source_pixels=100_000_000, memory_mb=SMALL_MEMORY_MB)
    spec = RenderSpec(300, None, Fit.INSIDE, OutputFormat.WEBP, 80)

    with pytest.raises(ImageTooLarge) as refused:
        render(png_header_only(6000, 6000), spec, limits)

    assert refused.value.status == 422
    assert refused.value.reason == "original image needs more memory than the function has"
    # Within max_source_pixels, and the same file in a function with the default memory gets as far as decoding.
    with pytest.raises(InvalidImage):
        render(png_header_only(6000, 6000), spec, Limits.from_config(Config()))


def test_limits_take_the_memory_from_the_configuration() -> None:
    assert Limits.from_config(Config.of(memory_mb=512)).memory_mb == 512
    assert Limits.from_config(Config()).memory_mb == 1536


CHILD = """
import json, sys
from pathlib import Path

def vm_hwm_kib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")

from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import Limits, render

data = Path(sys.argv[1]).read_bytes()
limits = Limits(max_source_bytes=32 * 1024 * 1024, max_source_pixels=100_000_000, memory_mb=int(sys.argv[2]))
before = vm_hwm_kib()
rendered = render(data, RenderSpec(int(sys.argv[3]), None, Fit.INSIDE, OutputFormat.WEBP, 80), limits)
print(json.dumps({"before_kib": before, "peak_kib": vm_hwm_kib(), "size": [rendered.width, rendered.height]}))
"""


def _flat(mode: str, side: int) -> Image.Image:
    """A ``side`` x ``side`` image of ``mode`` with a few shapes (flat content encodes small and fast)."""
    image = Image.new(mode, (side, side))
    draw = ImageDraw.Draw(image)
    bands = len(image.getbands())
    for i in range(6):
        fill: int | tuple[int, ...] = (
            (i * 40) % 256 if bands == 1 else tuple((i * 40 + b * 60) % 256 for b in range(bands))
        )
        draw.rectangle((i * side // 8, i * side // 9, i * side // 8 + side // 4, i * side // 9 + side // 4), fill=fill)
    return image


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _animated_webp(side: int) -> bytes:
    frames = [_flat("RGBA", side), _flat("RGBA", side).transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    return _encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True, method=0)


#: kind -> a generator of that kind's original, ``side`` x ``side``.
KINDS: dict[str, Callable[[int], bytes]] = {
    "RGB (PNG)": lambda side: _encoded(_flat("RGB", side), "PNG", compress_level=1),
    "RGBA (WebP)": lambda side: _encoded(_flat("RGBA", side), "WEBP", lossless=True, method=0),
    "RGBA (AVIF)": lambda side: _encoded(_flat("RGBA", side), "AVIF", speed=10, quality=30),
    "16-bit grey (PNG)": lambda side: _encoded(_flat("I;16", side), "PNG", compress_level=1),
    "CMYK (JPEG)": lambda side: _encoded(_flat("CMYK", side), "JPEG", quality=80),
    "palette (GIF)": lambda side: _encoded(_flat("RGB", side).convert("P"), "GIF"),
    "animated, first frame (WebP)": _animated_webp,
}


def _accepted(data: bytes, memory_mb: int, side: int) -> bool:
    """Whether ``render`` lets the original through its memory check (only the header is read when it does not)."""
    limits = Limits(max_source_bytes=32 * 1024 * 1024, max_source_pixels=100_000_000, memory_mb=memory_mb)
    image = open_image(data, limits)
    try:
        check_memory(image, data, limits, RenderSpec(side, None, Fit.INSIDE, OutputFormat.WEBP, 80))
    except ImageTooLarge:
        return False
    return True


def _largest_accepted_side(make: Callable[[int], bytes], memory_mb: int) -> tuple[int, bytes]:
    """The largest side (to 32 px) of a square original ``make`` builds that the memory check accepts."""
    low, high = 64, 8192
    best = (low, make(low))
    assert _accepted(best[1], memory_mb, low)
    while high - low > 32:
        middle = (low + high) // 2
        data = make(middle)
        if _accepted(data, memory_mb, middle):
            low, best = middle, (middle, data)
        else:
            high = middle
    return best


PEAKS: dict[str, tuple[int, float, float]] = {}


@pytest.fixture(scope="module", autouse=True)
def peak_table() -> Iterator[None]:
    """Print the measured peak of each kind after the module (``pytest -s`` shows it)."""
    yield
    if PEAKS:
        print(f"\nlargest accepted originals at memory_mb={SMALL_MEMORY_MB} (render budget, peak RSS growth):")
        for kind, (side, budget_mib, used_mib) in PEAKS.items():
            print(f"| {kind} | {side} x {side} | {budget_mib:.0f} MiB | {used_mib:.0f} MiB |")


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_the_largest_accepted_original_of_each_kind_renders_within_the_budget(kind: str, tmp_path: Path) -> None:
    side, data = _largest_accepted_side(KINDS[kind], SMALL_MEMORY_MB)
    assert not _accepted(KINDS[kind](side + 64), SMALL_MEMORY_MB, side + 64)  # the budget, not another limit, bites
    path = tmp_path / "original"
    path.write_bytes(data)

    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(SMALL_MEMORY_MB), str(side)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[3],
    )  # fmt: skip
    measured = json.loads(child.stdout)

    assert measured["size"] == [side, side]
    used = (measured["peak_kib"] - measured["before_kib"]) * 1024
    allowed = budget_bytes(SMALL_MEMORY_MB, len(data))
    PEAKS[kind] = (side, allowed / MIB, used / MIB)
    assert used <= allowed, f"{kind}: the render grew RSS by {used / MIB:.0f} MiB, budget {allowed / MIB:.0f} MiB"
