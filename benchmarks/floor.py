"""The floor of imgedge's JPEG and WebP renders: where the time goes, and how low it could go at all.

    python benchmarks/floor.py                    # 8 corpus photos, 5 rounds, pinned to CPU 1
    python benchmarks/floor.py --photos 3 --rounds 3

For each corpus photo (the ``photo`` rows of ``../shared/corpus/MANIFEST.tsv``), width (300, 640, 1280) and
format (JPEG q80, WebP q80: imgedge's defaults), it measures with imgedge's own pipeline pieces, in one pinned
process, CPU time (``time.process_time``), the median of ``rounds`` interleaved rounds:

- (a) the entropy-decoding floor: ``Image.open`` + ``draft("RGB", 1/8 of the size)`` + ``load()``. libjpeg must
  Huffman-decode the whole file whatever the DCT scale, so no engine decodes the original for less;
- (b) ``edge.render.decode.decode``: the decode at the DCT scale ``render()`` uses for that width;
- (c) ``edge.render.steps.apply_steps`` on that decoded image: resize and the other steps;
- (d) ``edge.render.encode.encode`` of the final-size image, with imgedge's settings;
- (e) ``edge.render.render``: the whole call, as origin-response makes it;
- (d') for JPEG, the same encode at the issue's settings (baseline instead of imgedge's progressive), to show
  what the progressive choice costs.

Beside them: sharp's and pyvips's whole-render time per cell, read from ``benchmarks/.bench/results.json`` (the
last ``render_bench.py`` run, if present; same photos, same settings, CPU time in pinned workers). Then, per
width, two lower bounds as ratios to those engines: (b)+(d), imgedge's decode and encode with a transform
that costs nothing, and (a)+(d), the entropy floor with the same encode. A target a bound cannot meet is out
of reach of any resize or decode improvement at that decode scale (respectively of any decode at all).

``floor_table(corpus, photos, rounds)`` returns the Markdown, so ``render_bench.py`` can print it too.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path("..") / "shared" / "corpus"
DEFAULT_RESULTS = ROOT / "benchmarks" / ".bench" / "results.json"
WIDTHS = (300, 640, 1280)
FORMATS = ("jpeg", "webp")
#: The issue's time targets: at most this multiple of sharp's and of pyvips's render time.
TARGETS = {"jpeg": (0.5, 0.8), "webp": (0.6, 0.8)}
#: The measured stages, in table order (see the module docstring).
STAGES = ("floor", "decode", "transform", "encode", "render")
#: The JPEG encode at the issue's settings (baseline: imgedge's options without ``progressive``), for comparison.
BASELINE = "encode_baseline"
REFERENCE_ENGINES = ("sharp", "pyvips", "imgedge")


@dataclass
class Cell:
    """The samples of one photo x format x width, per stage, and what the decode produced."""

    samples: dict[str, list[float]] = field(default_factory=lambda: {stage: [] for stage in (*STAGES, BASELINE)})
    scale: str = ""
    decoded: tuple[int, int] = (0, 0)

    def ms(self, stage: str) -> float:
        return statistics.median(self.samples[stage])

    def maybe_ms(self, stage: str) -> float | None:
        return statistics.median(self.samples[stage]) if self.samples[stage] else None


def read_photos(corpus: Path, limit: int | None) -> list[Path]:
    """The ``photo`` rows of ``corpus/MANIFEST.tsv``, in manifest order (the first ``limit`` of them)."""
    rows = (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    photos = []
    for row in rows[1:]:
        record = dict(zip(header, row.split("\t"), strict=False))
        if record.get("category") == "photo":
            photos.append(corpus / record["file"])
    return photos[:limit] if limit else photos


def _cpu_ms(call: Callable[[], T]) -> tuple[float, T]:
    started = time.process_time()
    result = call()
    return (time.process_time() - started) * 1000, result


def _can_pin(cpu: int | None) -> bool:
    return cpu is not None and hasattr(os, "sched_setaffinity") and cpu in os.sched_getaffinity(0)


@contextmanager
def _pinned(cpu: int | None) -> Iterator[None]:
    """Run the block on ``cpu`` only (when the process may use it), then restore the process's affinity."""
    if cpu is None or not _can_pin(cpu):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def measure(photos: Sequence[Path], rounds: int) -> dict[tuple[str, str, int], Cell]:
    """Samples of every stage for every photo x format x width; each round runs every cell once."""
    from PIL import Image  # noqa: PLC0415

    from edge.config import Config  # noqa: PLC0415
    from edge.options import Fit, OutputFormat, RenderSpec  # noqa: PLC0415
    from edge.render import Limits, render  # noqa: PLC0415
    from edge.render.context import Context  # noqa: PLC0415
    from edge.render.decode import decode  # noqa: PLC0415
    from edge.render.encode import encode, save_options  # noqa: PLC0415
    from edge.render.geometry import plan_for  # noqa: PLC0415
    from edge.render.steps import apply_steps  # noqa: PLC0415

    config = Config()
    limits = Limits.from_config(config)
    sources = {photo.name: photo.read_bytes() for photo in photos}
    cells: dict[tuple[str, str, int], Cell] = {}

    def baseline(image: Image.Image, quality: int) -> bytes:
        options: dict[str, Any] = {**save_options(OutputFormat.JPEG, quality, image.mode), "progressive": False}
        buffer = io.BytesIO()
        image.save(buffer, **options)
        return buffer.getvalue()

    def floor(data: bytes) -> Image.Image:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
            return image

    def floor_stage(cell: Cell, data: bytes, spec: RenderSpec) -> None:
        ms, _ = _cpu_ms(partial(floor, data))
        cell.samples["floor"].append(ms)

    def stages(cell: Cell, data: bytes, spec: RenderSpec) -> None:
        ms, decoded = _cpu_ms(partial(decode, data, limits, spec))
        cell.samples["decode"].append(ms)
        context = Context(plan_for(*decoded.size, spec), spec.format, decoded.icc_profile, spec)
        ms, final = _cpu_ms(partial(apply_steps, decoded.image, context))
        cell.samples["transform"].append(ms)
        ms, _ = _cpu_ms(partial(encode, final, spec.format, spec.quality))
        cell.samples["encode"].append(ms)
        if spec.format is OutputFormat.JPEG and spec.quality is not None:
            ms, _ = _cpu_ms(partial(baseline, final, spec.quality))
            cell.samples[BASELINE].append(ms)
        cell.scale = f"1/{round(max(decoded.size) / max(decoded.image.size))}"
        cell.decoded = decoded.image.size

    def render_stage(cell: Cell, data: bytes, spec: RenderSpec) -> None:
        ms, _ = _cpu_ms(partial(render, data, spec, limits))
        cell.samples["render"].append(ms)

    # (a), (b)-(d) and (e) are independent: their order rotates from round to round, so none always runs
    # right after the previous cell (whose allocations and cache footprint it would inherit).
    blocks = [floor_stage, stages, render_stage]
    for round_index in range(rounds):
        order = blocks[round_index % 3 :] + blocks[: round_index % 3]
        for name, data in sources.items():
            for fmt in FORMATS:
                for width in WIDTHS:
                    cell = cells.setdefault((name, fmt, width), Cell())
                    spec = RenderSpec(width, None, Fit.INSIDE, OutputFormat(fmt), config.sizing.default_quality[fmt])
                    for block in order:
                        block(cell, data, spec)
    return cells


def reference_times(results: Path) -> tuple[dict[tuple[str, str, str, int], float], str]:
    """Median ms per engine x photo x format x width of a ``render_bench.py`` run, and a note saying which run."""
    if not results.is_file():
        return {}, f"`{results}` not found: sharp and pyvips are n/a."
    run = json.loads(results.read_text(encoding="utf-8"))
    times = {
        (cell["engine"], cell["photo"], cell["format"], int(cell["width"])): statistics.median(cell["ms"])
        for cell in run.get("cells", [])
        if cell.get("engine") in REFERENCE_ENGINES and cell.get("ms")
    }
    argv = run.get("argv") or []
    clock = argv[argv.index("--clock") + 1] if "--clock" in argv and argv.index("--clock") + 1 < len(argv) else "cpu"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(results.stat().st_mtime))
    versions = run.get("versions", {})
    sharp = versions.get("sharp", {}).get("sharp", "") if isinstance(versions.get("sharp"), dict) else ""
    note = (
        f"sharp and pyvips columns: **not measured here**; they come from the render benchmark run saved in "
        f"`{_shown(results)}` (written {stamp}, argv {argv or '[]'}, clock {clock}"
        f"{', sharp ' + sharp if sharp else ''}): per cell, the median of that run's rounds, each engine in its "
        "own pinned process with one thread. Ratios below divide this run's imgedge times by them, so machine "
        "drift between the two runs shows up in the ratios; the `(e) then` column is imgedge's render() in that "
        "run, for comparison with (e) now."
    )
    return times, note


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _mean(values: Sequence[float | None]) -> float | None:
    if not values or any(v is None for v in values):
        return None
    return statistics.fmean(v for v in values if v is not None)


#: A bound within this factor of a target is reported as borderline: the run-to-run noise is about that large.
NOISE = 1.05


def _verdict(factor: float, raw: Sequence[float], corrected: Sequence[float], transform: float, base: float) -> str:
    """What a target of ``factor`` x ``base`` ms needs, from imgedge's (render, (b)+(d), (a)+(d)) ratios.

    A bound counts as over the target only when both its raw and its drift-corrected ratio are; within ``NOISE``
    of the target it is called borderline.
    """
    render_ratio, bound, floor = (min(x, y) for x, y in zip(raw, corrected, strict=True))
    if max(raw[0], corrected[0]) <= factor:
        return "met"
    if render_ratio <= factor:
        return f"met by one ratio only ({raw[0]:.2f}x raw, {corrected[0]:.2f}x corrected): borderline"
    close = " (borderline: within run-to-run noise of the limit)"
    if floor > factor:
        return "**unreachable**: even the entropy floor plus imgedge's encode is over" + (
            close if floor <= factor * NOISE else ""
        )
    if bound > factor:
        return (
            "**unreachable at the quality-preserving decode scale**: only a smaller decode (a lower DCT scale, "
            "which costs quality) could meet it" + (close if bound <= factor * NOISE else "")
        )
    budget = (factor - bound) * base
    return f"reachable only if the transform costs at most {budget:.1f} ms (now {transform:.1f}), in that run's ms"


def tables(cells: dict[tuple[str, str, int], Cell], refs: dict[tuple[str, str, str, int], float], note: str) -> str:
    """The Markdown report of ``measure``'s cells beside the reference engines' times."""
    out = io.StringIO()

    def emit(line: str = "") -> None:
        print(line, file=out)

    photos = list(dict.fromkeys(name for name, _, _ in cells))
    emit(note)
    for fmt in FORMATS:
        emit()
        emit(f"**{fmt}**: CPU ms per photo (medians)")
        emit()
        emit(
            "| photo | width | scale (decoded) | (a) floor 1/8 | (b) decode | (c) transform | (d) encode | "
            "(e) render | (e)-(b+c+d) | sharp | pyvips |"
        )
        emit("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name in photos:
            for width in WIDTHS:
                cell = cells[(name, fmt, width)]
                a, b, c, d, e = (cell.ms(stage) for stage in STAGES)
                emit(
                    f"| {name} | {width} | {cell.scale} ({cell.decoded[0]}x{cell.decoded[1]}) | {a:.1f} | {b:.1f} | "
                    f"{c:.1f} | {d:.1f} | {e:.1f} | {e - b - c - d:+.1f} | "
                    f"{_fmt(refs.get(('sharp', name, fmt, width)))} | {_fmt(refs.get(('pyvips', name, fmt, width)))} |"
                )
    emit()
    emit(f"**Per width**: mean over the {len(photos)} photos of the per-photo medians (CPU ms)")
    emit()
    emit(
        "| format | width | (a) floor | (b) decode | (c) transform | (d) encode | (e) render | (e) then | "
        "(b)+(d) | (a)+(d) | (d') baseline | (b)+(d') | sharp | pyvips |"
    )
    emit("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    summary: dict[tuple[str, int], dict[str, float | None]] = {}
    for fmt in FORMATS:
        for width in WIDTHS:
            chosen = [cells[(name, fmt, width)] for name in photos]
            row: dict[str, float | None] = {stage: _mean([cell.ms(stage) for cell in chosen]) for stage in STAGES}
            for engine in REFERENCE_ENGINES:
                row[engine] = _mean([refs.get((engine, name, fmt, width)) for name in photos])
            summary[(fmt, width)] = row
            a, b, c, d, e = (row[stage] or 0.0 for stage in STAGES)
            base = _mean([cell.maybe_ms(BASELINE) for cell in chosen])
            emit(
                f"| {fmt} | {width} | {a:.1f} | {b:.1f} | {c:.1f} | {d:.1f} | {e:.1f} | {_fmt(row['imgedge'])} | "
                f"{b + d:.1f} | {a + d:.1f} | {_fmt(base)} | {_fmt(None if base is None else b + base)} | "
                f"{_fmt(row['sharp'])} | {_fmt(row['pyvips'])} |"
            )
    emit()
    emit(
        "**Reachability** of each target, as ratios to the engine's mean time: imgedge's render (e); (b)+(d), its "
        "decode at the scale render() uses plus its encode, with a transform that costs nothing; (a)+(d), the "
        "entropy floor plus the encode. `drift` is imgedge's render time in the reference run over its time "
        "here: the corrected ratios multiply by it, i.e. assume this run's clock ran that much slower (or "
        "faster) for every stage. A bound counts as over a limit only when both its raw and corrected ratios "
        "are, so an 'unreachable' holds under both."
    )
    emit()
    emit(
        "| target | width | limit ms | (e) | (b)+(d) | (a)+(d) | drift | (e) corr. | (b)+(d) corr. | (a)+(d) corr. "
        "| verdict |"
    )
    emit("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for fmt in FORMATS:
        for width in WIDTHS:
            row = summary[(fmt, width)]
            a, b, c, d, e = (row[stage] or 0.0 for stage in STAGES)
            then = row["imgedge"]
            drift = then / e if then and e else None
            for engine, factor in zip(("sharp", "pyvips"), TARGETS[fmt], strict=True):
                base = row[engine]
                if base is None:
                    emit(f"| {fmt} <= {factor}x {engine} | {width} |" + " n/a |" * 9)
                    continue
                raw = (e / base, (b + d) / base, (a + d) / base)
                corrected = tuple(r * drift for r in raw) if drift else raw
                verdict = _verdict(factor, raw, corrected, c * (drift or 1.0), base)
                emit(
                    f"| {fmt} <= {factor}x {engine} | {width} | {factor * base:.1f} | "
                    + " | ".join(f"{r:.2f}x" for r in raw)
                    + f" | {_fmt(drift, 2)} | "
                    + (" | ".join(f"{r:.2f}x" for r in corrected) if drift else "n/a | n/a | n/a")
                    + f" | {verdict} |"
                )
    return out.getvalue()


def floor_table(
    corpus: Path, photos: int | None, rounds: int, *, cpu: int | None = 1, results: Path = DEFAULT_RESULTS
) -> str:
    """Measure the floor on the first ``photos`` corpus photos (all when ``None``) over ``rounds`` rounds, pinned
    to ``cpu`` (``None``: the process's affinity as it is), and return the Markdown tables."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # edge, when the caller runs from elsewhere without imgedge installed
    if not (corpus / "MANIFEST.tsv").is_file():
        return f"No corpus at `{corpus}` (no MANIFEST.tsv): floor not measured.\n"
    chosen = read_photos(corpus, photos)
    if not chosen:
        return f"No `photo` rows in `{corpus / 'MANIFEST.tsv'}`.\n"
    refs, note = reference_times(results)
    with _pinned(cpu):
        cells = measure(chosen, rounds)
    header = (
        f"## The floor of imgedge's JPEG and WebP renders ({len(chosen)} photos, {rounds} rounds, CPU time"
        f"{f', pinned to CPU {cpu}' if _can_pin(cpu) else ', not pinned'}; q80, imgedge's encoder settings)\n\n"
        "(a) `Image.open` + `draft('RGB', 1/8 size)` + `load()`: the entropy-decoding floor; (b) `decode()` at "
        "the DCT scale `render()` uses; (c) `apply_steps()` from that decode; (d) `encode()` of the final image; "
        "(e) `render()`. (e)-(b+c+d) is what `render()` adds around the stages. (d') is the JPEG encode at the "
        "issue's settings (baseline, not imgedge's progressive).\n\n"
    )
    return header + tables(cells, refs, note)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder holding MANIFEST.tsv")
    parser.add_argument("--photos", type=int, default=None, help="only the first N photos")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per cell (default 5)")
    parser.add_argument("--cpu", type=int, default=1, help="CPU to pin to, -1 for none (default 1)")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="render_bench.py's results.json")
    args = parser.parse_args(argv)
    cpu = None if args.cpu < 0 else args.cpu
    print(floor_table(args.corpus, args.photos, args.rounds, cpu=cpu, results=args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
