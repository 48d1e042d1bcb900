"""The command line: ``python benchmarks/render_bench.py [options]`` (or ``python -m renderbench`` with
``benchmarks/`` on the path). Parses the options, runs the parts in order and prints their Markdown, then writes
``results.json`` and ``report.md`` under ``benchmarks/.bench/``."""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import renderbench
from renderbench.corpus import Photo, read_photos
from renderbench.edge_functions import measure_edge, measure_emulator, measure_huge
from renderbench.environment import ensure_python_packages, ensure_sharp, machine
from renderbench.matrix import Cell, Job, Key, run_avif_curve, run_matrix, run_thread_scaling, score
from renderbench.processes import Worker, WorkerError, load_sources
from renderbench.report import (
    cells_json,
    check_targets,
    contention_table,
    cost_table,
    curve_table,
    edge_table,
    emulator_table,
    huge_table,
    render_tables,
    scaling_table,
    stage_table,
)
from renderbench.settings import (
    DEFAULT_CORPUS,
    ENGINES,
    FORMATS,
    ONE_VCPU_MB,
    PRICE_GB_SECOND,
    PRICE_REQUEST,
    ROOT,
    WIDTHS,
    WORK,
    log,
)

Emit = Callable[..., None]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=renderbench.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 photos, 1 round, smaller extras (about 2 minutes)")
    parser.add_argument("--rounds", type=int, help="rounds of JPEG and WebP in the main matrix (default 3; --quick 1)")
    parser.add_argument("--avif-rounds", type=int, help="rounds of AVIF in the main matrix (default 1)")
    parser.add_argument("--photos", type=int, help="use the first N photo rows of the manifest (default all 8)")
    parser.add_argument("--corpus", type=Path, default=ROOT / DEFAULT_CORPUS, help="corpus folder (../shared/corpus)")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated engines of the main matrix")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated formats")
    parser.add_argument(
        "--clock", choices=("cpu", "wall"), default="cpu", help="times of the main tables (default: CPU time)"
    )
    parser.add_argument("--no-curve", action="store_true", help="skip the AVIF encoder curve and thread scaling")
    parser.add_argument("--no-plugin", action="store_true", help="skip pillow-avif-plugin (SVT-AV1, rav1e)")
    parser.add_argument("--no-edge", action="store_true", help="skip viewer-request, cold starts and the emulator")
    parser.add_argument("--no-floor", action="store_true", help="skip the JPEG/WebP floor (floor.py)")
    parser.add_argument("--events", type=int, help="viewer-request events per mode (default 100,000)")
    parser.add_argument("--json", type=Path, default=WORK / "results.json", help="raw results (JSON)")
    # Kept for old command lines: the Python workers are ``python -m renderbench.worker ENGINE`` now.
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _loads(values: Sequence[float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def emit_machine(
    emit: Emit,
    facts: dict[str, str],
    versions: dict[str, Any],
    argv: Sequence[str],
    photos: Sequence[Photo],
    corpus: Path,
    rounds: int,
    avif_rounds: int,
    clock: str,
) -> None:
    emit("## Machine and versions\n")
    emit(f"- machine: {facts['nproc']} CPUs ({facts['cpu']}), {facts['memory']} RAM, Linux {facts['kernel']}")
    own = versions.get("imgedge", versions.get("imgedge-issue", {}))
    if own:
        emit(
            f"- Python {own['python']}, Pillow {own['pillow']} (libjpeg-turbo {own['pillow-libjpeg_turbo']}, libwebp "
            f"{own['pillow-webp']}, libavif {own['pillow-avif']}: {own.get('pillow-avif-codecs', '?')}, "
            f"LittleCMS {own['pillow-littlecms2']})"
        )
    if "pyvips" in versions:
        emit(f"- pyvips {versions['pyvips']['pyvips']} with libvips {versions['pyvips']['libvips']} (pyvips-binary)")
    if "sharp" in versions:
        sv = versions["sharp"]
        emit(
            f"- sharp {sv['sharp']} (libvips {sv['vips']}, mozjpeg {sv.get('mozjpeg')}, libwebp {sv.get('webp')}, "
            f"libheif {sv.get('heif')}, aom {sv.get('aom')}), Node {facts['node']}"
        )
    emit(f"- command: `{' '.join([Path(sys.executable).name, 'benchmarks/render_bench.py', *argv])}`")
    emit(
        f"- photos: {len(photos)} `photo` rows of {corpus}/MANIFEST.tsv; widths {WIDTHS}; {rounds} round(s) of "
        f"JPEG and WebP, {avif_rounds} of AVIF"
    )
    emit(
        "- every engine in its own process pinned to CPU 1, one thread (sharp.concurrency(1), VIPS_CONCURRENCY=1; "
        "imgedge's AVIF encoder its shipping 2 threads on that CPU, see edge.render.encode.AVIF_MIN_THREADS); "
        "libvips operation caches off; originals in memory, decoded from their bytes on "
        f"every call; engines interleaved, order rotated per job; times ({clock} clock) are the mean over "
        "photos of per-photo medians"
    )


def run_main_matrix(
    workers: dict[str, Worker],
    photos: Sequence[Photo],
    formats: Sequence[str],
    rounds: int,
    avif_rounds: int,
    clock: str,
) -> tuple[dict[Key, Cell], dict[str, int], tuple[float, ...], tuple[float, ...]]:
    """Warm up, render JPEG and WebP then AVIF, stop the workers: the cells, peak RSS and load before and after."""
    out_dir = WORK / "out"
    try:
        load_sources(workers, photos)
        log("warm-up")
        for worker in workers.values():
            for fmt in formats:
                worker.call(op="render", name=photos[0].name, format=fmt, width=WIDTHS[0], out=None)
        fast_jobs: list[Job] = [(fmt, width, {}) for fmt in formats if fmt != "avif" for width in WIDTHS]
        load_before = os.getloadavg()
        cells = run_matrix(workers, photos, fast_jobs, rounds, out_dir, "JPEG and WebP", clock) if fast_jobs else {}
        if "avif" in formats:
            avif_jobs: list[Job] = [("avif", width, {}) for width in WIDTHS]
            cells.update(run_matrix(workers, photos, avif_jobs, avif_rounds, out_dir, "AVIF", clock))
        load_after = os.getloadavg()
    finally:
        rss = {}
        for engine, worker in workers.items():
            try:
                rss[engine] = worker.close()
            except (WorkerError, OSError, subprocess.TimeoutExpired):
                worker.process.kill()
    return cells, rss, load_before, load_after


def emit_edge(
    emit: Emit, corpus: Path, photos: Sequence[Photo], formats: Sequence[str], events: int, quick: bool
) -> dict[str, Any]:
    """The huge originals, the edge functions and the emulator's warm misses; their raw results."""
    huge = measure_huge(corpus, {1})
    emit("\n## Huge originals under the default limits (fresh process each, JPEG q80)\n")
    emit(huge_table(huge))
    edge = measure_edge({1}, events, 5 if quick else 10)
    emit("\n## Edge functions\n")
    emit(edge_table(edge))
    emit(
        f"\n(CPU clock overhead per sample {edge['viewer']['clock_overhead_us']:.2f} us, included above; load average "
        f"after these measurements {_loads(os.getloadavg())})"
    )
    log("warm misses through the emulator")
    emulator: dict[str, Any] = {}
    try:
        emulator = measure_emulator(photos[:2] if quick else photos[:3], (640,), formats)
    except Exception as err:
        log(f"emulator run failed: {type(err).__name__}: {err}")
    if emulator:
        emit("\n## Warm misses through the emulator (embedded moto S3; 640 px; medians)\n")
        emit(emulator_table(emulator))
    return {"edge": edge, "huge": huge, "emulator": emulator}


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["--rd"]:  # the rate-distortion sweep: rd_bench.py's own options follow
        ensure_python_packages(["numpy", "scipy", "ssimulacra2"])
        import rd_bench  # noqa: PLC0415 (benchmarks/rd_bench.py, beside this package)

        return rd_bench.main(list(argv[1:]))
    args = parse_args(argv)
    if args.worker:
        from renderbench.worker import serve  # noqa: PLC0415

        return serve(args.worker)
    begun = time.perf_counter()
    rounds = args.rounds or (1 if args.quick else 3)
    avif_rounds = args.avif_rounds or 1
    photo_limit = args.photos or (3 if args.quick else None)
    events = args.events or (20_000 if args.quick else 100_000)
    engines = [e for e in args.engines.split(",") if e]
    formats = tuple(f for f in args.formats.split(",") if f)

    ensure_python_packages(["numpy", "pyvips", "pyvips-binary"])
    if not ensure_sharp():
        engines = [e for e in engines if e != "sharp"]
    corpus = args.corpus
    photos = read_photos(corpus, photo_limit)
    WORK.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(WORK / "out", ignore_errors=True)

    report = io.StringIO()

    def emit(text: str = "") -> None:
        print(text, file=report)
        print(text, flush=True)

    facts = machine()
    workers = {engine: Worker(engine, cpus={1}, threads=1) for engine in engines}
    versions: dict[str, Any] = {}
    for engine, worker in workers.items():
        versions[engine] = worker.call(op="hello").get("versions", {})
    emit_machine(emit, facts, versions, argv, photos, corpus, rounds, avif_rounds, args.clock)

    cells, rss, load_before, load_after = run_main_matrix(workers, photos, formats, rounds, avif_rounds, args.clock)
    log("quality distances")
    score(cells, photos)

    emit("\n## Render: every engine at the issue's settings (imgedge also at its shipping defaults)\n")
    emit(
        "JPEG q80 4:2:0 optimised Huffman (imgedge: progressive too); WebP q80 method/effort 4; AVIF q50 4:2:0 "
        "8-bit, aom speed 5 (sharp/pyvips effort 4; imgedge: its shipping speed). DSSIM: 1/SSIM - 1 over "
        "CIELAB against the original downscaled in linear light (lower is better).\n"
    )
    emit(render_tables(cells, engines, rss, formats))
    emit(
        f"Clock: {args.clock} time of each call. Load average (1/5/15 min) before the matrix "
        f"{_loads(load_before)}, after {_loads(load_after)} "
        "(this benchmark alone keeps it near 1). Wall-clock over CPU time per engine (1.0 on an idle machine; more "
        "means the pinned CPU was shared):\n"
    )
    emit(contention_table(cells, engines))
    target_engine = "imgedge" if "imgedge" in engines else engines[-1]
    emit(f"\n## Where {target_engine}'s time goes (share of render()'s own stage timings, same run)\n")
    emit(stage_table(cells, target_engine, formats))
    targets, misses = check_targets(cells, target_engine, rss, formats)
    emit(f"\n## Targets ({target_engine}, ratios from this run)\n")
    emit(targets)
    emit("Missed: " + (", ".join(misses) if misses else "none"))

    curve: dict[Key, Cell] = {}
    scaling: dict[Key, Cell] = {}
    if not args.no_curve and "avif" in formats:
        curve_photos = photos[:2] if args.quick else photos[:3]
        curve_widths = (640,) if args.quick else (640, 1280)
        curve = run_avif_curve(curve_photos, curve_widths, 1, not args.no_plugin, WORK / "curve")
        score(curve, curve_photos)
        emit(f"\n## AVIF encoders on imgedge's pipeline (q50 4:2:0, 1 thread; {len(curve_photos)} photos)\n")
        emit(curve_table(curve, cells, curve_widths))
        scaling = run_thread_scaling(curve_photos, curve_widths, 1, WORK / "threads")
        emit("\n## AVIF thread scaling (both CPUs, wall-clock)\n")
        emit(scaling_table(scaling, curve_widths))
        emit(f"Load average after: {_loads(os.getloadavg())} (wall-clock needs a quiet machine).")

    measured: dict[str, Any] = {"edge": {}, "huge": [], "emulator": {}}
    if not args.no_edge:
        measured = emit_edge(emit, corpus, photos, formats, events, args.quick)
        io_ms = 60.0
        emit(
            f"\n## Lambda@Edge cost per million misses (imgedge's single-thread render times of this run plus "
            f"{io_ms:.0f} ms assumed for the S3 GET and PUT; ${PRICE_GB_SECOND}/GB-s, "
            f"${PRICE_REQUEST * 1e6:.2f}/M requests)\n"
        )
        emit(cost_table(cells, target_engine, (1024, ONE_VCPU_MB, 2 * ONE_VCPU_MB), io_ms, formats))
        emit(
            "Below 1769 MB the render stretches by 1769/memory (a fraction of one vCPU), so its cost stays flat "
            "while latency grows; 3538 MB buys a second vCPU that only the AVIF encoder can use (see thread "
            "scaling), so its rows use the single-thread times and overstate the cost of AVIF a little."
        )

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "machine": facts,
                "versions": versions,
                "argv": list(argv),
                "rss_kib": rss,
                "cells": cells_json(cells),
                "curve": cells_json(curve),
                "scaling": cells_json(scaling),
                **measured,
            },
            indent=1,
        )
    )
    if not args.no_floor and {"jpeg", "webp"} & set(formats):
        # The floor compares imgedge's stages with sharp's and pyvips's cells of this run (just written above).
        import floor  # noqa: PLC0415 (benchmarks/floor.py, beside this package)

        log("the JPEG/WebP floor")
        emit()
        emit(floor.floor_table(corpus, photo_limit, 3 if args.quick else 5, cpu=1, results=args.json))
    (WORK / "report.md").write_text(report.getvalue())
    log(f"done in {time.perf_counter() - begun:.0f} s; raw results in {args.json}, report in {WORK / 'report.md'}")
    return 0
