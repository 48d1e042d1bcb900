"""Rate-distortion sweeps of imgedge, sharp and pyvips, scored with DSSIM and SSIMULACRA2, as BD-rates (issue 19).

Run through the render benchmark (``./dev bench --rd [options]``) or directly::

    python benchmarks/rd_bench.py --formats avif,webp --widths 640 --photos 4

For every photo, width and format it renders the image with each configuration at each quality of
``--qualities`` (the URL quality: imgedge maps it through ``edge.render.encode``, sharp takes it as its
``quality``, pyvips as its ``Q``), in the render benchmark's workers (one process per engine pinned to CPU 1, one
codec thread, imgedge's AVIF its shipping threads on that CPU; CPU time of each call: decode, resize and
encode). Each output is scored against the photo
downscaled once in linear light (the render benchmark's reference) with

- DSSIM, the render benchmark's (SSIM on CIELAB), as the score ``-10 log10(DSSIM)``;
- SSIMULACRA2 as libjxl's ``tools/ssimulacra2`` computes it (``renderbench.ssimulacra2``: the ``ssimulacra2``
  package's pipeline, PyPI 0.3.0, with libjxl's blur and scale count; within 0.25 points of published C++
  scores, ``benchmarks/ssimulacra2_check.py``).

It prints, per format and width, each configuration against an anchor (``--anchor`` for AVIF, by default
``sharp-e3-444``, sharp at imgedge's aom speed and chroma; sharp for JPEG and WebP; imgedge's shipping
configuration when the anchor is not in the sweep): BD-rate on DSSIM and on SSIMULACRA2 (``benchmarks/rd.py``:
PCHIP of log bytes against the score, over the common score range, per photo, then the mean over photos), the CPU
time at matched SSIMULACRA2 (the same integral on log CPU ms), the per-photo BD-rates (one row per photo, one
column per configuration) with the sign flips called out under them (a configuration better than the anchor on the
mean but worse on some photos, or the reverse), and the mean curves. Raw points go to ``--json``;
``--tables-from JSON`` prints a saved sweep's tables against another ``--anchor`` without rendering.

Engines (``--engines``, default all three; each one that cannot start is left out, with a line on stderr):

- ``imgedge``: ``edge.render.render``. AVIF configurations (``--variants`` of ``AVIF_VARIANTS``) are aom option
  sets on imgedge's pipeline; ``shipping`` is ``edge/render/encode.py`` untouched (the only one for JPEG, WebP).
- ``sharp`` (``benchmarks/sharp_worker.mjs``, npm-installed on first use): ``sharp`` for JPEG and WebP; for AVIF
  ``--sharp`` configurations (``SHARP_EFFORTS``): ``sharp-e4`` its default effort (aom speed 5 through libheif),
  ``sharp-e3`` (aom speed 6, imgedge's speed), both at 4:2:0, and ``sharp-e4-444`` / ``sharp-e3-444`` at sharp's
  default chroma, 4:4:4 (``sharp-e4-444`` is sharp's ``avif()`` with no options).
- ``pyvips`` (``renderbench.engines.pyvips_renderer``, libvips from pyvips-binary, pip-installed on first use):
  ``pyvips`` for JPEG and WebP; for AVIF ``--pyvips`` configurations, named as sharp's (``pyvips-e4``, ...).
  With pyvips-binary 8.18.7 and sharp 0.35.5 both run the same libvips build: their outputs were byte-identical
  at every point of a 2-photo sweep, so pyvips adds no independent point unless its libvips differs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import rd
from renderbench.corpus import Photo, read_photos
from renderbench.environment import ensure_python_packages, ensure_sharp
from renderbench.processes import Worker, WorkerError, load_sources
from renderbench.quality import Quality
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
    "yuv420": {"subsampling": "4:2:0"},  # 0.2.0's chroma, with the shipping aom options
    "norect": {"advanced": {"tune": "iq", "sharpness": "0", "enable-rect-partitions": "0"}},
}
#: The engines a sweep can run (``--engines``) and the worker engine of each (``renderbench.worker``, sharp's own).
ENGINES = {"imgedge": "imgedge-avif", "sharp": "sharp", "pyvips": "pyvips"}
#: sharp's and pyvips's AVIF configurations: name -> the worker message's effort (libheif maps effort e to aom
#: speed 9 - e; 4 is the default of both) and chroma subsampling (4:2:0 unless "-444"; sharp's own default is 4:4:4,
#: so ``sharp-e4-444`` is sharp's ``avif()`` untouched, and ``sharp-e3-444`` is its effort at imgedge's aom speed).
SHARP_EFFORTS: dict[str, dict[str, Any]] = {
    f"sharp-e{effort}{suffix}": {"effort": effort, "subsampling": subsampling}
    for effort in (4, 3)
    for suffix, subsampling in (("", "4:2:0"), ("-444", "4:4:4"))
}
PYVIPS_EFFORTS: dict[str, dict[str, Any]] = {
    name.replace("sharp", "pyvips", 1): message for name, message in SHARP_EFFORTS.items()
}
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


#: A configuration: (name, engine, the extra fields of its render message).
Configuration = tuple[str, str, dict[str, Any]]


def bench_cpu() -> int:
    """The CPU the workers are pinned to: CPU 1, as the render benchmark's, or the first one this process may use."""
    allowed = os.sched_getaffinity(0)
    return 1 if 1 in allowed else min(allowed)


def start_workers(engines: Sequence[str]) -> dict[str, Worker]:
    """A worker per engine of ``engines``, pinned to ``bench_cpu()`` with one thread; an engine that cannot start
    (no node/npm for sharp, pyvips not installable or not importable) is left out, with a line on stderr."""
    workers: dict[str, Worker] = {}
    cpu = bench_cpu()
    for engine in engines:
        if engine == "sharp" and not ensure_sharp():
            continue  # ensure_sharp said why
        if engine == "pyvips":
            try:
                ensure_python_packages(["pyvips", "pyvips-binary"])
            except (OSError, subprocess.CalledProcessError) as err:
                log(f"  rd: pyvips cannot be installed ({err}): the sweep goes on without pyvips")
                continue
        worker = Worker(ENGINES[engine], cpus={cpu}, threads=1)
        try:
            versions = worker.call(op="hello")["versions"]
        except WorkerError as err:
            log(f"  rd: the {engine} worker does not start ({err}): the sweep goes on without {engine}")
            if worker.process.stdin is not None:
                worker.process.stdin.close()
            worker.process.wait(timeout=30)
            continue
        log(f"  rd: {engine} on CPU {cpu}: {json.dumps(versions)}")
        workers[engine] = worker
    return workers


def configurations(
    fmt: str, engines: Sequence[str], variants: Sequence[str], sharp: Sequence[str], pyvips: Sequence[str]
) -> list[Configuration]:
    """The configurations of ``fmt`` on the running ``engines``: imgedge's AVIF ``variants`` (its shipping
    encoder for JPEG and WebP), and sharp's and pyvips's AVIF efforts (their one configuration for JPEG and WebP)."""
    configs: list[Configuration] = []
    if "imgedge" in engines:
        if fmt == "avif":
            configs += [("imgedge:" + v, "imgedge", {"avif": AVIF_VARIANTS[v]}) for v in variants]
        else:
            configs.append(("imgedge:shipping", "imgedge", {}))
    for engine, efforts, chosen in (("sharp", SHARP_EFFORTS, sharp), ("pyvips", PYVIPS_EFFORTS, pyvips)):
        if engine not in engines:
            continue
        if fmt == "avif":
            configs += [(name, engine, efforts[name]) for name in chosen]
        else:
            configs.append((engine, engine, {}))
    return configs


def output_path(out_dir: Path, config: str, photo: str, width: int, quality: int, fmt: str) -> Path:
    return out_dir / config.replace(":", "_") / f"{Path(photo).stem}-{width}-q{quality}.{fmt}"


def sweep(
    photos: list[Photo],
    formats: list[str],
    widths: list[int],
    qualities: list[int],
    workers: dict[str, Worker],
    configs_of: Callable[[str], list[Configuration]],
    out_dir: Path,
) -> list[Point]:
    """Render every photo x format x width x quality with every configuration of ``configs_of(format)`` in
    ``workers`` (closed at the end); outputs go to ``out_dir``."""
    load_sources(workers, photos)
    points: list[Point] = []
    started = time.perf_counter()
    for fmt in formats:
        configs = configs_of(fmt)
        if not configs:
            log(f"  rd: {fmt}: no configuration to run")
            continue
        for width in widths:
            for photo in photos:
                for index, quality in enumerate(qualities):
                    # rotate the order so that no configuration always runs first (cache, frequency)
                    shift = index % len(configs)
                    for name, worker_name, extra in configs[shift:] + configs[:shift]:
                        out = output_path(out_dir, name, photo.name, width, quality, fmt)
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
    quality = Quality(path)
    return [quality.scores(output_path(out_dir, p.engine, p.photo, p.width, p.quality, p.fmt)) for p in points]


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


def bd_rates(
    points: list[Point], fmt: str, width: int, anchor: str, metric: str, value: str = "bytes"
) -> dict[str, dict[str, float]]:
    """configuration -> photo -> BD-rate (%) of ``value`` at equal ``metric`` against ``anchor``, for the points of
    ``fmt`` at ``width``; a photo whose curves cannot be compared (no overlap, too few scores) is left out."""
    cell = [p for p in points if p.fmt == fmt and p.width == width]
    rates: dict[str, dict[str, float]] = {}
    for engine in sorted({p.engine for p in cell}):
        rates[engine] = {}
        for photo in sorted({p.photo for p in cell}):
            mine = [p for p in cell if p.engine == engine and p.photo == photo]
            base = [p for p in cell if p.engine == anchor and p.photo == photo]
            try:
                rates[engine][photo] = rd.bd_rate(_curve(base, metric, value), _curve(mine, metric, value))
            except ValueError:
                continue
    return rates


def anchor_for(points: list[Point], fmt: str, avif_anchor: str) -> str:
    """The anchor of ``fmt``: ``avif_anchor`` for AVIF, sharp otherwise; imgedge's shipping configuration (or the
    first configuration) when that one is not in the sweep."""
    wanted = avif_anchor if fmt == "avif" else "sharp"
    names = sorted({p.engine for p in points if p.fmt == fmt})
    if wanted in names or not names:
        return wanted
    fallback = "imgedge:shipping" if "imgedge:shipping" in names else names[0]
    log(f"  rd: {fmt}: the anchor {wanted} is not in the sweep; {fallback} is")
    return fallback


def bd_table(points: list[Point], fmt: str, width: int, anchor: str) -> str:
    """Markdown: each configuration's BD-rates and CPU at matched SSIMULACRA2 against ``anchor``."""
    cell = [p for p in points if p.fmt == fmt and p.width == width]
    photos = sorted({p.photo for p in cell})
    columns = [
        bd_rates(points, fmt, width, anchor, metric, value)
        for metric, value in (("dssim", "bytes"), ("ssimulacra2", "bytes"), ("ssimulacra2", "cpu_ms"))
    ]
    out = io.StringIO()
    print(
        f"\n{fmt.upper()} {width} px, {len(photos)} photos, against {anchor} (mean over photos; min..max)\n", file=out
    )
    print("| configuration | BD-rate DSSIM | BD-rate SSIMULACRA2 | CPU at equal SSIMULACRA2 |", file=out)
    print("|---|---:|---:|---:|", file=out)
    for engine in sorted({p.engine for p in cell}):
        cols = []
        for index, rates in enumerate(columns):
            values = list(rates[engine].values())
            if not values:
                cols.append("n/a")
            elif index == 2:
                cols.append(f"{1 + statistics.fmean(values) / 100:.2f}x")
            else:
                cols.append(f"{statistics.fmean(values):+.1f} % ({min(values):+.1f}..{max(values):+.1f})")
        print(f"| {engine} | {' | '.join(cols)} |", file=out)
    return out.getvalue()


def photo_table(points: list[Point], fmt: str, width: int, anchor: str) -> str:
    """Markdown: per photo (rows) and configuration (columns), BD-rate SSIMULACRA2 / DSSIM against ``anchor``, the
    mean over photos, then the sign flips: each configuration whose mean is <= 0 but > 0 on some photos, or > 0
    but <= 0 on some, with those photos."""
    cell = [p for p in points if p.fmt == fmt and p.width == width]
    photos = sorted({p.photo for p in cell})
    engines = sorted({p.engine for p in cell}, key=lambda e: (e != anchor, e))
    metrics = {
        "SSIMULACRA2": bd_rates(points, fmt, width, anchor, "ssimulacra2"),
        "DSSIM": bd_rates(points, fmt, width, anchor, "dssim"),
    }

    def pair(engine: str, photo: str | None) -> str:
        """``SSIMULACRA2 / DSSIM`` of ``engine`` on ``photo``, or their means over photos (None)."""
        texts = []
        for rates in metrics.values():
            mine = rates[engine]
            values = list(mine.values()) if photo is None else [mine[photo]] if photo in mine else []
            texts.append(f"{statistics.fmean(values):+.1f}" if values else "n/a")
        return " / ".join(texts)

    out = io.StringIO()
    print(f"\n{fmt.upper()} {width} px per photo: BD-rate SSIMULACRA2 / DSSIM (%) against {anchor}\n", file=out)
    header = [f"{e} (anchor)" if e == anchor else e for e in engines]
    print(f"| photo | {' | '.join(header)} |", file=out)
    print(f"|---|{'---:|' * len(engines)}", file=out)
    for photo in photos:
        print(f"| {Path(photo).stem} | {' | '.join(pair(e, photo) for e in engines)} |", file=out)
    print(f"| mean | {' | '.join(pair(e, None) for e in engines)} |", file=out)
    flips = sign_flips(metrics, anchor)
    print("\nsign flips:" + ("" if flips else " none"), file=out)
    for line in flips:
        print(f"- {line}", file=out)
    return out.getvalue()


def sign_flips(metrics: dict[str, dict[str, dict[str, float]]], anchor: str) -> list[str]:
    """One sentence per configuration and metric whose per-photo BD-rates do not all share the mean's side:
    better than or as good as ``anchor`` on the mean (<= 0) but worse (> 0) on some photos, or the reverse."""
    lines = []
    for metric, rates in metrics.items():
        for engine, by_photo in rates.items():
            if engine == anchor or not by_photo:
                continue
            mean = statistics.fmean(by_photo.values())
            if mean <= 0:
                flipped = {photo: rate for photo, rate in by_photo.items() if rate > 0}
                side, other = "worse than", "better on the mean" if mean < 0 else "even on the mean"
            else:
                flipped = {photo: rate for photo, rate in by_photo.items() if rate <= 0}
                side, other = "better than or even with", "worse on the mean"
            if flipped:
                where = ", ".join(f"{Path(photo).stem} ({rate:+.1f} %)" for photo, rate in sorted(flipped.items()))
                lines.append(f"{metric}: {engine} is {side} {anchor} on {where} though {other} ({mean:+.1f} %)")
    return lines


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


def _names(text: str) -> list[str]:
    return [name for name in text.split(",") if name]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--formats", default="avif", help="comma-separated formats (avif, webp, jpeg)")
    parser.add_argument("--widths", default="640", help="comma-separated widths")
    parser.add_argument("--photos", type=int, default=4, help="first N photo rows of the manifest")
    parser.add_argument("--qualities", default=",".join(map(str, DEFAULT_QUALITIES)), help="URL qualities")
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated engines ({', '.join(ENGINES)})")
    parser.add_argument(
        "--variants", default="shipping,yuv420", help=f"imgedge AVIF variants of {', '.join(AVIF_VARIANTS)}"
    )
    parser.add_argument(
        "--sharp", default="sharp-e4-444,sharp-e3-444", help=f"sharp AVIF configurations ({', '.join(SHARP_EFFORTS)})"
    )
    parser.add_argument(
        "--pyvips", default="pyvips-e4-444", help=f"pyvips AVIF configurations ({', '.join(PYVIPS_EFFORTS)})"
    )
    parser.add_argument(
        "--anchor", default="sharp-e3-444", help="AVIF anchor: sharp at imgedge's aom speed and chroma by default"
    )
    parser.add_argument(
        "--encoder-only",
        action="store_true",
        help="every engine encodes imgedge's PNG render at the (first) width: the encoders without the resize",
    )
    parser.add_argument("--corpus", type=Path, default=ROOT / DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=WORK / "rd", help="the outputs (one folder per configuration)")
    parser.add_argument("--json", type=Path, default=WORK / "rd.json", help="raw points (JSON)")
    parser.add_argument(
        "--tables-from",
        type=Path,
        metavar="JSON",
        help="render nothing: print the tables of a saved sweep (its --json) against --anchor",
    )
    args = parser.parse_args(argv)
    for option, known in (
        ("engines", ENGINES),
        ("variants", AVIF_VARIANTS),
        ("sharp", SHARP_EFFORTS),
        ("pyvips", PYVIPS_EFFORTS),
        ("formats", ("avif", "webp", "jpeg")),
    ):
        unknown = [name for name in _names(getattr(args, option)) if name not in known]
        if unknown:
            parser.error(f"--{option}: unknown {', '.join(unknown)} (known: {', '.join(known)})")
    return args


def print_tables(points: list[Point], avif_anchor: str) -> None:
    """Every table of ``points``, per format and width, in the order the sweep ran them."""
    for fmt in dict.fromkeys(p.fmt for p in points):
        anchor = anchor_for(points, fmt, avif_anchor)
        for width in dict.fromkeys(p.width for p in points if p.fmt == fmt):
            print(bd_table(points, fmt, width, anchor))
            print(photo_table(points, fmt, width, anchor))
            print(curve_table(points, fmt, width))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.tables_from:
        print_tables([Point(**point) for point in json.loads(args.tables_from.read_text())], args.anchor)
        return 0
    photos = read_photos(args.corpus, args.photos)
    formats, widths = _names(args.formats), [int(w) for w in _names(args.widths)]
    qualities = [int(q) for q in _names(args.qualities)]
    out_dir: Path = args.out
    if args.encoder_only:
        widths = widths[:1]
        photos = stage_sources(photos, widths[0], out_dir / "sources")
    workers = start_workers(_names(args.engines))
    if not workers:
        log("rd: no engine could start")
        return 1

    def configs_of(fmt: str) -> list[Configuration]:
        return configurations(fmt, list(workers), _names(args.variants), _names(args.sharp), _names(args.pyvips))

    points = sweep(photos, formats, widths, qualities, workers, configs_of, out_dir)
    score(points, photos, out_dir)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([asdict(p) for p in points], indent=1))
    print_tables(points, args.anchor)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
