"""Render benchmark: imgedge's render path against sharp, pyvips and naive Pillow, side by side (issue 5).

One command (docs/performance.md calls it through ``./dev bench``)::

    python benchmarks/render_bench.py            # default run, about 10 minutes on 2 cores
    python benchmarks/render_bench.py --quick    # about 2 minutes: 3 photos, 1 round, a smaller AVIF curve
    python benchmarks/render_bench.py --rd ...   # quality sweeps and BD-rates instead (rd_bench.py, issue 19)

It prepares what it needs on first use: ``pyvips``, ``pyvips-binary`` and ``numpy`` (pinned, pip into the
running interpreter's environment; ``pillow-avif-plugin`` too, for the AVIF encoder curve) and sharp (pinned by
``benchmarks/package.json`` and ``package-lock.json``, ``npm ci`` into ``benchmarks/.bench/node/``). Outputs,
reference images and the raw JSON go to ``benchmarks/.bench/`` (git-ignored).

What it measures (every engine in its own process, pinned to one CPU, one thread; each decodes the original
from its bytes on every call; rounds interleave the engines, whose order rotates per job):

- per engine x format x width: median ms per photo, output bytes, quality distance (DSSIM on CIELAB against the
  source downscaled once in float linear light), peak RSS per engine process;
- the AVIF encoder curve on imgedge's pipeline: Pillow's aom at speeds 5-9, and pillow-avif-plugin's SVT-AV1
  and rav1e; thread scaling on both CPUs;
- the floor of the JPEG and WebP renders (`benchmarks/floor.py`): entropy decode, decode, transform and encode
  apart, against the same run's sharp and pyvips;
- the corpus's huge originals under the default limits (rendered within a memory bound, or refused);
- viewer-request time per event and cold imports, origin-response cold start, a warm miss through the emulator,
  and the Lambda@Edge cost per million misses.

Everything is printed as Markdown; ``benchmarks/RESULTS.md`` quotes a run.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
WORK = BENCH_DIR / ".bench"
NODE_DIR = WORK / "node"
DEFAULT_CORPUS = Path("..") / "shared" / "corpus"

PY_REQUIREMENTS = {
    "numpy": "numpy==2.4.6",
    "pyvips": "pyvips==3.2.0",
    "pyvips-binary": "pyvips-binary==8.18.7",
    "pillow-avif-plugin": "pillow-avif-plugin==1.6.0",
    # The rate-distortion sweep (--rd, rd_bench.py); pyproject's ``bench`` extra pins the same.
    "scipy": "scipy==1.17.1",
    "ssimulacra2": "ssimulacra2==0.3.0",
}
WIDTHS = (300, 640, 1280)
FORMATS = ("jpeg", "webp", "avif")
EXTENSIONS = {"jpeg": "jpg", "webp": "webp", "avif": "avif"}
# Engines of the main tables, in the order they are printed. imgedge-issue is imgedge's render path with the
# encoders set to the issue's settings (baseline JPEG, AVIF speed 5); imgedge is the shipping defaults.
ENGINES = ("sharp", "pyvips", "pillow-naive", "imgedge-issue", "imgedge")
PYTHON_ENGINES = frozenset({"pyvips", "pillow-naive", "imgedge-issue", "imgedge", "imgedge-avif"})
# Lambda@Edge price (CloudFront pricing page): per GB-second of duration, billed in 1 ms steps, and per request.
PRICE_GB_SECOND = 0.00005001
PRICE_REQUEST = 0.60 / 1_000_000
ONE_VCPU_MB = 1769
# The corpus's huge originals (file name -> what the default limits should do with them).
HUGE = ("edge-huge-9643x10328.jpg", "edge-huge-20000x14000-grey.jpg", "edge-huge-65536x65536.png")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Preparation: Python packages into the running environment, sharp into benchmarks/.bench/node.
# ---------------------------------------------------------------------------------------------------------------


def ensure_python_packages(distributions: Sequence[str]) -> None:
    """pip-install the pinned requirement of each of ``distributions`` that is not installed."""
    missing = []
    for name in distributions:
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(PY_REQUIREMENTS[name])
    if missing:
        log(f"installing {' '.join(missing)} into {sys.prefix}")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)


def ensure_sharp() -> bool:
    """``npm ci`` the pinned sharp into ``NODE_DIR`` unless it is there already; False when node/npm are missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        log("node/npm not found: sharp is skipped")
        return False
    wanted = json.loads((BENCH_DIR / "package.json").read_text())["dependencies"]["sharp"]
    installed = NODE_DIR / "node_modules" / "sharp" / "package.json"
    if installed.is_file() and json.loads(installed.read_text()).get("version") == wanted:
        return True
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        if (BENCH_DIR / name).is_file():
            shutil.copy2(BENCH_DIR / name, NODE_DIR / name)
    log(f"installing sharp {wanted} into {NODE_DIR.relative_to(ROOT)}")
    verb = "ci" if (NODE_DIR / "package-lock.json").is_file() else "install"
    subprocess.run(["npm", verb, "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True)
    return True


# ---------------------------------------------------------------------------------------------------------------
# Workers: one process per engine, JSON lines over stdin/stdout. The Python ones are this file with --worker.
# ---------------------------------------------------------------------------------------------------------------

Renderer = Callable[[bytes, str, int, dict[str, Any]], tuple[bytes, int, int]]
#: Stage timings of the last imgedge render (decode, transform, encode ms), answered with each render.
LAST_STAGES: dict[str, float] = {}


def _imgedge_renderer(settings: str) -> Renderer:
    """imgedge's render(), exactly as origin-response calls it, with the encoder options of ``settings``.

    ``shipping``: untouched. ``issue``: baseline JPEG, and AVIF at the issue's quality straight to libavif, speed 5,
    libavif's own aom tuning. ``custom``: the AVIF options of each job (``job["avif"]``) merged into the encoder's.
    A job's ``quality`` replaces the configured default quality (the spec's, before ``avif_quality``).
    """
    # ``edge.render`` re-exports the function ``encode``, which shadows the submodule as a package attribute.
    encode_module = importlib.import_module("edge.render.encode")
    from edge.config import Config  # noqa: PLC0415
    from edge.options import Fit, OutputFormat, RenderSpec  # noqa: PLC0415
    from edge.render import Limits, render  # noqa: PLC0415

    config = Config()
    limits = Limits.from_config(config)
    shipping = encode_module.save_options
    overrides: dict[str, Any] = {}

    def patched(fmt: Any, quality: int | None, mode: str) -> dict[str, Any]:
        options = shipping(fmt, quality, mode)
        if settings == "issue" and fmt is OutputFormat.JPEG:
            options["progressive"] = False
        if settings == "issue" and fmt is OutputFormat.AVIF:
            # The issue's AVIF: q50 straight to libavif, aom speed 5, libavif's own aom tuning.
            options.update(speed=5, quality=quality)
            options.pop("advanced", None)
        if fmt is OutputFormat.AVIF:
            options.update(overrides)
            if options.get("codec", "aom") != "aom":  # the shipping aom options mean nothing to SVT-AV1/rav1e
                options.pop("advanced", None)
        return options

    if settings != "shipping":
        encode_module.save_options = patched  # type: ignore[assignment]

    def run(data: bytes, fmt: str, width: int, job: dict[str, Any]) -> tuple[bytes, int, int]:
        overrides.clear()
        overrides.update(job.get("avif") or {})
        quality = job.get("quality") or config.sizing.default_quality[fmt]
        spec = RenderSpec(width, None, Fit.INSIDE, OutputFormat(fmt), quality)
        rendered = render(data, spec, limits)
        LAST_STAGES.clear()
        LAST_STAGES.update(rendered.timings_ms)
        return rendered.body, rendered.width, rendered.height

    return run


def _pyvips_renderer() -> Renderer:
    """libvips as imgproxy uses it: thumbnail_buffer (shrink-on-load, auto-rotate), sRGB, strip, save."""
    import pyvips  # noqa: PLC0415

    pyvips.cache_set_max(0)

    def run(data: bytes, fmt: str, width: int, job: dict[str, Any]) -> tuple[bytes, int, int]:
        image = pyvips.Image.thumbnail_buffer(data, width, height=10_000_000, size="down")
        if image.get_typeof("icc-profile-data"):
            image = image.icc_transform("srgb", embedded=True)
        if fmt == "jpeg":
            body = image.jpegsave_buffer(Q=80, optimize_coding=True, subsample_mode="on", keep=0)
        elif fmt == "webp":
            body = image.webpsave_buffer(Q=80, effort=4, keep=0)
        else:
            body = image.heifsave_buffer(
                Q=50, compression="av1", subsample_mode="on", bitdepth=8, effort=job.get("effort", 4), keep=0
            )
        return body, image.width, image.height

    return run


def _naive_renderer() -> Renderer:
    """What a first Pillow attempt looks like: full decode, exif_transpose, one Lanczos resize, save."""
    from PIL import Image, ImageOps  # noqa: PLC0415

    def run(data: bytes, fmt: str, width: int, job: dict[str, Any]) -> tuple[bytes, int, int]:
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
        if image.mode != "RGB":
            image = image.convert("RGB")
        if width < image.width:
            image = image.resize((width, max(1, round(image.height * width / image.width))), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        if fmt == "jpeg":
            image.save(buffer, "JPEG", quality=80, subsampling="4:2:0", optimize=True)
        elif fmt == "webp":
            image.save(buffer, "WEBP", quality=80, method=4)
        else:
            image.save(buffer, "AVIF", quality=50, subsampling="4:2:0", speed=5)
        return buffer.getvalue(), image.width, image.height

    return run


def _versions() -> dict[str, str]:
    versions: dict[str, str] = {"python": platform.python_version()}
    with contextlib.suppress(ImportError):
        import PIL  # noqa: PLC0415
        from PIL import features  # noqa: PLC0415

        versions["pillow"] = PIL.__version__
        for name in ("libjpeg_turbo", "webp", "avif", "littlecms2"):
            versions[f"pillow-{name}"] = str(features.version(name))
        with contextlib.suppress(ImportError, AttributeError):
            from PIL import _avif  # noqa: PLC0415

            versions["pillow-avif-codecs"] = _avif.codec_versions()
    if "pyvips" in sys.modules:
        pyvips = sys.modules["pyvips"]
        versions["pyvips"] = pyvips.__version__
        versions["libvips"] = ".".join(str(pyvips.version(i)) for i in range(3))
    if "pillow_avif" in sys.modules:
        plugin = sys.modules["pillow_avif"]
        versions["pillow-avif-plugin"] = plugin.__version__
        versions["pillow-avif-plugin-codecs"] = plugin._avif.codec_versions()
    return versions


def worker_main(engine: str) -> int:
    """Serve render requests for ``engine`` on stdin/stdout (see ``sharp_worker.mjs`` for the protocol)."""
    protocol = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers on the protocol stream
    if os.environ.get("BENCH_AVIF_PLUGIN") == "1":
        from PIL import Image  # noqa: PLC0415

        Image.init()  # the plugin must register after Pillow's own AVIF plugin, to replace it
        import pillow_avif  # noqa: F401, PLC0415
    if engine == "imgedge":
        renderer = _imgedge_renderer("shipping")
    elif engine == "imgedge-issue":
        renderer = _imgedge_renderer("issue")
    elif engine == "imgedge-avif":
        renderer = _imgedge_renderer("custom")
    elif engine == "pyvips":
        renderer = _pyvips_renderer()
    elif engine == "pillow-naive":
        renderer = _naive_renderer()
    else:
        raise SystemExit(f"unknown engine {engine}")
    sources: dict[str, bytes] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        op = message["op"]
        if op == "quit":
            break
        answer: dict[str, Any]
        try:
            if op == "hello":
                answer = {"versions": _versions()}
            elif op == "load":
                sources[message["name"]] = Path(message["path"]).read_bytes()
                answer = {"ok": True}
            elif op == "render":
                data = sources[message["name"]]
                cpu_started = time.process_time()
                started = time.perf_counter()
                body, width, height = renderer(data, message["format"], message["width"], message)
                elapsed = (time.perf_counter() - started) * 1000
                cpu = (time.process_time() - cpu_started) * 1000
                if message.get("out"):
                    Path(message["out"]).write_bytes(body)
                answer = {
                    "ms": elapsed,
                    "cpu_ms": cpu,
                    "bytes": len(body),
                    "width": width,
                    "height": height,
                    "stages": LAST_STAGES,
                }
            elif op == "stats":
                import resource  # noqa: PLC0415

                answer = {"maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
            else:
                answer = {"error": f"unknown op {op}"}
        except Exception as err:
            answer = {"error": f"{type(err).__name__}: {err}"}
        protocol.write(json.dumps(answer) + "\n")
        protocol.flush()
    return 0


class WorkerError(RuntimeError):
    pass


class Worker:
    """A running engine process pinned to ``cpus``, with ``threads`` threads for its codecs."""

    def __init__(self, engine: str, *, cpus: set[int], threads: int, plugin: bool = False) -> None:
        self.engine = engine
        env = dict(os.environ, VIPS_CONCURRENCY=str(threads), BENCH_THREADS=str(threads), PYTHONHASHSEED="0")
        env["SVT_LOG"] = "1"  # SVT-AV1 prints its configuration on every encode otherwise
        env.pop("BENCH_AVIF_PLUGIN", None)
        if plugin:
            env["BENCH_AVIF_PLUGIN"] = "1"
        if engine == "sharp":
            command = ["node", str(BENCH_DIR / "sharp_worker.mjs"), str(NODE_DIR)]
        else:
            command = [sys.executable, str(Path(__file__).resolve()), "--worker", engine]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
            # The driver starts every pinned child before its only threads (the emulator's) exist.
            preexec_fn=lambda: os.sched_setaffinity(0, cpus),  # noqa: PLW1509
        )

    def call(self, **message: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise WorkerError(f"{self.engine} worker exited (code {self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise WorkerError(f"{self.engine}: {answer['error']}")
        return answer

    def close(self) -> int:
        """Stop the worker and return its peak RSS in KiB."""
        rss = int(self.call(op="stats")["maxrss_kib"])
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
        self.process.stdin.close()
        self.process.wait(timeout=30)
        return rss


# ---------------------------------------------------------------------------------------------------------------
# Quality: DSSIM on CIELAB against the source downscaled once in float linear light.
# ---------------------------------------------------------------------------------------------------------------


class Quality:
    """Reference downscales of one photo (cached per output size) and the distance of an output to them."""

    def __init__(self, path: Path) -> None:
        import numpy as np  # noqa: PLC0415
        from PIL import Image, ImageCms, ImageOps  # noqa: PLC0415

        self.np = np
        image = ImageOps.exif_transpose(Image.open(path))
        icc = image.info.get("icc_profile")
        if icc:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.createProfile("sRGB")
            image = ImageCms.profileToProfile(image, source, srgb, outputMode="RGB") or image
        image = image.convert("RGB")
        self.linear = _srgb_to_linear(np.asarray(image, dtype=np.float32) / 255.0)
        self.size = image.size
        self._references: dict[tuple[int, int], Any] = {}

    def reference(self, size: tuple[int, int]) -> Any:
        """The photo at ``size``: Lanczos in linear light (float32 per channel), encoded back to sRGB."""
        from PIL import Image  # noqa: PLC0415

        np = self.np
        if size not in self._references:
            channels = [
                np.asarray(Image.fromarray(self.linear[..., c], mode="F").resize(size, Image.Resampling.LANCZOS))
                for c in range(3)
            ]
            self._references[size] = _linear_to_srgb(np.clip(np.stack(channels, axis=-1), 0.0, 1.0))
        return self._references[size]

    def distance(self, output: Path) -> float:
        """DSSIM = 1/SSIM - 1 of ``output`` against the reference of its size (lower is better; see ``dssim``)."""
        from PIL import Image  # noqa: PLC0415

        np = self.np
        with Image.open(output) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
        return dssim(np, pixels, self.reference((pixels.shape[1], pixels.shape[0])))


#: Weights of the L*, a* and b* SSIMs in ``dssim``: lightness carries most of what the eye resolves.
LAB_WEIGHTS = (0.5, 0.25, 0.25)


def dssim(np: Any, pixels: Any, reference: Any) -> float:
    """1/SSIM - 1, SSIM the weighted mean over CIELAB channels of Wang et al.'s SSIM (Gaussian sigma 1.5,
    K1 0.01, K2 0.03). a* and b* are shifted by +128 (range 255) and L* kept at 0-100, so the luminance term
    compares means on a positive scale: on signed chroma near grey, a 0.5-unit bias alone would read as a large
    structural loss."""
    lab_out, lab_ref = _lab(np, pixels), _lab(np, reference)
    shift = np.array([0.0, 128.0, 128.0], dtype=np.float32)
    lab_out, lab_ref = lab_out + shift, lab_ref + shift
    ranges = (100.0, 255.0, 255.0)
    ssim = sum(w * _ssim(np, lab_out[..., c], lab_ref[..., c], ranges[c]) for c, w in enumerate(LAB_WEIGHTS))
    return 1.0 / ssim - 1.0


def _srgb_to_linear(values: Any) -> Any:
    import numpy as np  # noqa: PLC0415

    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _linear_to_srgb(values: Any) -> Any:
    import numpy as np  # noqa: PLC0415

    return np.where(values <= 0.0031308, values * 12.92, 1.055 * np.power(values, 1 / 2.4) - 0.055).astype(np.float32)


def _lab(np: Any, srgb: Any) -> Any:
    """sRGB (0-1) to CIELAB (D65)."""
    linear = _srgb_to_linear(srgb)
    matrix = np.array(
        [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]],
        dtype=np.float32,
    )
    xyz = linear @ matrix.T / np.array([0.95047, 1.0, 1.08883], dtype=np.float32)
    delta = 6 / 29
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def _blur(np: Any, plane: Any) -> Any:
    """Separable Gaussian (sigma 1.5, 11 taps), 'valid' region only."""
    taps = np.exp(-0.5 * (np.arange(11) - 5) ** 2 / 1.5**2)
    taps /= taps.sum()
    rows = sum(taps[i] * plane[i : plane.shape[0] - 10 + i, :] for i in range(11))
    return sum(taps[i] * rows[:, i : rows.shape[1] - 10 + i] for i in range(11))


def _ssim(np: Any, x: Any, y: Any, data_range: float) -> float:
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    x, y = x.astype(np.float64), y.astype(np.float64)
    mx, my = _blur(np, x), _blur(np, y)
    sxx = _blur(np, x * x) - mx * mx
    syy = _blur(np, y * y) - my * my
    sxy = _blur(np, x * y) - mx * my
    ssim = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(ssim.mean())


# ---------------------------------------------------------------------------------------------------------------
# The render matrix.
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    name: str
    path: Path


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


def read_photos(corpus: Path, limit: int | None) -> list[Photo]:
    """The ``photo`` rows of the manifest, as ``floor.read_photos`` reads them (one reading for both scripts)."""
    import floor  # noqa: PLC0415 (benchmarks/floor.py, beside this script)

    return [Photo(path.name, path) for path in floor.read_photos(corpus, limit)]


def load_sources(workers: dict[str, Worker], photos: Sequence[Photo]) -> None:
    for worker in workers.values():
        for photo in photos:
            worker.call(op="load", name=photo.name, path=str(photo.path.resolve()))


def run_matrix(
    workers: dict[str, Worker],
    photos: Sequence[Photo],
    jobs: Sequence[tuple[str, int, dict[str, Any]]],
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
    for (_, photo, _, _), cell in cells.items():
        if cell.output is not None and cell.dssim is None:
            by_photo.setdefault(photo, []).append(cell)
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


def _ratio(value: float, base: Summary | None, attribute: str = "ms") -> str:
    if base is None or not getattr(base, attribute):
        return "-"
    return f"{value / getattr(base, attribute):.2f}"


def render_tables(cells: dict[Key, Cell], engines: Sequence[str], rss: dict[str, int]) -> str:
    """The summary table (like the issue's) and one detailed table per format."""
    out = io.StringIO()
    header = "| ms per image | jpeg 300 / 640 / 1280 | webp 300 / 640 / 1280 | avif 300 / 640 / 1280 | peak RSS |"
    print(header, file=out)
    print("|---|---|---|---|---|", file=out)
    for engine in engines:
        parts = []
        for fmt in FORMATS:
            values = [summarise(cells, engine, fmt, w) for w in WIDTHS]
            parts.append(" / ".join(f"{v.ms:.0f}" if v else "-" for v in values))
        peak = f"{rss[engine] / 1024:.0f} MiB" if engine in rss else "-"
        print(f"| {engine} | {' | '.join(parts)} | {peak} |", file=out)
    for fmt in FORMATS:
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


def stage_table(cells: dict[Key, Cell], engine: str) -> str:
    """Where ``engine``'s time goes: each stage's share of ``render()``'s own (wall-clock) stage timings, summed
    over photos and rounds, beside the table's time (shares hold up when the machine is shared; absolute
    wall-clock stage times do not)."""
    out = io.StringIO()
    print("| format | width | decode | transform | encode | time per image ms |", file=out)
    print("|---|---:|---:|---:|---:|---:|", file=out)
    for fmt in FORMATS:
        for width in WIDTHS:
            chosen = [c for (e, _, f, w), c in cells.items() if e == engine and f == fmt and w == width and c.stages]
            if not chosen:
                continue
            sums = {name: sum(st.get(name, 0.0) for c in chosen for st in c.stages) for name in STAGES}
            total = sum(sums.values()) or 1.0
            shares = " | ".join(f"{100 * sums[name] / total:.0f} %" for name in STAGES)
            print(f"| {fmt} | {width} | {shares} | {statistics.fmean(c.median for c in chosen):.1f} |", file=out)
    return out.getvalue()


STAGES = ("decode", "transform", "encode")


def check_targets(cells: dict[Key, Cell], engine: str, rss: dict[str, int]) -> tuple[str, list[str]]:
    """The issue's render targets for ``engine`` (ratios from this run); returns the table and the misses."""
    limits = {"jpeg": (0.5, 0.8), "webp": (0.6, 0.8), "avif": (0.5, None)}
    out = io.StringIO()
    misses = []
    print("| target | width | measured | met |", file=out)
    print("|---|---:|---|---|", file=out)
    for fmt in FORMATS:
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


# ---------------------------------------------------------------------------------------------------------------
# Other measurements, each in fresh processes.
# ---------------------------------------------------------------------------------------------------------------


def run_python(
    code: str, *, cpus: set[int] | None = None, args: Sequence[str] = (), argv: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (interpreter options ``args``, script arguments ``argv``)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("IMGEDGE_CONFIG", None)
    return subprocess.run(
        [sys.executable, *args, "-c", code, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    )


_VIEWER_TIMING = r"""
import io, json, os, statistics, sys, time
from viewer_request.handler import handler

class Null(io.TextIOBase):
    def write(self, text): return len(text)
    def flush(self): pass

event = json.load(open("tests/events/viewer-request.json"))
n = int(sys.argv[1])
results = {}
for label, stream in (("silent", Null()), ("logging", open(os.devnull, "w"))):
    saved, sys.stdout = sys.stdout, stream
    wall, cpu = time.perf_counter_ns, time.thread_time_ns
    walls, cpus = [], []
    try:
        for _ in range(2000):
            handler(event, None)
        for _ in range(n):
            c0 = cpu(); t0 = wall(); handler(event, None); t1 = wall(); c1 = cpu()
            walls.append(t1 - t0); cpus.append(c1 - c0)
    finally:
        sys.stdout = saved
    walls.sort(); cpus.sort()
    results[label] = {"median_us": walls[n // 2] / 1000, "p99_us": walls[int(n * 0.99)] / 1000,
                      "cpu_median_us": cpus[n // 2] / 1000}
empty = []
for _ in range(n // 10):
    c0 = time.thread_time_ns(); t0 = time.perf_counter_ns(); t1 = time.perf_counter_ns(); c1 = time.thread_time_ns()
    empty.append(c1 - c0)
results["clock_overhead_us"] = statistics.median(empty) / 1000
print(json.dumps(results))
"""

_IMPORT_CPU = r"""
import json, sys, time
for name in sys.argv[2:]:  # loaded before the clock starts (the Lambda runtime's own imports)
    __import__(name)
c0, t0 = time.process_time(), time.perf_counter()
__import__(sys.argv[1])
print(json.dumps({"cpu_ms": (time.process_time() - c0) * 1000, "wall_ms": (time.perf_counter() - t0) * 1000}))
"""

_ORIGIN_COLD = r"""
import json, time
t0, c0 = time.perf_counter(), time.process_time()
import origin_response.handler
t1, c1 = time.perf_counter(), time.process_time()
from edge.store import s3_client
s3_client("us-east-1", 3, 1.0, 3.0)
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "client_ms": (t2 - t1) * 1000,
                  "import_cpu_ms": (c1 - c0) * 1000, "client_cpu_ms": (c2 - c1) * 1000}))
"""

_HUGE = r"""
import json, resource, sys, time
from edge.config import Config
from edge.errors import EdgeError
from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import Limits, render
data = open(sys.argv[1], "rb").read()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
try:
    spec = RenderSpec(int(sys.argv[2]), None, Fit.INSIDE, OutputFormat.JPEG, 80)
    r = render(data, spec, Limits.from_config(Config()))
    outcome = f"rendered {r.width}x{r.height}, {len(r.body):,} bytes"
except EdgeError as err:
    outcome = f"refused: {type(err).__name__} ({err.status}): {err.detail}"
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({"outcome": outcome, "ms": ms, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rss_before_mib": base / 1024}))
"""

_VIEWER_BUNDLE = r"""
import io, json, sys, zipfile
sys.path.insert(0, "cdk")
from imgedge_cdk.bundling import viewer_files
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    for name, path in sorted(viewer_files().items()):
        archive.write(path, name)
print(json.dumps({"files": len(viewer_files()), "zip_bytes": len(buffer.getvalue())}))
"""


def importtime_us(module: str, cpus: set[int]) -> float:
    """Cumulative ``-X importtime`` microseconds of ``module`` in a fresh interpreter."""
    result = run_python(f"import {module}", cpus=cpus, args=("-X", "importtime"))
    for line in result.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return float(parts[1])
    raise RuntimeError(f"no importtime line for {module}")


def measure_edge(cpus: set[int], events: int, repeats: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    # Bytecode first (both handlers' packages): with PYTHONDONTWRITEBYTECODE set, a module edited since its .pyc
    # was written would be compiled again in every fresh interpreter below, and the cold imports would measure the
    # compiler.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "edge", "viewer_request", "origin_response"],
        cwd=ROOT,
        check=True,
        env={name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
    )
    log(f"viewer-request: {events:,} events per mode")
    results["viewer"] = json.loads(run_python(_VIEWER_TIMING, cpus=cpus, argv=(str(events),)).stdout)
    log("cold imports")
    results["viewer_import_us"] = statistics.median(
        importtime_us("viewer_request.handler", cpus) for _ in range(repeats)
    )
    imports = [
        json.loads(run_python(_IMPORT_CPU, cpus=cpus, argv=("viewer_request.handler",)).stdout) for _ in range(repeats)
    ]
    results["viewer_import_cpu_ms"] = statistics.median(i["cpu_ms"] for i in imports)
    results["viewer_import_wall_ms"] = statistics.median(i["wall_ms"] for i in imports)
    # The standard-library modules AWS's Python runtime has loaded when it imports a handler: exactly those that
    # awslambdaric 4.2.2 (PyPI wheel; ``python -m awslambdaric``: ``__main__``, ``bootstrap``, ``lambda_config``,
    # ``lambda_context``, ``lambda_runtime_client``, ``lambda_runtime_exception``, ``lambda_runtime_log_utils``,
    # ``lambda_runtime_marshaller``) and its simplejson pull in, checked against ``sys.modules``. Not awslambdaric
    # itself, its C runtime client or simplejson, which are not installed here.
    runtime_imports = ("__future__", "decimal", "enum", "importlib", "json", "logging", "math", "os", "sys", "time",
                       "traceback")  # fmt: skip
    after_runtime = [
        json.loads(run_python(_IMPORT_CPU, cpus=cpus, argv=("viewer_request.handler", *runtime_imports)).stdout)
        for _ in range(repeats)
    ]
    results["viewer_import_after_runtime_cpu_ms"] = statistics.median(i["cpu_ms"] for i in after_runtime)
    results["origin_import_us"] = statistics.median(
        importtime_us("origin_response.handler", cpus) for _ in range(repeats)
    )
    origin = [json.loads(run_python(_ORIGIN_COLD, cpus=cpus).stdout) for _ in range(repeats)]
    results["origin_cold"] = {name: statistics.median(o[name] for o in origin) for name in origin[0]}
    try:
        results["viewer_bundle"] = json.loads(run_python(_VIEWER_BUNDLE).stdout)
    except subprocess.CalledProcessError as err:
        results["viewer_bundle"] = {"error": err.stderr.strip().splitlines()[-1:]}
    return results


def measure_huge(corpus: Path, cpus: set[int]) -> list[dict[str, Any]]:
    rows = []
    for name in HUGE:
        path = corpus / name
        if not path.is_file():
            continue
        for width in (300, 1280):
            log(f"huge original {name} -> {width}")
            answer = json.loads(run_python(_HUGE, cpus=cpus, argv=(str(path.resolve()), str(width))).stdout)
            rows.append({"file": name, "width": width, **answer})
    return rows


def measure_emulator(photos: Sequence[Photo], widths: Sequence[int]) -> dict[str, Any]:
    """Warm misses through the local emulator (embedded moto S3): total, handler and render milliseconds."""
    from imgedge.emulator import Emulator, Settings  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="imgedge-bench-") as directory:
        for photo in photos:
            (Path(directory) / photo.name).symlink_to(photo.path.resolve())
        settings = Settings(port=0, originals=Path(directory))
        quiet = io.StringIO()
        samples: dict[str, list[dict[str, float]]] = {}
        with contextlib.redirect_stderr(quiet), Emulator(settings, log=lambda line: None) as emulator:
            accept = "image/avif,image/webp,*/*"
            emulator.handle("GET", f"/{photos[0].name}?w=100", [("Accept", accept)], "127.0.0.1")  # cold start
            for fmt in FORMATS:
                for photo in photos:
                    for width in widths:
                        response = emulator.handle(
                            "GET", f"/{photo.name}?w={width}&format={fmt}", [("Accept", accept)], "127.0.0.1"
                        )
                        timings = dict(response.timings)
                        if response.cache != "Miss":
                            raise RuntimeError(f"expected a miss, got {response.cache} {response.status}")
                        samples.setdefault(fmt, []).append(timings)
    result = {}
    for fmt, rows in samples.items():
        result[fmt] = {
            name: statistics.median(row.get(name, 0.0) for row in rows) for name in ("total", "s3", "origin", "render")
        }
        result[fmt]["overhead"] = statistics.median(row["origin"] - row.get("render", 0.0) for row in rows)
    return result


def cost_table(cells: dict[Key, Cell], engine: str, memory_sizes: Sequence[int], io_ms: float) -> str:
    """Lambda@Edge cost per million misses for ``engine``'s single-thread render times plus ``io_ms``.

    Below 1769 MB a function gets memory/1769 of a vCPU, so CPU-bound time stretches by 1769/memory; at or
    above it the single-threaded render runs at full speed (a second vCPU only helps threaded encoders).
    """
    out = io.StringIO()
    print("| memory | format | duration ms (render + I/O) | $ per million misses |", file=out)
    print("|---:|---|---:|---:|", file=out)
    for memory in memory_sizes:
        for fmt in FORMATS:
            values = [summarise(cells, engine, fmt, w) for w in WIDTHS]
            render_ms = statistics.fmean(v.ms for v in values if v)
            stretch = max(1.0, ONE_VCPU_MB / memory)
            duration = render_ms * stretch + io_ms
            dollars = 1e6 * (duration / 1000 * memory / 1024 * PRICE_GB_SECOND + PRICE_REQUEST)
            print(f"| {memory} MB | {fmt} (mean of 300/640/1280) | {duration:.0f} | {dollars:.2f} |", file=out)
    return out.getvalue()


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
    jobs = [
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
        if (NODE_DIR / "node_modules" / "sharp").is_dir():
            workers["sharp"] = Worker("sharp", cpus={0, 1}, threads=threads)
        load_sources(workers, photos)
        jobs = [("avif", w, {"variant": f"{threads}t", "avif": {"max_threads": threads}}) for w in widths]
        label = f"AVIF with {threads} thread(s)"
        cells.update(run_matrix(workers, photos, jobs, rounds, out_dir, label, clock="wall"))
        for worker in workers.values():
            worker.close()
    return cells


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


# ---------------------------------------------------------------------------------------------------------------
# Machine and versions.
# ---------------------------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "nproc": str(os.cpu_count()),
        "affinity": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "memory": memory,
        "kernel": platform.release(),
        "node": subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
        if shutil.which("node")
        else "-",
    }


# ---------------------------------------------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _cells_json(cells: dict[Key, Cell]) -> list[dict[str, Any]]:
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


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["--rd"]:  # the rate-distortion sweep: rd_bench.py's own options follow
        ensure_python_packages(["numpy", "scipy", "ssimulacra2"])
        import rd_bench  # noqa: PLC0415 (benchmarks/rd_bench.py, beside this script)

        return rd_bench.main(list(argv[1:]))
    args = parse_args(argv)
    if args.worker:
        return worker_main(args.worker)
    begun = time.perf_counter()
    rounds = args.rounds or (1 if args.quick else 3)
    avif_rounds = args.avif_rounds or 1
    photo_limit = args.photos or (3 if args.quick else None)
    events = args.events or (20_000 if args.quick else 100_000)
    engines = [e for e in args.engines.split(",") if e]
    global FORMATS  # noqa: PLW0603
    FORMATS = tuple(f for f in args.formats.split(",") if f)

    ensure_python_packages(["numpy", "pyvips", "pyvips-binary"])
    has_sharp = ensure_sharp()
    if not has_sharp:
        engines = [e for e in engines if e != "sharp"]
    corpus = args.corpus
    photos = read_photos(corpus, photo_limit)
    WORK.mkdir(parents=True, exist_ok=True)
    out_dir = WORK / "out"
    shutil.rmtree(out_dir, ignore_errors=True)

    report = io.StringIO()

    def emit(text: str = "") -> None:
        print(text, file=report)
        print(text, flush=True)

    facts = machine()
    workers = {engine: Worker(engine, cpus={1}, threads=1) for engine in engines}
    versions: dict[str, Any] = {}
    for engine, worker in workers.items():
        versions[engine] = worker.call(op="hello").get("versions", {})
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
        "- every engine in its own process pinned to CPU 1, one thread (sharp.concurrency(1), VIPS_CONCURRENCY=1, "
        "AVIF max_threads 1); libvips operation caches off; originals in memory, decoded from their bytes on "
        f"every call; engines interleaved, order rotated per job; times ({args.clock} clock) are the mean over "
        "photos of per-photo medians"
    )

    try:
        load_sources(workers, photos)
        log("warm-up")
        for worker in workers.values():
            for fmt in FORMATS:
                worker.call(op="render", name=photos[0].name, format=fmt, width=WIDTHS[0], out=None)
        fast_jobs = [(fmt, width, {}) for fmt in FORMATS if fmt != "avif" for width in WIDTHS]
        load_before = os.getloadavg()
        cells = (
            run_matrix(workers, photos, fast_jobs, rounds, out_dir, "JPEG and WebP", args.clock) if fast_jobs else {}
        )
        if "avif" in FORMATS:
            avif_jobs: list[tuple[str, int, dict[str, Any]]] = [("avif", width, {}) for width in WIDTHS]
            cells.update(run_matrix(workers, photos, avif_jobs, avif_rounds, out_dir, "AVIF", args.clock))
        load_after = os.getloadavg()
    finally:
        rss = {}
        for engine, worker in workers.items():
            try:
                rss[engine] = worker.close()
            except (WorkerError, OSError, subprocess.TimeoutExpired):
                worker.process.kill()
    log("quality distances")
    score(cells, photos)

    emit("\n## Render: every engine at the issue's settings (imgedge also at its shipping defaults)\n")
    emit(
        "JPEG q80 4:2:0 optimised Huffman (imgedge: progressive too); WebP q80 method/effort 4; AVIF q50 4:2:0 "
        "8-bit, aom speed 5 (sharp/pyvips effort 4; imgedge: its shipping speed). DSSIM: 1/SSIM - 1 over "
        "CIELAB against the original downscaled in linear light (lower is better).\n"
    )
    emit(render_tables(cells, engines, rss))
    emit(
        f"Clock: {args.clock} time of each call. Load average (1/5/15 min) before the matrix "
        f"{' / '.join(f'{v:.2f}' for v in load_before)}, after {' / '.join(f'{v:.2f}' for v in load_after)} "
        "(this benchmark alone keeps it near 1). Wall-clock over CPU time per engine (1.0 on an idle machine; more "
        "means the pinned CPU was shared):\n"
    )
    emit(contention_table(cells, engines))
    target_engine = "imgedge" if "imgedge" in engines else engines[-1]
    emit(f"\n## Where {target_engine}'s time goes (share of render()'s own stage timings, same run)\n")
    emit(stage_table(cells, target_engine))
    targets, misses = check_targets(cells, target_engine, rss)
    emit(f"\n## Targets ({target_engine}, ratios from this run)\n")
    emit(targets)
    emit("Missed: " + (", ".join(misses) if misses else "none"))

    curve: dict[Key, Cell] = {}
    scaling: dict[Key, Cell] = {}
    if not args.no_curve and "avif" in FORMATS:
        curve_photos = photos[:2] if args.quick else photos[:3]
        curve_widths = (640,) if args.quick else (640, 1280)
        curve = run_avif_curve(curve_photos, curve_widths, 1, not args.no_plugin, WORK / "curve")
        score(curve, curve_photos)
        emit(f"\n## AVIF encoders on imgedge's pipeline (q50 4:2:0, 1 thread; {len(curve_photos)} photos)\n")
        emit(curve_table(curve, cells, curve_widths))
        scaling = run_thread_scaling(curve_photos, curve_widths, 1, WORK / "threads")
        emit("\n## AVIF thread scaling (both CPUs, wall-clock)\n")
        emit(scaling_table(scaling, curve_widths))
        emit(
            f"Load average after: {' / '.join(f'{v:.2f}' for v in os.getloadavg())} (wall-clock needs a quiet machine)."
        )

    edge: dict[str, Any] = {}
    huge: list[dict[str, Any]] = []
    emulator: dict[str, Any] = {}
    if not args.no_edge:
        huge = measure_huge(corpus, {1})
        emit("\n## Huge originals under the default limits (fresh process each, JPEG q80)\n")
        emit("| original | width | outcome | ms | peak RSS |")
        emit("|---|---:|---|---:|---:|")
        for row in huge:
            emit(f"| {row['file']} | {row['width']} | {row['outcome']} | {row['ms']:.0f} | {row['rss_mib']:.0f} MiB |")
        edge = measure_edge({1}, events, 5 if args.quick else 10)
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
        emit("\n## Edge functions\n")
        emit("| measurement | value | target |")
        emit("|---|---:|---|")
        for row in rows:
            emit(f"| {' | '.join(row)} |")
        emit(
            f"\n(CPU clock overhead per sample {viewer['clock_overhead_us']:.2f} us, included above; load average "
            f"after these measurements {' / '.join(f'{v:.2f}' for v in os.getloadavg())})"
        )
        log("warm misses through the emulator")
        try:
            emulator = measure_emulator(photos[:2] if args.quick else photos[:3], (640,))
        except Exception as err:
            log(f"emulator run failed: {type(err).__name__}: {err}")
        if emulator:
            emit("\n## Warm misses through the emulator (embedded moto S3; 640 px; medians)\n")
            emit("| format | total ms | S3 GET (moto) ms | origin-response ms | of which render ms | other ms |")
            emit("|---|---:|---:|---:|---:|---:|")
            for fmt, row in emulator.items():
                emit(
                    f"| {fmt} | {row['total']:.0f} | {row['s3']:.1f} | {row['origin']:.0f} | {row['render']:.0f} "
                    f"| {row['overhead']:.1f} |"
                )
        io_ms = 60.0
        emit(
            f"\n## Lambda@Edge cost per million misses (imgedge's single-thread render times of this run plus "
            f"{io_ms:.0f} ms assumed for the S3 GET and PUT; ${PRICE_GB_SECOND}/GB-s, "
            f"${PRICE_REQUEST * 1e6:.2f}/M requests)\n"
        )
        emit(cost_table(cells, target_engine, (1024, ONE_VCPU_MB, 2 * ONE_VCPU_MB), io_ms))
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
                "cells": _cells_json(cells),
                "curve": _cells_json(curve),
                "scaling": _cells_json(scaling),
                "edge": edge,
                "huge": huge,
                "emulator": emulator,
            },
            indent=1,
        )
    )
    if not args.no_floor and {"jpeg", "webp"} & set(FORMATS):
        # The floor compares imgedge's stages with sharp's and pyvips's cells of this run (just written above).
        import floor  # noqa: PLC0415 (benchmarks/floor.py, beside this script)

        log("the JPEG/WebP floor")
        emit()
        emit(floor.floor_table(corpus, photo_limit, 3 if args.quick else 5, cpu=1, results=args.json))
    (WORK / "report.md").write_text(report.getvalue())
    log(f"done in {time.perf_counter() - begun:.0f} s; raw results in {args.json}, report in {WORK / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
