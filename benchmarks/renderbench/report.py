"""The Markdown the benchmark prints: the render tables, contention, stages, targets, the AVIF curve and thread
scaling, huge originals, the edge functions, the emulator's warm misses and the Lambda@Edge cost; and the cells
as results.json stores them."""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Sequence
from typing import Any

from renderbench.matrix import Cell, Key, Summary, summarise
from renderbench.settings import FORMATS, ONE_VCPU_MB, PRICE_GB_SECOND, PRICE_REQUEST, WIDTHS

#: imgedge's render() stage timings, in table order.
STAGES = ("decode", "transform", "encode")


def _ratio(value: float, base: Summary | None, attribute: str = "ms") -> str:
    if base is None or not getattr(base, attribute):
        return "-"
    return f"{value / getattr(base, attribute):.2f}"


def render_tables(
    cells: dict[Key, Cell], engines: Sequence[str], rss: dict[str, int], formats: Sequence[str] = FORMATS
) -> str:
    """The summary table (like the issue's) and one detailed table per format."""
    out = io.StringIO()
    header = "| ms per image | jpeg 300 / 640 / 1280 | webp 300 / 640 / 1280 | avif 300 / 640 / 1280 | peak RSS |"
    print(header, file=out)
    print("|---|---|---|---|---|", file=out)
    for engine in engines:
        parts = []
        for fmt in formats:
            values = [summarise(cells, engine, fmt, w) for w in WIDTHS]
            parts.append(" / ".join(f"{v.ms:.0f}" if v else "-" for v in values))
        peak = f"{rss[engine] / 1024:.0f} MiB" if engine in rss else "-"
        print(f"| {engine} | {' | '.join(parts)} | {peak} |", file=out)
    for fmt in formats:
        print(f"\n**{fmt}**\n", file=out)
        print("| engine | width | ms | x sharp | x pyvips | bytes | bytes x sharp | DSSIM x1e3 |", file=out)
        print("|---|---:|---:|---:|---:|---:|---:|---:|", file=out)
        for engine in engines:
            for width in WIDTHS:
                value = summarise(cells, engine, fmt, width)
                if value is None:
                    continue
                sharp = summarise(cells, "sharp", fmt, width)
                pyvips = summarise(cells, "pyvips", fmt, width)
                print(
                    f"| {engine} | {width} | {value.ms:.1f} | {_ratio(value.ms, sharp)} | {_ratio(value.ms, pyvips)} "
                    f"| {value.bytes:,.0f} | {_ratio(value.bytes, sharp, 'bytes')} | {value.dssim * 1000:.2f} |",
                    file=out,
                )
    return out.getvalue()


def contention_table(cells: dict[Key, Cell], engines: Sequence[str]) -> str:
    """Per engine: the sum over its cells of the median wall-clock ms over the sum of the median CPU ms."""
    out = io.StringIO()
    print("| engine | wall ms / CPU ms |", file=out)
    print("|---|---:|", file=out)
    for engine in engines:
        chosen = [c for (e, _, _, _), c in cells.items() if e == engine and c.cpus]
        if chosen:
            wall = sum(statistics.median(c.walls) for c in chosen)
            cpu = sum(statistics.median(c.cpus) for c in chosen)
            print(f"| {engine} | {wall / cpu:.3f} |", file=out)
    return out.getvalue()


def stage_table(cells: dict[Key, Cell], engine: str, formats: Sequence[str] = FORMATS) -> str:
    """Where ``engine``'s time goes: each stage's share of ``render()``'s own (wall-clock) stage timings, summed
    over photos and rounds, beside the table's time (shares hold up when the machine is shared; absolute
    wall-clock stage times do not)."""
    out = io.StringIO()
    print("| format | width | decode | transform | encode | time per image ms |", file=out)
    print("|---|---:|---:|---:|---:|---:|", file=out)
    for fmt in formats:
        for width in WIDTHS:
            chosen = [c for (e, _, f, w), c in cells.items() if e == engine and f == fmt and w == width and c.stages]
            if not chosen:
                continue
            sums = {name: sum(st.get(name, 0.0) for c in chosen for st in c.stages) for name in STAGES}
            total = sum(sums.values()) or 1.0
            shares = " | ".join(f"{100 * sums[name] / total:.0f} %" for name in STAGES)
            print(f"| {fmt} | {width} | {shares} | {statistics.fmean(c.median for c in chosen):.1f} |", file=out)
    return out.getvalue()


def check_targets(
    cells: dict[Key, Cell], engine: str, rss: dict[str, int], formats: Sequence[str] = FORMATS
) -> tuple[str, list[str]]:
    """The issue's render targets for ``engine`` (ratios from this run); returns the table and the misses."""
    limits = {"jpeg": (0.5, 0.8), "webp": (0.6, 0.8), "avif": (0.5, None)}
    out = io.StringIO()
    misses = []
    print("| target | width | measured | met |", file=out)
    print("|---|---:|---|---|", file=out)
    for fmt in formats:
        sharp_limit, pyvips_limit = limits[fmt]
        for width in WIDTHS:
            value = summarise(cells, engine, fmt, width)
            sharp = summarise(cells, "sharp", fmt, width)
            pyvips = summarise(cells, "pyvips", fmt, width)
            if value is None or sharp is None:
                continue
            checks = [(f"{fmt} <= {sharp_limit}x sharp", value.ms / sharp.ms, sharp_limit)]
            if pyvips_limit is not None and pyvips is not None:
                checks.append((f"{fmt} <= {pyvips_limit}x pyvips", value.ms / pyvips.ms, pyvips_limit))
            for name, measured, limit in checks:
                met = measured <= limit
                misses += [] if met else [f"{name} at {width}"]
                print(f"| {name} | {width} | {measured:.2f}x | {'yes' if met else 'NO'} |", file=out)
            if fmt == "avif":
                met_q = value.dssim <= sharp.dssim
                met_b = value.bytes <= 1.05 * sharp.bytes
                misses += [] if met_q else [f"avif DSSIM at {width}"]
                misses += [] if met_b else [f"avif bytes at {width}"]
                print(
                    f"| avif DSSIM <= sharp's | {width} | {value.dssim * 1000:.2f} vs {sharp.dssim * 1000:.2f} "
                    f"| {'yes' if met_q else 'NO'} |",
                    file=out,
                )
                print(
                    f"| avif bytes <= 1.05x sharp's | {width} | {value.bytes / sharp.bytes:.3f}x "
                    f"| {'yes' if met_b else 'NO'} |",
                    file=out,
                )
    if engine in rss and "sharp" in rss:
        ratio = rss[engine] / rss["sharp"]
        met = ratio <= 0.5
        misses += [] if met else ["peak RSS"]
        print(f"| peak RSS <= 0.5x sharp's | all | {ratio:.2f}x | {'yes' if met else 'NO'} |", file=out)
    return out.getvalue(), misses


def curve_table(cells: dict[Key, Cell], main: dict[Key, Cell], widths: Sequence[int]) -> str:
    out = io.StringIO()
    print("| encoder | width | ms | x sharp | bytes x sharp | DSSIM x1e3 (sharp) |", file=out)
    print("|---|---:|---:|---:|---:|---:|", file=out)
    variants = sorted({e for (e, _, _, _) in cells if ":" in e}, key=_variant_order)
    for variant in variants:
        for width in widths:
            value = summarise(cells, variant, "avif", width)
            if value is None:
                continue
            photos = {p for (e, p, f, w) in cells if e == variant and w == width}
            sharp_cells = [
                c for (e, p, f, w), c in main.items() if e == "sharp" and f == "avif" and w == width and p in photos
            ]
            sharp = (
                Summary(
                    ms=statistics.fmean(c.median for c in sharp_cells),
                    bytes=statistics.fmean(c.bytes for c in sharp_cells),
                    dssim=statistics.fmean(c.dssim or 0.0 for c in sharp_cells),
                    photos=len(sharp_cells),
                )
                if sharp_cells
                else None
            )
            sharp_q = f" ({sharp.dssim * 1000:.2f})" if sharp else ""
            print(
                f"| {variant.split(':', 1)[1]} | {width} | {value.ms:.0f} | {_ratio(value.ms, sharp)} "
                f"| {_ratio(value.bytes, sharp, 'bytes')} | {value.dssim * 1000:.2f}{sharp_q} |",
                file=out,
            )
    return out.getvalue()


def _variant_order(name: str) -> tuple[str, int]:
    variant = name.split(":", 1)[1]
    match = re.search(r"(\d+)$", variant)
    return (re.sub(r"\d+$", "", variant), int(match.group(1)) if match else 0)


def scaling_table(cells: dict[Key, Cell], widths: Sequence[int]) -> str:
    out = io.StringIO()
    print("| engine | width | 1 thread ms | 2 threads ms | speed-up |", file=out)
    print("|---|---:|---:|---:|---:|", file=out)
    for engine in ("imgedge", "sharp"):
        for width in widths:
            one = summarise(cells, f"{engine}:1t", "avif", width)
            two = summarise(cells, f"{engine}:2t", "avif", width)
            if one and two:
                print(f"| {engine} | {width} | {one.ms:.0f} | {two.ms:.0f} | {one.ms / two.ms:.2f}x |", file=out)
    return out.getvalue()


def huge_table(huge: Sequence[dict[str, Any]]) -> str:
    """The huge originals' outcomes (``edge_functions.measure_huge``)."""
    lines = ["| original | width | outcome | ms | peak RSS |", "|---|---:|---|---:|---:|"]
    lines += [
        f"| {row['file']} | {row['width']} | {row['outcome']} | {row['ms']:.0f} | {row['rss_mib']:.0f} MiB |"
        for row in huge
    ]
    return "\n".join(lines)


def edge_table(edge: dict[str, Any]) -> str:
    """Viewer-request per event, cold imports and origin-response's cold start (``edge_functions.measure_edge``)."""
    viewer = edge["viewer"]
    cold = edge["origin_cold"]
    bundle = edge.get("viewer_bundle", {})
    rows = [
        (
            "viewer-request per event, median CPU time (log line to a null writer)",
            f"{viewer['silent']['cpu_median_us']:.1f} us",
            "<= 20 us",
        ),
        ("same, wall-clock", f"{viewer['silent']['median_us']:.1f} us", ""),
        ("same, wall-clock p99", f"{viewer['silent']['p99_us']:.1f} us", ""),
        (
            "viewer-request per event, median CPU time (log line to /dev/null)",
            f"{viewer['logging']['cpu_median_us']:.1f} us",
            "",
        ),
        ("viewer-request cold import, CPU time", f"{edge['viewer_import_cpu_ms']:.1f} ms", "<= 15 ms"),
        ("same, wall-clock", f"{edge['viewer_import_wall_ms']:.1f} ms", ""),
        ("same, -X importtime cumulative", f"{edge['viewer_import_us'] / 1000:.1f} ms", ""),
        (
            "same, CPU time, after the Lambda runtime's own imports (awslambdaric 4.2.2's stdlib modules)",
            f"{edge['viewer_import_after_runtime_cpu_ms']:.1f} ms",
            "",
        ),
    ]
    if "zip_bytes" in bundle:
        rows.append(
            (
                f"viewer bundle zipped ({bundle['files']} files, deflate)",
                f"{bundle['zip_bytes'] / 1000:.1f} KB",
                "<= 100 KB",
            )
        )
    rows += [
        ("origin-response cold import, CPU time", f"{cold['import_cpu_ms']:.0f} ms", "<= 250 ms"),
        ("same, wall-clock", f"{cold['import_ms']:.0f} ms", ""),
        ("same, -X importtime cumulative", f"{edge['origin_import_us'] / 1000:.0f} ms", ""),
        (
            "origin-response cold start: import + S3 client, CPU time",
            f"{cold['import_cpu_ms']:.0f} + {cold['client_cpu_ms']:.0f} = "
            f"{cold['import_cpu_ms'] + cold['client_cpu_ms']:.0f} ms",
            "",
        ),
    ]
    lines = ["| measurement | value | target |", "|---|---:|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(lines)


def emulator_table(emulator: dict[str, Any]) -> str:
    """Warm misses through the emulator, per format (``edge_functions.measure_emulator``)."""
    lines = [
        "| format | total ms | S3 GET (moto) ms | origin-response ms | of which render ms | other ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {fmt} | {row['total']:.0f} | {row['s3']:.1f} | {row['origin']:.0f} | {row['render']:.0f} "
        f"| {row['overhead']:.1f} |"
        for fmt, row in emulator.items()
    ]
    return "\n".join(lines)


def cost_table(
    cells: dict[Key, Cell], engine: str, memory_sizes: Sequence[int], io_ms: float, formats: Sequence[str] = FORMATS
) -> str:
    """Lambda@Edge cost per million misses for ``engine``'s single-thread render times plus ``io_ms``.

    Below 1769 MB a function gets memory/1769 of a vCPU, so CPU-bound time stretches by 1769/memory; at or
    above it the single-threaded render runs at full speed (a second vCPU only helps threaded encoders).
    """
    out = io.StringIO()
    print("| memory | format | duration ms (render + I/O) | $ per million misses |", file=out)
    print("|---:|---|---:|---:|", file=out)
    for memory in memory_sizes:
        for fmt in formats:
            values = [summarise(cells, engine, fmt, w) for w in WIDTHS]
            render_ms = statistics.fmean(v.ms for v in values if v)
            stretch = max(1.0, ONE_VCPU_MB / memory)
            duration = render_ms * stretch + io_ms
            dollars = 1e6 * (duration / 1000 * memory / 1024 * PRICE_GB_SECOND + PRICE_REQUEST)
            print(f"| {memory} MB | {fmt} (mean of 300/640/1280) | {duration:.0f} | {dollars:.2f} |", file=out)
    return out.getvalue()


def cells_json(cells: dict[Key, Cell]) -> list[dict[str, Any]]:
    """The cells with samples, as results.json stores them."""
    return [
        {
            "engine": e,
            "photo": p,
            "format": f,
            "width": w,
            "ms": c.times,
            "wall_ms": c.walls,
            "cpu_ms": c.cpus,
            "bytes": c.bytes,
            "size": c.size,
            "dssim": c.dssim,
            "stages": c.stages,
        }
        for (e, p, f, w), c in cells.items()
        if c.times
    ]
