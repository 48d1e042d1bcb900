"""The Python engines, each a renderer run inside its worker process (``renderbench.worker``): imgedge's render
path (shipping, the issue's encoder settings, or a job's own AVIF options), pyvips as imgproxy uses it, and a
naive Pillow pipeline. sharp is ``benchmarks/sharp_worker.mjs``, which answers the same protocol."""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable
from typing import Any

#: A renderer: (original bytes, format, width, the job's message) -> (encoded bytes, width, height).
Renderer = Callable[[bytes, str, int, dict[str, Any]], tuple[bytes, int, int]]
#: Stage timings of the last imgedge render (decode, transform, encode ms), answered with each render.
LAST_STAGES: dict[str, float] = {}


def imgedge_renderer(settings: str) -> Renderer:
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
        options: dict[str, Any] = shipping(fmt, quality, mode)
        if settings == "issue" and fmt is OutputFormat.JPEG:
            options["progressive"] = False
        if settings == "issue" and fmt is OutputFormat.AVIF:
            # The AVIF: q50 straight to libavif, aom speed 5, libavif's own aom tuning.
            options.update(speed=5, quality=quality)
            options.pop("advanced", None)
        if fmt is OutputFormat.AVIF:
            options.update(overrides)
            if options.get("codec", "aom") != "aom":  # the shipping aom options mean nothing to SVT-AV1/rav1e
                options.pop("advanced", None)
        return options

    if settings != "shipping":
        encode_module.save_options = patched  # type: ignore[attr-defined]

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


def pyvips_renderer() -> Renderer:
    """libvips as imgproxy uses it: thumbnail_buffer (shrink-on-load, auto-rotate), sRGB, strip, save.

    The issue's settings: JPEG Q80 4:2:0 optimised Huffman, WebP Q80 effort 4, AVIF Q50 4:2:0 8-bit effort 4
    (libheif's aom speed 9 - effort, 5). A job's ``quality`` replaces the Q (the rate-distortion sweeps), its
    ``effort`` the AVIF effort, its ``subsampling`` ("4:4:4") the AVIF chroma.
    """
    import pyvips  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: PLC0415

    pyvips.cache_set_max(0)

    def run(data: bytes, fmt: str, width: int, job: dict[str, Any]) -> tuple[bytes, int, int]:
        image = pyvips.Image.thumbnail_buffer(data, width, height=10_000_000, size="down")
        if image.get_typeof("icc-profile-data"):
            image = image.icc_transform("srgb", embedded=True)
        quality = job.get("quality")
        if fmt == "jpeg":
            body = image.jpegsave_buffer(Q=quality or 80, optimize_coding=True, subsample_mode="on", keep=0)
        elif fmt == "webp":
            body = image.webpsave_buffer(Q=quality or 80, effort=4, keep=0)
        else:
            body = image.heifsave_buffer(
                Q=quality or 50,
                compression="av1",
                subsample_mode="off" if job.get("subsampling") == "4:4:4" else "on",
                bitdepth=8,
                effort=job.get("effort", 4),
                keep=0,
            )
        return body, image.width, image.height

    return run


def naive_renderer() -> Renderer:
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


def renderer_for(engine: str) -> Renderer:
    """The renderer of the Python engine ``engine`` (SystemExit for any other name, as the worker reports it)."""
    if engine == "imgedge":
        return imgedge_renderer("shipping")
    if engine == "imgedge-issue":
        return imgedge_renderer("issue")
    if engine == "imgedge-avif":
        return imgedge_renderer("custom")
    if engine == "pyvips":
        return pyvips_renderer()
    if engine == "pillow-naive":
        return naive_renderer()
    raise SystemExit(f"unknown engine {engine}")
