"""The cost of one render per class of original: peak RSS and CPU time of ``edge.render.render`` in a fresh process.

    .venv/bin/python benchmarks/render_cost.py            # every class, prints a Markdown table
    .venv/bin/python benchmarks/render_cost.py --quick    # 16 MP originals instead of ~100 MP ones
    .venv/bin/python benchmarks/render_cost.py --only webp-rgba

Each case runs in its own child process (``--child``) that imports ``edge.render``, reads the original, renders it
once and reports its CPU time and its peak RSS (``peak_kib``: ``VmHWM``). The baseline row is a child that
imports everything and renders nothing.

Originals are generated once into ``benchmarks/.bench/cost/`` (flat content compresses to a few bytes to a few
MB; decoding cost depends on the declared size, not the content). The configuration is the default one
(``memory_mb`` 1536), so an original over the memory budget is answered 422 before decoding, and its row says so.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".bench" / "cost"


def _flat(mode: str, size: tuple[int, int]) -> "object":
    from PIL import Image, ImageDraw  # noqa: PLC0415 (children that only render never import the generator)

    image = Image.new(mode, size)
    draw = ImageDraw.Draw(image)
    # A few shapes, so that encoders do not store a single colour and the resize has edges to filter.
    step = max(size) // 8
    for i in range(8):
        fill: object = (
            (i * 30) % 256
            if len(image.getbands()) == 1
            else tuple((i * 30 + b * 70) % 256 for b in range(len(image.getbands())))
        )
        draw.rectangle((i * step // 2, i * step // 3, i * step // 2 + step, i * step // 3 + step), fill=fill)  # type: ignore[arg-type]
    return image


def _save(image: "object", fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)  # type: ignore[attr-defined]
    return buffer.getvalue()


def originals(side: int) -> dict[str, Callable[[], bytes]]:
    """Generators of each class's original, ``side`` x ``side`` (JPEG: the same area)."""
    size = (side, side)
    return {
        "webp-rgb": lambda: _save(_flat("RGB", size), "WEBP", lossless=True, method=0),
        "webp-rgba": lambda: _save(_flat("RGBA", size), "WEBP", lossless=True, method=0),
        "avif-rgb": lambda: _save(_flat("RGB", size), "AVIF", speed=10, quality=20),
        "avif-rgba": lambda: _save(_flat("RGBA", size), "AVIF", speed=10, quality=20),
        "png-rgb": lambda: _save(_flat("RGB", size), "PNG", compress_level=9),
        "png-rgba": lambda: _save(_flat("RGBA", size), "PNG", compress_level=9),
        "png-p": lambda: _save(_flat("RGB", size).convert("P"), "PNG", compress_level=9),  # type: ignore[attr-defined]
        "png-i16": lambda: _save(_flat("I;16", size), "PNG", compress_level=9),
        "jpeg-rgb": lambda: _save(_flat("RGB", size), "JPEG", quality=80),
        "jpeg-cmyk": lambda: _save(_flat("CMYK", size), "JPEG", quality=80),
        "gif": lambda: _save(_flat("RGB", size).convert("P"), "GIF"),  # type: ignore[attr-defined]
        "tiff-rgba": lambda: _save(_flat("RGBA", size), "TIFF", compression="tiff_deflate"),
        "png-2x2": lambda: _save(_flat("RGB", (2, 2)), "PNG"),
    }


#: (case name, original, query-like spec) in the order the table prints them.
CASES: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("WebP RGB -> 1280 AVIF", "webp-rgb", {"w": 1280, "format": "avif"}),
    ("WebP RGBA -> 1280 AVIF", "webp-rgba", {"w": 1280, "format": "avif"}),
    ("AVIF RGB -> 1280 AVIF", "avif-rgb", {"w": 1280, "format": "avif"}),
    ("AVIF RGBA -> 1280 AVIF", "avif-rgba", {"w": 1280, "format": "avif"}),
    ("PNG RGB -> 1280 AVIF", "png-rgb", {"w": 1280, "format": "avif"}),
    ("PNG RGBA -> 1280 AVIF", "png-rgba", {"w": 1280, "format": "avif"}),
    ("PNG RGBA rotate 90 + flop -> 1280 AVIF", "png-rgba", {"w": 1280, "format": "avif", "rotate": 90, "flop": True}),
    ("PNG palette -> 1280 WebP", "png-p", {"w": 1280, "format": "webp"}),
    ("PNG 16-bit grey -> 1280 JPEG", "png-i16", {"w": 1280, "format": "jpeg"}),
    ("JPEG RGB -> 1280 JPEG", "jpeg-rgb", {"w": 1280, "format": "jpeg"}),
    ("JPEG CMYK -> 1280 JPEG", "jpeg-cmyk", {"w": 1280, "format": "jpeg"}),
    ("GIF -> 1280 PNG", "gif", {"w": 1280, "format": "png"}),
    ("TIFF RGBA -> 1280 WebP", "tiff-rgba", {"w": 1280, "format": "webp"}),
    ("2x2 PNG contain 3840x3840 AVIF", "png-2x2", {"w": 3840, "h": 3840, "fit": "contain", "format": "avif"}),
    ("2x2 PNG contain 3840x3840 PNG", "png-2x2", {"w": 3840, "h": 3840, "fit": "contain", "format": "png"}),
)


def child(path: str, spec_json: str) -> None:
    """Render ``path`` as ``spec_json`` once; print JSON with the CPU seconds and the outcome."""
    sys.path.insert(0, str(ROOT))
    from edge.config import Config  # noqa: PLC0415 (after sys.path)
    from edge.errors import EdgeError  # noqa: PLC0415 (after sys.path)
    from edge.options import Fit, OutputFormat, RenderSpec  # noqa: PLC0415 (after sys.path)
    from edge.render import Limits, render  # noqa: PLC0415 (after sys.path)

    data = Path(path).read_bytes() if path else b""
    raw = json.loads(spec_json)
    if raw is None:
        print(json.dumps({"cpu_s": 0.0, "outcome": "baseline", "peak_kib": peak_kib()}))
        return
    fmt = OutputFormat(raw["format"])
    quality = None if fmt is OutputFormat.PNG else {"avif": 50}.get(fmt.value, 80)
    both = "w" in raw and "h" in raw
    spec = RenderSpec(
        raw.get("w"), raw.get("h"), Fit(raw.get("fit", "cover")) if both else Fit.INSIDE, fmt, quality,
        rotate=raw.get("rotate", 0), flop=raw.get("flop", False),
    )  # fmt: skip
    limits = Limits.from_config(Config())
    start = time.process_time()
    try:
        rendered = render(data, spec, limits)
        outcome = f"{rendered.width}x{rendered.height} {rendered.format.value}, {len(rendered.body)} B"
    except EdgeError as err:
        outcome = f"{err.status} {err.reason}"
    print(json.dumps({"cpu_s": time.process_time() - start, "outcome": outcome, "peak_kib": peak_kib()}))


def peak_kib() -> int:
    """This process's peak RSS in KiB: ``VmHWM`` of ``/proc/self/status`` (the high-water mark of this process's
    own address space, which starts afresh at ``exec``), else ``ru_maxrss`` (which Linux carries across ``fork``
    and ``exec``, so it may report a parent's figure)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource  # noqa: PLC0415 (only off Linux)

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(path: str, spec: dict[str, object] | None) -> tuple[float, float, str]:
    """(peak RSS MiB, CPU s, outcome) of one child process."""
    process = subprocess.run(
        [sys.executable, __file__, "--child", path, json.dumps(spec)], stdout=subprocess.PIPE, cwd=ROOT, check=False
    )
    if process.returncode != 0:
        return 0.0, 0.0, f"child died (exit {process.returncode})"
    result = json.loads(process.stdout)
    return int(result["peak_kib"]) / 1024, float(result["cpu_s"]), str(result["outcome"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="4000 x 4000 originals instead of 10000 x 10000")
    parser.add_argument("--only", action="append", default=[], help="run only cases whose original is this")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    side = 4000 if args.quick else 10_000
    CACHE.mkdir(parents=True, exist_ok=True)
    makers = originals(side)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; originals {side} x {side}")
    peak, _, _ = run_child("", None)
    print(f"\nbaseline (imports only): peak RSS {peak:.0f} MiB\n")
    print("| case | original bytes | peak RSS MiB | CPU s | outcome |")
    print("|---|---|---|---|---|")
    for name, original, spec in CASES:
        if args.only and original not in args.only:
            continue
        path = CACHE / f"{original}-{side if original != 'png-2x2' else 2}.bin"
        if not path.exists():
            path.write_bytes(makers[original]())
        peak, cpu, outcome = run_child(str(path), spec)
        print(f"| {name} | {path.stat().st_size:,} | {peak:.0f} | {cpu:.2f} | {outcome} |", flush=True)
    print(f"\nload average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
