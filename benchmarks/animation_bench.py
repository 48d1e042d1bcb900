"""Animated originals: frames, bytes and render time per output format, for the corpus's animations.

    python benchmarks/animation_bench.py [--corpus ../shared/corpus] [--widths 200,320] [--rounds 5]

Renders each animated corpus original (MANIFEST.tsv rows whose format says ``animated``) with imgedge's render
path (``edge.render.render``, exactly what origin-response runs) to WebP, AVIF and JPEG at each width, and prints
a Markdown table: frames in the output, bytes, and the median wall time of ``--rounds`` renders in this process.
"""

import argparse
import csv
import io
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.config import Config  # noqa: E402
from edge.options import Fit, OutputFormat, RenderSpec  # noqa: E402
from edge.render import Limits, render  # noqa: E402

FORMATS = (OutputFormat.WEBP, OutputFormat.AVIF, OutputFormat.JPEG)


def animated_rows(corpus: Path) -> list[Path]:
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    return [corpus / row[0] for row in rows if len(row) > 1 and "animated" in row[1]]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--widths", default="200,320")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if not (args.corpus / "MANIFEST.tsv").is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    config = Config()
    limits = Limits.from_config(config)
    print("| original | source frames | format | width | output frames | bytes | ms (median) |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for path in animated_rows(args.corpus):
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as source:
            source_frames = getattr(source, "n_frames", 1)
        for width in (int(w) for w in args.widths.split(",")):
            for fmt in FORMATS:
                spec = RenderSpec(width, None, Fit.INSIDE, fmt, config.sizing.default_quality[fmt.value])
                times = []
                for _ in range(args.rounds):
                    start = time.perf_counter()
                    rendered = render(data, spec, limits)
                    times.append((time.perf_counter() - start) * 1000)
                with Image.open(io.BytesIO(rendered.body)) as output:
                    frames = getattr(output, "n_frames", 1)
                print(f"| {path.name} | {source_frames} | {fmt.value} | {width} | {frames} | {len(rendered.body):,} "
                      f"| {statistics.median(times):.0f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
