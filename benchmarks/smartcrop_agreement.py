"""How often imgedge's pure-Pillow smart crops agree with libvips' ``smartcrop`` on the corpus photos.

For every ``photo`` row of ``/work/shared/corpus/MANIFEST.tsv`` and several crop shapes, the photo is resized the
way ``fit=cover`` resizes it (Pillow, sRGB), and the same pixels go to ``edge.render.crop`` and to libvips
(``pyvips.Image.smartcrop``, ``interesting=entropy|attention``). Printed: per strategy, the mean and median IoU
of the two crop boxes, the share with IoU >= 0.5 and >= 0.9, and the mean centre distance as a fraction of the
image's long side; with ``--rows``, every case. Needs pyvips (``pip install pyvips pyvips-binary``); not part of
the test suite.

    python benchmarks/smartcrop_agreement.py [--corpus DIR] [--rows]
"""

import argparse
import csv
import statistics
import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.options import Fit, OutputFormat, RenderSpec
from edge.render.crop import attention_box, entropy_box
from edge.render.geometry import plan_for

SHAPES = ((300, 300), (400, 200), (200, 400), (640, 360), (360, 640))
STRATEGIES = {"entropy": entropy_box, "attention": attention_box}
Box = tuple[int, int, int, int]


def iou(a: Box, b: Box) -> float:
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 1.0


def vips_box(image: Image.Image, size: tuple[int, int], strategy: str) -> Box:
    import pyvips  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: PLC0415 - optional, benchmark only

    rgb = image.convert("RGB")
    vips = pyvips.Image.new_from_memory(rgb.tobytes(), rgb.width, rgb.height, 3, "uchar")
    vips = vips.copy(interpretation="srgb")
    out = vips.smartcrop(size[0], size[1], interesting=strategy)
    left, top = -int(out.xoffset), -int(out.yoffset)
    if left < 0 or top < 0:  # libvips versions differ in the sign of the offsets
        left, top = abs(left), abs(top)
    return left, top, left + size[0], top + size[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("/work/shared/corpus"))
    parser.add_argument("--rows", action="store_true", help="print every case")
    args = parser.parse_args()
    try:
        import pyvips  # noqa: PLC0415
    except ImportError:
        print("pyvips is not installed: pip install pyvips pyvips-binary", file=sys.stderr)
        return 2
    print(f"libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}")
    with (args.corpus / "MANIFEST.tsv").open(encoding="utf-8") as manifest:
        photos = [row["file"] for row in csv.DictReader(manifest, delimiter="\t") if row["category"] == "photo"]
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in STRATEGIES}
    for name in photos:
        with Image.open(args.corpus / name) as opened:
            opened.draft("RGB", (1600, 1600))
            source = opened.convert("RGB")
        for shape in SHAPES:
            plan = plan_for(*source.size, RenderSpec(shape[0], shape[1], Fit.COVER, OutputFormat.PNG, None))
            resized = source.resize(plan.resize, Image.Resampling.LANCZOS)
            cropped = plan.canvas
            if cropped == resized.size:
                continue
            for strategy, ours in STRATEGIES.items():
                mine = ours(resized, cropped)
                theirs = vips_box(resized, cropped, strategy)
                score = iou(mine, theirs)
                centre = (
                    abs((mine[0] + mine[2]) - (theirs[0] + theirs[2])) / 2
                    + abs((mine[1] + mine[3]) - (theirs[1] + theirs[3])) / 2
                ) / max(resized.size)
                results[strategy].append((score, centre))
                if args.rows:
                    print(f"{name:48} {shape[0]}x{shape[1]:<4} {strategy:9} ours {mine} vips {theirs} IoU {score:.2f}")
    print(f"{len(photos)} photos x {len(SHAPES)} shapes (cases where cover crops)")
    print("| strategy | cases | mean IoU | median IoU | IoU >= 0.5 | IoU >= 0.9 | mean centre offset |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for strategy, rows in results.items():
        scores = [score for score, _ in rows]
        offsets = [offset for _, offset in rows]
        print(
            f"| {strategy} | {len(rows)} | {statistics.mean(scores):.2f} | {statistics.median(scores):.2f} | "
            f"{sum(s >= 0.5 for s in scores) / len(scores):.0%} | {sum(s >= 0.9 for s in scores) / len(scores):.0%} | "
            f"{statistics.mean(offsets):.1%} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
