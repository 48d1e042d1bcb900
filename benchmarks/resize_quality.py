"""Lossless resize quality of imgedge against sharp: DSSIM and SSIMULACRA2 against a linear-light reference.

    python benchmarks/resize_quality.py [--corpus ../shared/corpus] [--widths 320,640,1280] [--gaps 2,3]

Needs the ``bench`` extra (numpy, scipy, ssimulacra2; SSIMULACRA2 scored as libjxl does,
``renderbench.ssimulacra2``) and Node for sharp (installed into ``benchmarks/.bench`` by the render benchmark's
``ensure_sharp``). For each corpus photo (MANIFEST.tsv rows of category ``photo``) and width it writes sharp's
default resize (``resize({width})``, Lanczos 3 with shrink-on-load) and imgedge's render path
(``edge.render.render`` to PNG, with ``edge.render.decode.DRAFT_GAP`` set to each of ``--gaps``) as lossless PNGs,
scores each against ``renderbench.quality.Quality.reference`` (the full original resized with Lanczos in linear
light), and prints a Markdown table with imgedge's median CPU ms of 3 renders.
"""

import argparse
import importlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from renderbench.environment import ensure_sharp  # noqa: E402
from renderbench.quality import Quality  # noqa: E402
from renderbench.settings import NODE_DIR  # noqa: E402

from edge.config import Config  # noqa: E402
from edge.options import Fit, OutputFormat, RenderSpec  # noqa: E402
from edge.render import Limits, render  # noqa: E402

SHARP_SCRIPT = """
import sharp from "sharp";
const [source, out, widths] = process.argv.slice(2);
for (const w of widths.split(",")) {
  await sharp(source).rotate().resize({ width: Number(w) }).png({ compressionLevel: 0 }).toFile(`${out}/${w}.png`);
}
"""


def photos(corpus: Path) -> list[Path]:
    rows = [line.split("\t") for line in (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()]
    return [corpus / row[0] for row in rows if len(row) > 6 and row[6] == "photo"]


def scores(quality: Quality, png: bytes) -> tuple[float, float]:
    """(DSSIM x1e3, SSIMULACRA2) of the PNG ``png`` against ``quality``'s reference of its size."""
    distance, score = quality.scores(io.BytesIO(png))
    return distance * 1e3, score


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--widths", default="320,640,1280")
    parser.add_argument("--gaps", default="2,3")
    args = parser.parse_args(argv)
    if not ensure_sharp():
        return 2
    decode: Any = importlib.import_module("edge.render.decode")  # the module (edge.render.decode is a function)
    limits = Limits.from_config(Config())
    gaps = [float(g) for g in args.gaps.split(",")]
    header = ["photo", "width", "sharp DSSIM", "sharp S2"]
    for gap in gaps:
        header += [f"gap {gap:g} DSSIM", f"gap {gap:g} S2", f"gap {gap:g} ms"]
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    script = NODE_DIR / "resize_quality.mjs"
    script.write_text(SHARP_SCRIPT, encoding="utf-8")
    for path in photos(args.corpus):
        quality = Quality(path)
        with tempfile.TemporaryDirectory() as out:
            subprocess.run(["node", str(script), str(path), out, args.widths], cwd=NODE_DIR, check=True)
            sharp = {int(w): (Path(out) / f"{w}.png").read_bytes() for w in args.widths.split(",")}
        data = path.read_bytes()
        for width, sharp_png in sharp.items():
            cells = [f"{value:.2f}" for value in scores(quality, sharp_png)]
            for gap in gaps:
                decode.DRAFT_GAP = gap
                times = []
                for _ in range(3):
                    start = time.process_time()
                    rendered = render(data, RenderSpec(width, None, Fit.INSIDE, OutputFormat.PNG, None), limits)
                    times.append((time.process_time() - start) * 1000)
                cells += [f"{value:.2f}" for value in scores(quality, rendered.body)]
                cells.append(f"{statistics.median(times):.0f}")
            print(f"| {path.name} | {width} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
