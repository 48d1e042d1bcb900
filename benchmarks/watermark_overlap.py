"""How much of an original overlapping watermarked crops give back: the limit of a per-output logo.

Every full-resolution strip carries the logo (``edge.watermarks.Watermark.covers``), but each carries it in its
own corner, so the pixels under one strip's logo are clean in a neighbouring strip. This asks for cover strips
of several widths at every focal point of the grid (what any viewer may request), locates each strip in the
original the way an attacker can (``geometry.focus_crop``, the documented crop position), keeps its pixels that
equal the original (the ones the logo missed), and prints the share of the original recovered exactly, at full
resolution. Run: ``.venv/bin/python benchmarks/watermark_overlap.py [PHOTO]``.
"""

import io
import sys
from pathlib import Path

from PIL import Image, ImageChops

from edge.config import Config
from edge.options import Fit, Gravity, OutputFormat, RenderSpec
from edge.render import Limits, render
from edge.render.geometry import focus_crop
from edge.watermarks import Watermark

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
SOURCE_SIZE = (960, 600)
WIDTHS = (16, 32, 64, 96, 128, 256)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS / "photo-bythewater-2560x1600.jpg"
    with Image.open(path) as opened:
        photo = opened.convert("RGB").resize(SOURCE_SIZE, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    photo.save(buffer, "PNG")
    logo = io.BytesIO()
    Image.new("RGBA", (200, 100), (255, 0, 255, 255)).save(logo, "PNG")
    defaults = Config()
    placement = defaults.watermarking
    mark = Watermark(
        logo.getvalue(), "etag", placement.watermark_position, placement.watermark_margin,
        placement.watermark_opacity, placement.watermark_width, placement.watermark_min_width,
    )  # fmt: skip
    limits = Limits.from_config(defaults)
    recovered = Image.new("L", SOURCE_SIZE, 0)
    strips = marked = 0
    for width in WIDTHS:
        for step in range(21):
            focus = (step * 5, 50)
            spec = RenderSpec(width, 3840, Fit.COVER, OutputFormat.PNG, None, gravity=Gravity.FOCUS, focus=focus)
            rendered = render(buffer.getvalue(), spec, limits, watermark=mark)
            with Image.open(io.BytesIO(rendered.body)) as out:
                strip = out.convert("RGB")
            box = focus_crop(SOURCE_SIZE, strip.size, focus)
            same = ImageChops.difference(strip, photo.crop(box)).convert("L").point(lambda v: 255 if v == 0 else 0)
            strips += 1
            marked += same.getextrema()[0] == 0
            recovered.paste(255, box, same)
    share = 1 - recovered.histogram()[0] / (SOURCE_SIZE[0] * SOURCE_SIZE[1])
    print(f"{strips} strips ({marked} carrying the logo): {share:.2%} of the {SOURCE_SIZE} original recovered exactly")


if __name__ == "__main__":
    main()
