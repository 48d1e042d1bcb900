"""The render matrix: every engine x photo x format x width, rounds interleaved, in pinned workers; the AVIF
encoder curve and thread scaling on the same machinery; DSSIM scoring; per-cell samples and their summaries."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from renderbench.corpus import Photo
from renderbench.environment import ensure_python_packages, has_sharp
from renderbench.processes import Worker, load_sources
from renderbench.quality import Quality
from renderbench.settings import EXTENSIONS, log


@dataclass
class Cell:
    """All samples of one engine x photo x format x width (or one AVIF variant)."""

    times: list[float] = field(default_factory=list)  # the clock the tables use (see run_matrix)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    bytes: int = 0
    size: tuple[int, int] = (0, 0)
    output: Path | None = None
    dssim: float | None = None
    stages: list[dict[str, float]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


Key = tuple[str, str, str, int]  # engine, photo, format, width
#: A job of the matrix: format, width, and extras (``variant``, encoder options) sent with the render request.
Job = tuple[str, int, dict[str, Any]]


def run_matrix(
    workers: dict[str, Worker],
    photos: Sequence[Photo],
    jobs: Sequence[Job],
    rounds: int,
    out_dir: Path,
    label: str,
    clock: str = "cpu",
) -> dict[Key, Cell]:
    """Render every job (format, width, extra) of every photo with every worker, ``rounds`` times, interleaved.

    The engine order rotates from job to job and from round to round; outputs are written on the first round.
    ``extra`` may carry a ``variant`` name (the cell's engine becomes ``engine:variant``) and encoder options.
    ``clock`` picks the times the tables use: ``cpu`` (the worker's CPU time for the call: every engine runs
    one thread, and CPU time does not grow when another process shares the CPU) or ``wall``.
    """
    cells: dict[Key, Cell] = {}
    names = list(workers)
    total = rounds * len(photos) * len(jobs) * len(names)
    done = 0
    started = time.perf_counter()
    last_report = started
    for round_index in range(rounds):
        for photo_index, photo in enumerate(photos):
            for job_index, (fmt, width, extra) in enumerate(jobs):
                shift = round_index + photo_index + job_index
                for engine in names[shift % len(names) :] + names[: shift % len(names)]:
                    variant = extra.get("variant")
                    cell_engine = f"{engine}:{variant}" if variant else engine
                    key = (cell_engine, photo.name, fmt, width)
                    cell = cells.setdefault(key, Cell())
                    out = None
                    if round_index == 0:
                        stem = Path(photo.name).stem
                        out = out_dir / cell_engine.replace(":", "_") / f"{stem}-{width}.{EXTENSIONS[fmt]}"
                        out.parent.mkdir(parents=True, exist_ok=True)
                    message = {k: v for k, v in extra.items() if k != "variant"}
                    answer = workers[engine].call(
                        op="render", name=photo.name, format=fmt, width=width, out=str(out) if out else None, **message
                    )
                    cell.walls.append(float(answer["ms"]))
                    cell.cpus.append(float(answer["cpu_ms"]))
                    cell.times.append(cell.cpus[-1] if clock == "cpu" else cell.walls[-1])
                    if answer.get("stages"):
                        cell.stages.append(dict(answer["stages"]))
                    cell.bytes = int(answer["bytes"])
                    cell.size = (int(answer["width"]), int(answer["height"]))
                    if out is not None:
                        cell.output = out
                    done += 1
                    now = time.perf_counter()
                    if now - last_report > 15:
                        last_report = now
                        eta = (now - started) / done * (total - done)
                        log(f"  {label}: {done}/{total} renders, {now - started:.0f} s, about {eta:.0f} s to go")
    log(f"  {label}: {total} renders in {time.perf_counter() - started:.0f} s")
    return cells


def score(cells: dict[Key, Cell], photos: Sequence[Photo]) -> None:
    """Fill in the DSSIM of every cell that has an output."""
    by_photo: dict[str, list[Cell]] = {}
    for (_, name, _, _), cell in cells.items():
        if cell.output is not None and cell.dssim is None:
            by_photo.setdefault(name, []).append(cell)
    for photo in photos:
        if photo.name not in by_photo:
            continue
        quality = Quality(photo.path)
        for cell in by_photo[photo.name]:
            assert cell.output is not None
            cell.dssim = quality.distance(cell.output)


@dataclass(frozen=True)
class Summary:
    """An engine x format x width over the photos: mean of per-photo medians, mean bytes, mean DSSIM."""

    ms: float
    bytes: float
    dssim: float
    photos: int


def summarise(cells: dict[Key, Cell], engine: str, fmt: str, width: int) -> Summary | None:
    chosen = [c for (e, _, f, w), c in cells.items() if e == engine and f == fmt and w == width]
    if not chosen:
        return None
    return Summary(
        ms=statistics.fmean(c.median for c in chosen),
        bytes=statistics.fmean(c.bytes for c in chosen),
        dssim=statistics.fmean(c.dssim for c in chosen if c.dssim is not None) if chosen[0].dssim is not None else 0.0,
        photos=len(chosen),
    )


# ---------------------------------------------------------------------------------------------------------------
# AVIF encoder curve and thread scaling.
# ---------------------------------------------------------------------------------------------------------------

AOM_SPEEDS = (5, 6, 7, 8, 9)
PLUGIN_VARIANTS = (
    ("svt-s8", {"codec": "svt", "speed": 8}),
    ("svt-s10", {"codec": "svt", "speed": 10}),
    ("rav1e-s8", {"codec": "rav1e", "speed": 8}),
    ("rav1e-s10", {"codec": "rav1e", "speed": 10}),
)


def run_avif_curve(
    photos: Sequence[Photo], widths: Sequence[int], rounds: int, plugin: bool, out_dir: Path
) -> dict[Key, Cell]:
    cells: dict[Key, Cell] = {}
    own = Worker("imgedge-avif", cpus={1}, threads=1)
    workers = {"imgedge-avif": own}
    load_sources(workers, photos)
    jobs: list[Job] = [
        ("avif", w, {"variant": f"aom-s{speed}", "avif": {"speed": speed, "max_threads": 1}})
        for w in widths
        for speed in AOM_SPEEDS
    ]
    cells.update(run_matrix(workers, photos, jobs, rounds, out_dir, "AVIF curve (Pillow's libavif/aom)"))
    own.close()
    if plugin:
        try:
            ensure_python_packages(["pillow-avif-plugin"])
        except subprocess.CalledProcessError:
            log("pillow-avif-plugin could not be installed: SVT-AV1/rav1e skipped")
            return cells
        extra = Worker("imgedge-avif", cpus={1}, threads=1, plugin=True)
        workers = {"imgedge-avif": extra}
        load_sources(workers, photos)
        jobs = [
            ("avif", w, {"variant": name, "avif": {**options, "max_threads": 1}})
            for w in widths
            for name, options in (("plugin-aom-s6", {"codec": "aom", "speed": 6}), *PLUGIN_VARIANTS)
        ]
        try:
            cells.update(run_matrix(workers, photos, jobs, rounds, out_dir, "AVIF curve (pillow-avif-plugin)"))
        finally:
            extra.close()
    return cells


def run_thread_scaling(photos: Sequence[Photo], widths: Sequence[int], rounds: int, out_dir: Path) -> dict[Key, Cell]:
    """imgedge's shipping AVIF path and sharp's, with one and with two threads on both CPUs."""
    cells: dict[Key, Cell] = {}
    for threads in (1, 2):
        workers = {"imgedge": Worker("imgedge-avif", cpus={0, 1}, threads=threads)}
        if has_sharp():
            workers["sharp"] = Worker("sharp", cpus={0, 1}, threads=threads)
        load_sources(workers, photos)
        jobs: list[Job] = [("avif", w, {"variant": f"{threads}t", "avif": {"max_threads": threads}}) for w in widths]
        label = f"AVIF with {threads} thread(s)"
        cells.update(run_matrix(workers, photos, jobs, rounds, out_dir, label, clock="wall"))
        for worker in workers.values():
            worker.close()
    return cells
