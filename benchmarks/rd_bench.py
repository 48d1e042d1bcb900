"""Rate-distortion sweeps of imgedge and sharp, scored with DSSIM and SSIMULACRA2, as BD-rates (issue 19).

Run through the render benchmark (``./dev bench --rd [options]``) or directly::

    python benchmarks/rd_bench.py --formats avif --widths 640 --photos 4

For every photo, width and format it renders the image with each engine at each quality of ``--qualities`` (the
URL quality: imgedge maps it through ``edge.render.encode``, sharp takes it as its ``quality``), in the render
benchmark's workers (one process per engine pinned to CPU 1, one codec thread, CPU time of each call: decode,
resize and encode). Each output is scored against the photo downscaled once in linear light (the render
benchmark's reference) with

- DSSIM, the render benchmark's (SSIM on CIELAB), as the score ``-10 log10(DSSIM)``;
- SSIMULACRA2 from the ``ssimulacra2`` package (PyPI 0.3.0, github.com/Pacidus/py-ssimulacra2: a NumPy/SciPy
  port of libjxl's ``tools/ssimulacra2``; its Gaussian is SciPy's, not libjxl's recursive one, so scores can
  differ from the C++ tool's in the decimals; every engine is scored by the same code).

It prints, per format and width, each configuration against an anchor (sharp at the same aom speed for AVIF,
sharp for JPEG and WebP): BD-rate on DSSIM and on SSIMULACRA2 (``benchmarks/rd.py``: PCHIP of log bytes against
the score, over the common score range, per photo, then the mean over photos), the CPU time at matched
SSIMULACRA2 (the same integral on log CPU ms), and the mean curves. Raw points go to ``--json``.

AVIF configurations (``AVIF_VARIANTS``) are aom option sets on imgedge's pipeline; ``shipping`` is
``edge/render/encode.py`` untouched. ``sharp-e4`` is sharp's default AVIF effort (aom speed 5 through libheif),
``sharp-e3`` its effort 3 (aom speed 6, imgedge's speed).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import rd
from renderbench.corpus import Photo, read_photos
from renderbench.environment import ensure_sharp
from renderbench.processes import Worker, load_sources
from renderbench.quality import Quality
from renderbench.quality import dssim as lab_dssim
from renderbench.settings import DEFAULT_CORPUS, ROOT, WORK, log

#: imgedge AVIF configurations: name -> Pillow save options merged over the shipping ones (``advanced`` replaces
#: the aom options; an empty one leaves libavif's defaults, ``tune=iq`` in libavif 1.4).
AVIF_VARIANTS: dict[str, dict[str, Any]] = {
    "shipping": {},
    "ssim-cdef3-dq6": {"advanced": {"tune": "ssim", "enable-cdef": "3", "deltaq-mode": "6"}},  # 0.2.0's
    "iq-sharp0": {"advanced": {"tune": "iq", "sharpness": "0"}},
    "ssim": {"advanced": {"tune": "ssim"}},
    "iq": {"advanced": {}},
    "iq-s5": {"advanced": {}, "speed": 5},
    "iq-cdef3": {"advanced": {"tune": "iq", "enable-cdef": "3"}},
    "iq-sharp1": {"advanced": {"tune": "iq", "sharpness": "1"}},
    "iq-sharp3": {"advanced": {"tune": "iq", "sharpness": "3"}},
    "iq-dq0": {"advanced": {"tune": "iq", "deltaq-mode": "0"}},
    "iq-dq3": {"advanced": {"tune": "iq", "deltaq-mode": "3"}},
    "s2-sharp0": {"advanced": {"tune": "ssimulacra2", "sharpness": "0"}},
    "s2-sharp3": {"advanced": {"tune": "ssimulacra2", "sharpness": "3"}},
    "iq-dq6": {"advanced": {"tune": "iq", "deltaq-mode": "6"}},
    "s2": {"advanced": {"tune": "ssimulacra2"}},
}
#: sharp's AVIF efforts (libheif maps effort e to aom speed 9 - e).
SHARP_EFFORTS = {"sharp-e4": 4, "sharp-e3": 3}
DEFAULT_QUALITIES = (25, 35, 45, 55, 65, 75, 85, 95)


@dataclass
class Point:
    engine: str
    photo: str
    fmt: str
    width: int
    quality: int
    bytes: int
    cpu_ms: float
    dssim: float = 0.0
    ssimulacra2: float = 0.0


def sweep(
    photos: list[Photo],
    formats: list[str],
    widths: list[int],
    qualities: list[int],
    variants: list[str],
    efforts: list[str],
    out_dir: Path,
) -> list[Point]:
    """Render every photo x format x width x quality with every configuration; outputs go to ``out_dir``."""
    workers = {"imgedge": Worker("imgedge-avif", cpus={1}, threads=1)}
    if ensure_sharp():
        workers["sharp"] = Worker("sharp", cpus={1}, threads=1)
    load_sources(workers, photos)
    configs: list[tuple[str, str, dict[str, Any]]] = []  # (name, worker, extra message)
    points: list[Point] = []
    started = time.perf_counter()
    for fmt in formats:
        if fmt == "avif":
            configs = [("imgedge:" + v, "imgedge", {"avif": {**AVIF_VARIANTS[v], "max_threads": 1}}) for v in variants]
            configs += [(e, "sharp", {"effort": SHARP_EFFORTS[e]}) for e in efforts if "sharp" in workers]
        else:
            configs = [("imgedge:shipping", "imgedge", {})]
            configs += [("sharp", "sharp", {})] if "sharp" in workers else []
        for width in widths:
            for photo in photos:
                for index, quality in enumerate(qualities):
                    # rotate the order so that no configuration always runs first (cache, frequency)
                    shift = index % len(configs)
                    for name, worker_name, extra in configs[shift:] + configs[:shift]:
                        out = out_dir / name.replace(":", "_") / f"{Path(photo.name).stem}-{width}-q{quality}.{fmt}"
                        out.parent.mkdir(parents=True, exist_ok=True)
                        answer = workers[worker_name].call(
                            op="render",
                            name=photo.name,
                            format=fmt,
                            width=width,
                            quality=quality,
                            out=str(out),
                            **extra,
                        )
                        points.append(
                            Point(name, photo.name, fmt, width, quality, int(answer["bytes"]), float(answer["cpu_ms"]))
                        )
            log(f"  rd: {fmt} {width} px rendered, {time.perf_counter() - started:.0f} s")
    for worker in workers.values():
        worker.close()
    return points


def score(points: list[Point], photos: list[Photo], out_dir: Path) -> None:
    """Fill in each point's DSSIM and SSIMULACRA2 against the render benchmark's reference of its size.

    Scoring runs after every render, two photos at a time (it does not touch the measured CPU times).
    """
    started = time.perf_counter()
    by_photo = {photo.name: photo for photo in photos}
    names = sorted({p.photo for p in points})
    groups = [[p for p in points if p.photo == name] for name in names]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = pool.map(_score_photo, [by_photo[name].path for name in names], groups, [out_dir] * len(names))
        for group, scores in zip(groups, results, strict=True):
            for point, (dssim, s2) in zip(group, scores, strict=True):
                point.dssim, point.ssimulacra2 = dssim, s2
    log(f"  rd: {len(points)} outputs scored in {time.perf_counter() - started:.0f} s")


def _score_photo(path: Path, points: list[Point], out_dir: Path) -> list[tuple[float, float]]:
    """(DSSIM, SSIMULACRA2) of each of ``points`` (outputs of the photo at ``path``)."""
    import numpy as np  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415
    from ssimulacra2 import compute_ssimulacra2  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: PLC0415

    quality = Quality(path)
    scores = []
    for point in points:
        out = (
            out_dir
            / point.engine.replace(":", "_")
            / f"{Path(point.photo).stem}-{point.width}-q{point.quality}.{point.fmt}"
        )
        with Image.open(out) as image:
            pixels = image.convert("RGB")
        reference = quality.reference(pixels.size)
        dssim = lab_dssim(np, np.asarray(pixels, dtype=np.float32) / 255.0, reference)
        ref_png, out_png = io.BytesIO(), io.BytesIO()
        Image.fromarray(np.round(reference * 255).astype(np.uint8)).save(ref_png, format="PNG", compress_level=0)
        pixels.save(out_png, format="PNG", compress_level=0)
        ref_png.seek(0)
        out_png.seek(0)
        scores.append((dssim, float(compute_ssimulacra2(ref_png, out_png))))
    return scores


def stage_sources(photos: list[Photo], width: int, out_dir: Path) -> list[Photo]:
    """imgedge's own render of each photo at ``width`` as PNG, to be every engine's source and the reference.

    Every engine then encodes the same pixels (a render at the source's width does not resample), so the curves
    compare the encoders alone, without the resize.
    """
    from edge.config import Config  # noqa: PLC0415
    from edge.options import Fit, OutputFormat, RenderSpec  # noqa: PLC0415
    from edge.render import Limits, render  # noqa: PLC0415

    limits = Limits.from_config(Config())
    out_dir.mkdir(parents=True, exist_ok=True)
    staged = []
    for photo in photos:
        spec = RenderSpec(width, None, Fit.INSIDE, OutputFormat.PNG, None)
        path = out_dir / f"{Path(photo.name).stem}-{width}.png"
        path.write_bytes(render(photo.path.read_bytes(), spec, limits).body)
        staged.append(Photo(path.name, path))
    return staged


def _curve(points: list[Point], metric: str, value: str) -> list[tuple[float, float]]:
    score_of: Callable[[Point], float] = {
        "dssim": lambda p: rd.dssim_score(p.dssim),
        "ssimulacra2": lambda p: p.ssimulacra2,
    }[metric]
    return [(score_of(p), float(getattr(p, value))) for p in points]


def bd_table(points: list[Point], fmt: str, width: int, anchor: str) -> str:
    """Markdown: each configuration's BD-rates and CPU at matched SSIMULACRA2 against ``anchor``."""
    cell = [p for p in points if p.fmt == fmt and p.width == width]
    photos = sorted({p.photo for p in cell})
    engines = sorted({p.engine for p in cell})
    out = io.StringIO()
    print(
        f"\n{fmt.upper()} {width} px, {len(photos)} photos, against {anchor} (mean over photos; min..max)\n", file=out
    )
    print("| configuration | BD-rate DSSIM | BD-rate SSIMULACRA2 | CPU at equal SSIMULACRA2 |", file=out)
    print("|---|---:|---:|---:|", file=out)
    for engine in engines:
        cols = []
        for metric, value in (("dssim", "bytes"), ("ssimulacra2", "bytes"), ("ssimulacra2", "cpu_ms")):
            values = []
            for photo in photos:
                mine = [p for p in cell if p.engine == engine and p.photo == photo]
                base = [p for p in cell if p.engine == anchor and p.photo == photo]
                try:
                    values.append(rd.bd_rate(_curve(base, metric, value), _curve(mine, metric, value)))
                except ValueError:
                    continue
            if not values:
                cols.append("n/a")
            elif value == "cpu_ms":
                cols.append(f"{1 + statistics.fmean(values) / 100:.2f}x")
            else:
                cols.append(f"{statistics.fmean(values):+.1f} % ({min(values):+.1f}..{max(values):+.1f})")
        print(f"| {engine} | {' | '.join(cols)} |", file=out)
    return out.getvalue()


def curve_table(points: list[Point], fmt: str, width: int) -> str:
    """Markdown: the mean curve of each configuration (bytes, DSSIM, SSIMULACRA2, CPU ms per quality)."""
    cell = [p for p in points if p.fmt == fmt and p.width == width]
    out = io.StringIO()
    print(f"\n{fmt.upper()} {width} px: mean over photos per URL quality\n", file=out)
    print("| configuration | q | bytes | DSSIM x1e3 | SSIMULACRA2 | CPU ms |", file=out)
    print("|---|---:|---:|---:|---:|---:|", file=out)
    for engine in sorted({p.engine for p in cell}):
        for quality in sorted({p.quality for p in cell}):
            group = [p for p in cell if p.engine == engine and p.quality == quality]
            print(
                f"| {engine} | {quality} | {statistics.fmean(p.bytes for p in group):.0f} "
                f"| {statistics.fmean(p.dssim for p in group) * 1000:.1f} "
                f"| {statistics.fmean(p.ssimulacra2 for p in group):.2f} "
                f"| {statistics.fmean(p.cpu_ms for p in group):.0f} |",
                file=out,
            )
    return out.getvalue()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--formats", default="avif", help="comma-separated formats (avif, webp, jpeg)")
    parser.add_argument("--widths", default="640", help="comma-separated widths")
    parser.add_argument("--photos", type=int, default=4, help="first N photo rows of the manifest")
    parser.add_argument("--qualities", default=",".join(map(str, DEFAULT_QUALITIES)), help="URL qualities")
    parser.add_argument(
        "--variants", default="shipping,ssim-cdef3-dq6", help=f"AVIF variants of {', '.join(AVIF_VARIANTS)}"
    )
    parser.add_argument("--sharp", default="sharp-e4,sharp-e3", help="sharp AVIF efforts (sharp-e4, sharp-e3)")
    parser.add_argument("--anchor", default="sharp-e3", help="AVIF anchor configuration")
    parser.add_argument(
        "--encoder-only",
        action="store_true",
        help="every engine encodes imgedge's PNG render at the (first) width: the encoders without the resize",
    )
    parser.add_argument("--corpus", type=Path, default=ROOT / DEFAULT_CORPUS)
    parser.add_argument("--json", type=Path, default=WORK / "rd.json", help="raw points (JSON)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    photos = read_photos(args.corpus, args.photos)
    formats, widths = args.formats.split(","), [int(w) for w in args.widths.split(",")]
    qualities = [int(q) for q in args.qualities.split(",")]
    out_dir = WORK / "rd"
    if args.encoder_only:
        widths = widths[:1]
        photos = stage_sources(photos, widths[0], out_dir / "sources")
    points = sweep(photos, formats, widths, qualities, args.variants.split(","), args.sharp.split(","), out_dir)
    score(points, photos, out_dir)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([asdict(p) for p in points], indent=1))
    for fmt in formats:
        for width in widths:
            print(bd_table(points, fmt, width, args.anchor if fmt == "avif" else "sharp"))
            print(curve_table(points, fmt, width))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
