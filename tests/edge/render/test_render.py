"""edge.render.render end to end: the whole corpus in every format, refusals, robustness, memory."""

import io
import json
import random
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from edge.config import Config
from edge.errors import EdgeError, ImageTooLarge, InvalidImage, UnsupportedImage
from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import Limits, Rendered, render
from edge.render.geometry import plan_for
from tests.conftest import CORPUS_ABSENT, CorpusImage, corpus_images

REPO = Path(__file__).resolve().parents[3]
PILLOW_NAME = {OutputFormat.JPEG: "JPEG", OutputFormat.WEBP: "WEBP", OutputFormat.AVIF: "AVIF", OutputFormat.PNG: "PNG"}
DEFAULT_LIMITS = Limits.from_config(Config())

# Palette or RGB rows whose transparency lives in a tRNS chunk or a GIF transparent index, not in an alpha band.
TRANSPARENCY_KEY_ROWS = frozenset({
    "edge-png-palette-alpha.png", "edge-png-fully-transparent.png", "edge-png-16bit-rgb-trns.png",
    "edge-gif-animated-squares.gif", "edge-gif-grey-alpha-2x1.gif",
})  # fmt: skip
# Rows with an alpha band that is fully opaque: PNG keeps the band, but libwebp and libavif drop an opaque alpha
# plane, so WebP and AVIF outputs read back as RGB. (Only in the first frame of the animated WebP: its last frame
# has transparent pixels, so its animated outputs keep alpha.)
OPAQUE_ALPHA_ROWS = frozenset({"edge-png-displayp3.png", "edge-webp-animated-loop3.webp"})
# What the huge rows do under the default limits (100 MP): the 99.6 MP JPEG renders (DCT-scaled while decoding),
# the 280 MP JPEG and the 4.3 GP PNG are refused from their headers.
HUGE_OUTCOMES: dict[str, type[EdgeError] | None] = {
    "edge-huge-9643x10328.jpg": None,
    "edge-huge-20000x14000-grey.jpg": ImageTooLarge,
    "edge-huge-65536x65536.png": ImageTooLarge,
}
SPECS = {
    "w300": lambda fmt: RenderSpec(300, None, Fit.INSIDE, fmt, quality(fmt)),
    "cover200x150": lambda fmt: RenderSpec(200, 150, Fit.COVER, fmt, quality(fmt)),
}


def quality(fmt: OutputFormat) -> int | None:
    return None if fmt is OutputFormat.PNG else Config().sizing.default_quality[fmt.value]


def expected_error(row: CorpusImage) -> type[EdgeError] | None:
    """The error the manifest row calls for under the default limits; ``None`` when it must render."""
    if row.path.suffix.lower() in (".heic", ".heif"):
        return None  # the manifest predates HEIF support (pillow-heif): a valid HEIC renders
    if row.format.startswith("unreadable"):
        # Pillow cannot identify it at all (415), or it has a known signature and a broken header (422).
        return UnsupportedImage if "UnidentifiedImageError" in row.format else InvalidImage
    if row.category == "invalid":
        return InvalidImage
    assert row.width is not None
    assert row.height is not None
    if row.width * row.height > DEFAULT_LIMITS.max_source_pixels:
        return ImageTooLarge
    return None


def displayed_size(row: CorpusImage) -> tuple[int, int]:
    """The manifest gives the stored size; orientations 5-8 display it transposed (the tests column says so).
    HEIC rows (recorded as unreadable, so without a size) are measured with pillow-heif, which applies their
    orientation itself."""
    if row.width is None and row.path.suffix.lower() in (".heic", ".heif"):
        pillow_heif.register_heif_opener()
        with Image.open(row.path) as image:
            return image.size
    assert row.width is not None
    assert row.height is not None
    if match := re.search(r"displayed (\d+)x(\d+)", row.tests):
        return int(match[1]), int(match[2])
    if re.search(r"Orientation=[5-8]\b", row.tests):
        return row.height, row.width
    return row.width, row.height


def expected_mode(row: CorpusImage, fmt: OutputFormat) -> str:
    name = row.path.name
    if "animated" in row.format and fmt is OutputFormat.WEBP:
        return "RGBA"  # Pillow reads every animated WebP as RGBA
    grey = row.mode in ("L", "LA")
    alpha = row.mode in ("LA", "RGBA") or name in TRANSPARENCY_KEY_ROWS
    if fmt is OutputFormat.JPEG:
        return "L" if grey else "RGB"
    if fmt in (OutputFormat.WEBP, OutputFormat.AVIF) and name in OPAQUE_ALPHA_ROWS and "animated" not in row.format:
        alpha = False
    if fmt is OutputFormat.PNG:
        return ("LA" if alpha else "L") if grey else ("RGBA" if alpha else "RGB")
    if fmt is OutputFormat.WEBP:
        return "RGBA" if alpha else "RGB"
    return "RGBA" if alpha else ("L" if grey else "RGB")


ROWS = corpus_images()
RENDERED_ROWS = [
    pytest.param(row, id=row.path.name)
    for row in ROWS
    if row.category in ("photo", "edge-case") and expected_error(row) is None
] or [pytest.param(None, marks=pytest.mark.skip(reason=CORPUS_ABSENT))]
REFUSED_ROWS = [pytest.param(row, id=row.path.name) for row in ROWS if expected_error(row) is not None] or [
    pytest.param(None, marks=pytest.mark.skip(reason=CORPUS_ABSENT))
]


def check_rendered(rendered: Rendered, spec: RenderSpec, size: tuple[int, int], mode: str) -> None:
    assert rendered.format is spec.format
    assert (rendered.width, rendered.height) == size
    assert set(rendered.timings_ms) >= {"decode", "transform", "encode"}
    assert all(ms >= 0 for ms in rendered.timings_ms.values())
    with Image.open(io.BytesIO(rendered.body)) as image:
        image.load()
        assert image.format == PILLOW_NAME[spec.format]
        assert image.size == size
        assert image.mode == mode
        assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(image.info)
        assert dict(image.getexif()) == {}


@pytest.mark.parametrize("spec_name", list(SPECS))
@pytest.mark.parametrize("fmt", list(OutputFormat))
@pytest.mark.parametrize("row", RENDERED_ROWS)
def test_corpus_renders(row: CorpusImage, fmt: OutputFormat, spec_name: str) -> None:
    spec = SPECS[spec_name](fmt)
    rendered = render(row.path.read_bytes(), spec, DEFAULT_LIMITS)
    expected_size = plan_for(*displayed_size(row), spec).size
    check_rendered(rendered, spec, expected_size, expected_mode(row, fmt))
    if row.path.suffix.lower() in (".heic", ".heif"):
        assert rendered.source_format == "HEIF"  # the manifest (from before pillow-heif) records it as unreadable
    else:
        assert row.format.startswith(rendered.source_format)
    if spec.fit is Fit.COVER and min(displayed_size(row)) >= 200:
        assert expected_size == (200, 150)


@pytest.mark.parametrize("fmt", list(OutputFormat))
@pytest.mark.parametrize("row", REFUSED_ROWS)
def test_corpus_refusals(row: CorpusImage, fmt: OutputFormat) -> None:
    error = expected_error(row)
    assert error is not None
    with pytest.raises(EdgeError) as caught:
        render(row.path.read_bytes(), SPECS["w300"](fmt), DEFAULT_LIMITS)
    assert type(caught.value) is error, caught.value.detail
    assert caught.value.status in (415, 422)
    assert caught.value.detail


def test_huge_rows_are_recorded(corpus_dir: Path) -> None:
    rows = {row.path.name: row for row in ROWS if row.path.name.startswith("edge-huge-")}
    assert set(rows) == set(HUGE_OUTCOMES)
    for name, outcome in HUGE_OUTCOMES.items():
        assert expected_error(rows[name]) is outcome, name


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    pairs = zip(first.tobytes(), second.tobytes(), strict=True)
    return sum(abs(a - b) for a, b in pairs) / (first.width * first.height)


def test_corpus_orientation_rows_are_upright(corpus_dir: Path) -> None:
    # All eight Landscape_N files show the same landscape picture once their orientation is applied.
    spec = RenderSpec(60, None, Fit.INSIDE, OutputFormat.PNG, None)
    renders: list[Image.Image] = []
    for orientation in range(1, 9):
        data = (corpus_dir / f"edge-exif-orient{orientation}-600x450.jpg").read_bytes()
        with Image.open(io.BytesIO(render(data, spec, DEFAULT_LIMITS).body)) as image:
            renders.append(image.convert("L"))
    reference = renders[0]
    mirrored = reference.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    assert mean_difference(mirrored, reference) > 30  # the check below can tell a mirrored picture apart
    for orientation, upright in enumerate(renders[1:], start=2):
        assert upright.size == (60, 45)
        assert mean_difference(upright, reference) < 12, orientation


def test_phone_portrait_width_applies_after_rotation(corpus_dir: Path) -> None:
    spec = RenderSpec(300, None, Fit.INSIDE, OutputFormat.JPEG, 80)
    rendered = render((corpus_dir / "edge-exif-orient6-portrait-1800.jpg").read_bytes(), spec, DEFAULT_LIMITS)
    assert (rendered.width, rendered.height) == (300, 450)


def test_pillow_caps_the_pixel_limit_before_decoding(corpus_dir: Path) -> None:
    # Our limit (300 MP) would let this 280 MP JPEG through, but Pillow refuses more than 2 x MAX_IMAGE_PIXELS
    # (about 179 MP) while reading the header; that refusal is ImageTooLarge too, and takes no decoding time.
    data = (corpus_dir / "edge-huge-20000x14000-grey.jpg").read_bytes()
    started = time.perf_counter()
    with pytest.raises(ImageTooLarge):
        render(data, SPECS["w300"](OutputFormat.JPEG), Limits(10**9, 300_000_000))
    assert time.perf_counter() - started < 1.0  # a full 280 MP decode takes seconds


# --- generated inputs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fit", list(Fit))
@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_fit_and_format(fit: Fit, fmt: OutputFormat, limits: Limits) -> None:
    source = Image.new("RGB", (400, 200), (30, 90, 200))
    buffer = io.BytesIO()
    source.save(buffer, "PNG")
    spec = RenderSpec(100, 100, fit, fmt, quality(fmt))
    rendered = render(buffer.getvalue(), spec, limits)
    size = plan_for(400, 200, spec).size
    padded = fit is Fit.CONTAIN and fmt is not OutputFormat.JPEG
    check_rendered(rendered, spec, size, "RGBA" if padded else "RGB")
    assert rendered.source_format == "PNG"


@pytest.mark.parametrize(
    ("fmt", "mode", "expected", "tolerance"),
    [
        (OutputFormat.PNG, "RGBA", (220, 40, 40, 128), 1),  # lossless; 1 level from the premultiplied resize
        (OutputFormat.WEBP, "RGBA", (220, 40, 40, 128), 6),
        (OutputFormat.AVIF, "RGBA", (220, 40, 40, 128), 8),
        (OutputFormat.JPEG, "RGB", (238, 148, 148), 6),  # 50 % red over white
    ],
)
def test_alpha_kept_or_flattened_on_white(
    fmt: OutputFormat, mode: str, expected: tuple[int, ...], tolerance: int, limits: Limits
) -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (200, 100), (220, 40, 40, 128)).save(buffer, "PNG")
    rendered = render(buffer.getvalue(), RenderSpec(50, None, Fit.INSIDE, fmt, quality(fmt)), limits)
    with Image.open(io.BytesIO(rendered.body)) as image:
        assert image.mode == mode
        pixel = image.getpixel((25, 12))
    assert isinstance(pixel, tuple)
    assert all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True)), pixel


@pytest.mark.parametrize(
    "spec",
    [
        RenderSpec(None, None, Fit.INSIDE, OutputFormat.PNG, None),
        RenderSpec(0, None, Fit.INSIDE, OutputFormat.PNG, None),
        RenderSpec(10, -1, Fit.COVER, OutputFormat.PNG, None),
        RenderSpec(10, None, Fit.INSIDE, OutputFormat.PNG, 80),
        RenderSpec(10, None, Fit.INSIDE, OutputFormat.JPEG, None),
        RenderSpec(10, None, Fit.INSIDE, OutputFormat.AVIF, 0),
    ],
)
def test_a_broken_spec_is_an_internal_error(spec: RenderSpec, limits: Limits) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    with pytest.raises(EdgeError) as caught:
        render(buffer.getvalue(), spec, limits)
    assert type(caught.value) is EdgeError
    assert caught.value.status == 500


def test_failures_inside_pillow_become_invalid_image(monkeypatch: pytest.MonkeyPatch, limits: Limits) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40)).save(buffer, "PNG")

    def explode(*args: object, **kwargs: object) -> None:
        raise MemoryError("out of memory in the encoder")

    monkeypatch.setattr(Image.Image, "save", explode)
    with pytest.raises(InvalidImage) as caught:
        render(buffer.getvalue(), SPECS["w300"](OutputFormat.WEBP), limits)
    assert caught.value.detail.startswith("encode: MemoryError")


def seeds() -> dict[str, bytes]:
    """Small valid images in every accepted format, to be mutated."""
    rng = random.Random(7)
    image = Image.frombytes("RGB", (24, 16), rng.randbytes(24 * 16 * 3))
    out = {}
    for fmt in ("JPEG", "PNG", "WEBP", "GIF", "AVIF", "TIFF"):
        buffer = io.BytesIO()
        image.save(buffer, fmt)
        out[fmt] = buffer.getvalue()
    return out


SEEDS = seeds()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(sorted(SEEDS)),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=8),
    cut=st.none() | st.floats(min_value=0.0, max_value=1.0),
)
def test_mutated_inputs_only_raise_edge_errors(fmt: str, flips: list[tuple[int, int]], cut: float | None) -> None:
    data = bytearray(SEEDS[fmt])
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: int(len(data) * cut)]
    spec = RenderSpec(16, 16, Fit.COVER, OutputFormat.PNG, None)
    started = time.perf_counter()
    try:
        rendered = render(bytes(data), spec, DEFAULT_LIMITS)
    except (UnsupportedImage, InvalidImage, ImageTooLarge):
        pass  # a refusal; any other exception, or a plain EdgeError (500), fails the test
    else:
        # Never enlarged: a mutation may have changed the declared size, and cover keeps min(16, side) per side
        # (of the upright image: a mutated EXIF orientation may swap the sides).
        with warnings.catch_warnings():  # a mutated header's EXIF may be corrupt: a warning, not our subject here
            warnings.simplefilter("ignore")
            width, height = Image.open(io.BytesIO(bytes(data))).size
        expected = (min(16, width), min(16, height))
        assert (rendered.width, rendered.height) in (expected, expected[::-1])
    assert time.perf_counter() - started < 10


# ru_maxrss survives fork and exec on Linux, so a child of pytest would report pytest's own peak; VmHWM is the
# high-water mark of the child's fresh address space.
MEMORY_PROBE = """
import json, sys
from pathlib import Path
from edge.config import Config
from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import Limits, render

def high_water_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise LookupError("VmHWM")

data = Path(sys.argv[1]).read_bytes()
before = high_water_kb()
rendered = render(data, RenderSpec(int(sys.argv[2]), None, Fit.INSIDE, OutputFormat.JPEG, 80),
                  Limits.from_config(Config()))
print(json.dumps({"before_kb": before, "peak_kb": high_water_kb(), "size": [rendered.width, rendered.height]}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc/self/status (VmHWM)")
def test_huge_jpeg_decodes_in_bounded_memory(corpus_dir: Path) -> None:
    # Decoded at full size this 99.6 MP JPEG needs 400 MB (Pillow keeps RGB in 4 bytes per pixel); DCT scaling
    # to 1/8 while decoding keeps the whole render for 300 px under 100 MB of peak RSS, interpreter included.
    path = corpus_dir / "edge-huge-9643x10328.jpg"
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path), "300"], cwd=REPO, capture_output=True, text=True, check=True
    )
    probe = json.loads(result.stdout)
    assert probe["size"] == [300, 321]
    assert probe["peak_kb"] < 100 * 1024, probe
