"""Headless Chromium loads the demo page from the emulator: every variant decodes at its width, and Chromium's
own Accept header gets AVIF; an animated variant animates; a still AVIF shows the original's colours and its
full-resolution chroma. Skipped (with the reason shown) only where no Chromium is installed."""

import io
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from urllib.request import Request, urlopen

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from edge.config import CONFIG_ENV_VAR
from imgedge.emulator import Emulator, Settings

pytestmark = pytest.mark.browser

CHROMIUM = next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every <img>, with the pixel size of the variant it shows (for a srcset image naturalWidth is divided by the
# chosen candidate's density, so a fresh Image of its currentSrc gives the variant's own size).
IMAGES_JS = """
async () => Promise.all([...document.querySelectorAll("#grid img")].map(async (img) => {
  const probe = new Image();
  probe.src = img.currentSrc;
  await probe.decode();
  return {src: img.currentSrc, complete: img.complete, natural: img.naturalWidth, width: probe.naturalWidth,
          figure: img.closest("figure").dataset};
}))
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); the browser test needs it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@contextmanager
def one_image_page(
    browser: Browser, originals: Path, path: str, size: tuple[int, int]
) -> Iterator[tuple[Emulator, Page]]:
    """The emulator over ``originals`` (default configuration) and a Chromium page holding one ``<img id=shown>``
    of ``path`` at ``size`` CSS px (device scale 1), loaded; the page's context closes on the way out."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(CONFIG_ENV_VAR, raising=False)
        with Emulator(Settings(port=0, originals=originals), log=lambda _: None) as emulator:
            context = browser.new_context(viewport={"width": 400, "height": 300}, device_scale_factor=1)
            try:
                page = context.new_page()
                width, height = size
                page.set_content(
                    f'<img id="shown" src="{emulator.url}{path}" width="{width}" height="{height}" '
                    'style="display:block">'
                )
                page.wait_for_function("document.getElementById('shown').complete", timeout=60_000)
                yield emulator, page
            finally:
                context.close()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(CONFIG_ENV_VAR, raising=False)
        with Emulator(Settings(port=0), log=lambda _: None) as running:
            yield running


def test_demo_page_in_chromium(browser: Browser, emulator: Emulator, tmp_path: Path) -> None:
    # A fresh profile directory per run (Playwright's launch() also uses a throwaway one).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(emulator.url)
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    page.wait_for_selector("#try-headers tr", timeout=30_000)

    originals: list[dict[str, Any]] = page.evaluate("fetch('/_imgedge/originals').then(r => r.json())")
    widths = {item["url"]: item["width"] for item in originals}
    images: list[dict[str, Any]] = page.evaluate(IMAGES_JS)
    assert len(images) == 7 * len(originals) == 21
    for image in images:
        url = urlsplit(image["src"])
        requested = int(parse_qs(url.query)["w"][0])
        assert image["complete"]
        assert image["natural"] > 0, image
        assert image["width"] == min(requested, widths[url.path]), image  # never enlarged
        assert image["figure"]["state"] == "done", image
        assert int(image["figure"]["width"]) == image["width"]

    # Chromium's own Accept made the edge answer AVIF wherever the format was left to negotiation.
    shown = {urlsplit(image["src"]).path + "?" + urlsplit(image["src"]).query for image in images}
    auto = [r for r in emulator.recent(500) if r.method == "GET" and r.path in shown and "format=" not in r.path]
    assert len(auto) >= len(originals) * 4  # the "auto" srcset image and three fixed widths of each
    for record in auto:
        assert "image/avif" in record.accept
        assert record.content_type == "image/avif", record
    captions = [image["figure"] for image in images if "format=" not in image["src"]]
    assert {caption["contentType"] for caption in captions} == {"image/avif"}

    assert page.inner_text("#try-headers").count("x-imgedge-cache") == 1
    page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)
    assert errors == []
    context.close()


ANIMATION_COLOURS = [(220, 30, 30), (30, 200, 40), (40, 60, 220), (230, 210, 20)]


def test_an_animated_variant_animates_in_chromium(browser: Browser, tmp_path: Path) -> None:
    # An animated GIF original: four solid colours, 250 ms each, looping forever.
    originals = tmp_path / "originals"
    (originals / "anim").mkdir(parents=True)
    frames = [Image.new("RGB", (160, 120), colour) for colour in ANIMATION_COLOURS]
    frames[0].save(originals / "anim" / "spin.gif", save_all=True, append_images=frames[1:], duration=250, loop=0)
    with one_image_page(browser, originals, "/anim/spin.gif?w=120", (120, 90)) as (emulator, page):
        shots = []
        for _ in range(2):
            shots.append(page.locator("#shown").screenshot())
            page.wait_for_timeout(500)  # half the cycle: the other side of the animation
        record = next(r for r in emulator.recent(50) if r.path == "/anim/spin.gif?w=120")
        request = Request(f"{emulator.url}/anim/spin.gif?w=120", headers={"Accept": record.accept})
        with urlopen(request) as answer:
            body = answer.read()
            content_type = answer.headers["Content-Type"]
    assert content_type == "image/avif"  # what Chromium's Accept negotiated
    with Image.open(io.BytesIO(body)) as variant:
        assert getattr(variant, "n_frames", 1) == 4
    colours = []
    for shot in shots:
        with Image.open(io.BytesIO(shot)) as image:
            colours.append(image.convert("RGB").getpixel((60, 45)))
    assert colours[0] != colours[1], colours  # the image changed between the two screenshots


def test_a_still_avif_shows_its_colours_and_chroma_detail_in_chromium(browser: Browser, tmp_path: Path) -> None:
    # Four flat quadrants and, on the green one, a red stripe 2 px wide: chroma at 4:2:0 (half resolution) would
    # blend the stripe with the green beside it; AVIF at 4:4:4 keeps it red. The original's own pixels are the
    # oracle, read back from Chromium's screenshot of the variant at its natural size.
    quadrants = [(200, 40, 40), (40, 170, 60), (50, 70, 210), (235, 215, 40)]
    original = Image.new("RGB", (160, 120))
    for index, colour in enumerate(quadrants):
        x, y = (index % 2) * 80, (index // 2) * 60
        original.paste(colour, (x, y, x + 80, y + 60))
    original.paste((220, 30, 30), (119, 4, 121, 56))  # the stripe: columns 119 and 120 of the green quadrant
    originals = tmp_path / "originals"
    (originals / "still").mkdir(parents=True)
    original.save(originals / "still" / "quadrants.png")
    with one_image_page(browser, originals, "/still/quadrants.png?w=160&q=90", (160, 120)) as (emulator, page):
        shot = page.locator("#shown").screenshot()
        record = next(r for r in emulator.recent(50) if r.path == "/still/quadrants.png?w=160&q=90")
    assert record.content_type == "image/avif"  # Chromium's Accept negotiated AVIF
    with Image.open(io.BytesIO(shot)) as image:
        shown = image.convert("RGB")
    assert shown.size == (160, 120)

    def colour_at(x: int, y: int) -> tuple[int, ...]:
        value = shown.getpixel((x, y))
        assert isinstance(value, tuple)
        return value

    def near(got: tuple[int, ...], want: tuple[int, ...], tolerance: int) -> bool:
        return all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True))

    for index, colour in enumerate(quadrants):
        centre = colour_at((index % 2) * 80 + 20, (index // 2) * 60 + 30)
        assert near(centre, colour, 8), (index, centre, colour)
    stripe = [colour_at(x, 30) for x in (119, 120)]
    assert all(near(pixel, (220, 30, 30), 40) for pixel in stripe), stripe
