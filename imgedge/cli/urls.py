"""``imgedge url``, ``sign``, ``srcset`` and ``render``: what a URL maps to, its signed form, responsive markup,
and the variant it renders, each validated exactly as the viewer-request function validates the URL."""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from edge.config import Config
from edge.errors import BadRequest, EdgeError
from edge.keys import decode_key, variant_s3_key, viewer_query
from edge.marker import MARKER_HEADER
from edge.options import Fit, OutputFormat, RenderSpec
from edge.paths import encode_path
from edge.render import Limits, render
from edge.render.geometry import plan_for
from edge.signing import signed_query
from edge.sizes import apply_size_policy, check_spec
from imgedge import bucket as bucket_ops
from imgedge.cli.options import (
    FORMAT_CHOICES,
    accept_header,
    config_option,
    expiry,
    expiry_option,
    image_options,
    info,
    load_cli_config,
    rewrite_or_usage_error,
    signing_key,
    signing_key_options,
    spec_options,
)
from imgedge.viewer_url import image_query, joined, spec_query, split_path


@click.command("render")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@spec_options
@image_options
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    help="Where to write the variant ('-' for stdout); a .avif/.webp/.jpg/.jpeg/.png name chooses the format "
    "unless --format or --accept does (then they must agree).",
)
@config_option
def render_command(
    src: Path,
    width: int | None,
    height: int | None,
    fit: str | None,
    quality: int | None,
    fmt: str,
    accept: str,
    out: str,
    config_path: Path | None,
    **image: Any,
) -> None:
    """Render SRC exactly as origin-response would for these parameters (without the watermark)."""
    config = load_cli_config(config_path)
    named = _format_of_name(out)
    accept_given = click.get_current_context().get_parameter_source("accept") is not ParameterSource.DEFAULT
    asked = joined(spec_query(width, height, fit, quality, fmt), image_query(image))
    if asked and named is not None and fmt == "auto" and not accept_given and "format" in config.url.allowed_parameters:
        fmt = named.value  # the output name chooses the format
    query = joined(spec_query(width, height, fit, quality, fmt), image_query(image))
    target = rewrite_or_usage_error(encode_path(src.name), query, accept_header(accept), config)
    if target is None:
        raise click.UsageError("give at least -w or -h")
    variant = decode_key(target.uri, config)
    if named is not None and variant.spec.format is not named:
        chosen = "--format" if fmt != "auto" else ("--accept" if accept_given else "the configuration")
        raise click.UsageError(
            f"{chosen} gives {variant.spec.format.value}, but the output name {out!r} is a {named.value} name: "
            "make them agree (or write to '-')"
        )
    try:
        check_spec(variant.spec, config)
        rendered = render(src.read_bytes(), variant.spec, Limits.from_config(config))
    except EdgeError as err:
        raise click.ClickException(f"{src}: {err.reason} (origin-response would answer {err.status})") from None
    if out == "-":
        sys.stdout.buffer.write(rendered.body)
        sys.stdout.flush()
    else:
        Path(out).write_bytes(rendered.body)
    stages = ", ".join(f"{name} {ms:.1f} ms" for name, ms in rendered.timings_ms.items())
    info(
        f"{src} -> {out}: {rendered.format.value} {rendered.width}x{rendered.height}, {len(rendered.body):,} bytes "
        f"(variant key {target.uri}; {stages})"
    )
    budget = (len(rendered.body) + 2) // 3 * 4
    if budget > config.responses.max_response_bytes:
        info(
            f"note: over the {config.responses.max_response_bytes:,}-byte inline budget once base64-encoded: "
            "origin-response would store it and redirect the viewer"
        )


def _format_of_name(out: str) -> OutputFormat | None:
    """The output format an output file name's extension names (``.jpg``/``.jpeg``/``.avif``/``.webp``/``.png``,
    any case); ``None`` for stdout (``-``) or any other name."""
    if out == "-":
        return None
    try:
        return OutputFormat.from_extension(Path(out).suffix[1:])
    except ValueError:
        return None


@click.command()
@click.argument("path")
@spec_options
@image_options
@click.option("--base-url", default="", help="Prefix of the viewer URL, e.g. https://d111111abcdef8.cloudfront.net")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@config_option
def url(
    path: str,
    width: int | None,
    height: int | None,
    fit: str | None,
    quality: int | None,
    fmt: str,
    accept: str,
    base_url: str,
    as_json: bool,
    config_path: Path | None,
    **image: Any,
) -> None:
    """Show the variant key a request maps to, and its canonical viewer URL.

    PATH is an original's key, or a viewer URL or path whose query parameters are used too (the options are added
    to them).
    """
    config = load_cli_config(config_path)
    uri, query = split_path(path)
    query = joined(query, spec_query(width, height, fit, quality, fmt), image_query(image))
    target = rewrite_or_usage_error(uri, query, accept_header(accept), config)
    if target is None:
        if as_json:
            click.echo(json.dumps({"rewritten": False, "uri": uri}))
        else:
            click.echo(f"no imgedge parameters: the original {uri} is served as it is")
        return
    spec = target.variant.spec
    viewer_url = f"{base_url.rstrip('/')}{target.original}?{viewer_query(spec, config)}"
    data = {
        "rewritten": True,
        "variant_key": target.uri,
        "s3_key": variant_s3_key(target.variant, config),
        "original": target.original,
        "marker": f"{MARKER_HEADER}: {target.original}",
        "viewer_url": viewer_url,
        "width": spec.width,
        "height": spec.height,
        "fit": spec.fit.value,
        "format": spec.format.value,
        "quality": spec.quality,
        "gravity": spec.gravity.value,
        "focus": None if spec.focus is None else [spec.focus[0] / 100, spec.focus[1] / 100],
        "background": spec.background,
        "grayscale": spec.grayscale,
        "blur": spec.blur,
        "sharpen": spec.sharpen,
        "rotate": spec.rotate,
        "flop": spec.flop,
        "still": spec.still,
    }
    if as_json:
        click.echo(json.dumps(data))
        return
    size = f"{spec.width or '-'} x {spec.height or '-'}"
    quality_text = "lossless" if spec.quality is None else f"q{spec.quality}"
    click.echo(f"variant key  {target.uri}")
    click.echo(f"S3 key       {data['s3_key']}")
    click.echo(f"original     {target.original}  (marker header {MARKER_HEADER})")
    click.echo(f"rendering    {size} {spec.fit.value}, {spec.format.value} {quality_text}")
    extras = [spec.gravity.value] if spec.crops and spec.gravity.value != "centre" else []
    extras += [f"focus {data['focus']}"] if spec.focus else []
    extras += [f"background #{spec.background}"] if spec.background else []
    extras += [name for name, on in (("grayscale", spec.grayscale), ("sharpen", spec.sharpen)) if on]
    extras += [f"blur {spec.blur}"] if spec.blur else []
    extras += [f"rotate {spec.rotate}"] if spec.rotate else []
    extras += ["flop"] if spec.flop else []
    extras += ["first frame only"] if spec.still else []
    if extras:
        click.echo(f"options      {', '.join(extras)}")
    click.echo(f"viewer URL   {viewer_url}")


@click.command()
@click.argument("path")
@spec_options
@image_options
@click.option("--base-url", default="", help="Prefix of the URL, e.g. https://d111111abcdef8.cloudfront.net")
@signing_key_options
@expiry_option
@config_option
def sign(
    path: str,
    width: int | None,
    height: int | None,
    fit: str | None,
    quality: int | None,
    fmt: str,
    accept: str,
    base_url: str,
    key_file: Path | None,
    secret_id: str | None,
    secret_region: str,
    expires_in: int | None,
    config_path: Path | None,
    **image: Any,
) -> None:
    """Print PATH's URL signed for the edge's signature check (s=..., see edge.signing).

    PATH is an original's key, or a viewer URL or path whose query parameters are used too. The key comes from
    --key-file, --secret-id (the secret the edge reads) or $IMGEDGE_SIGNING_KEY.
    """
    config = load_cli_config(config_path)
    uri, query = split_path(path)
    query = joined(query, spec_query(width, height, fit, quality, fmt), image_query(image))
    if rewrite_or_usage_error(uri, query, accept_header(accept), config) is None:
        raise click.UsageError("nothing to sign: give image parameters (-w, -h, ...)")
    key = signing_key(key_file, secret_id, secret_region)
    signed = signed_query(uri, query, key, config, expires=expiry(expires_in))
    click.echo(f"{base_url.rstrip('/')}{uri}?{signed}")


#: ``imgedge srcset``'s default widths: phone, tablet, laptop, desktop and full-HD sizes that the default size
#: policy keeps exactly (each is one of ``edge.config.DEFAULT_SIZES``), so no candidate is silently snapped.
DEFAULT_SRCSET_WIDTHS = "320,640,1024,1280,1920"
#: Fits whose output is the requested w x h box itself (when the original is large enough).
_BOX_FITS = (Fit.COVER, Fit.FILL, Fit.CONTAIN)


@click.command()
@click.argument("path")
@click.option("--widths", default=DEFAULT_SRCSET_WIDTHS, show_default=True, help="Comma-separated widths.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="auto", show_default=True)
@click.option("-q", "--quality", type=int)
@click.option("--sizes", default="100vw", show_default=True, help="The sizes attribute.")
@click.option("--alt", default="", help="The alt text.")
@click.option("--base-url", default="", help="Prefix of the URLs, e.g. https://d111111abcdef8.cloudfront.net")
@click.option(
    "-h",
    "--height",
    type=int,
    help="Height at the largest width, for crops; every smaller candidate keeps that aspect ratio exactly (widths "
    "whose height the size policy would change are refused).",
)
@click.option("--fit", type=click.Choice([fit.value for fit in Fit]), help="How w x h is filled.")
@click.option(
    "--source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A local copy of the original: gives the real pixel sizes (width/height attributes, w descriptors) and "
    "drops widths above its own, which would repeat its full size.",
)
@image_options
@click.option("--sign", is_flag=True, help="Sign every URL (s=...), with the key of the options below.")
@signing_key_options
@expiry_option
@config_option
def srcset(
    path: str,
    widths: str,
    fmt: str,
    quality: int | None,
    sizes: str,
    alt: str,
    base_url: str,
    height: int | None,
    fit: str | None,
    source: Path | None,
    sign: bool,
    key_file: Path | None,
    secret_id: str | None,
    secret_region: str,
    expires_in: int | None,
    config_path: Path | None,
    **image: Any,
) -> None:
    """Print the <img srcset sizes width height> markup for an original (format auto lets each browser get its
    best). Every candidate has one aspect ratio; width and height are the fallback's pixel size (from --source, or
    the w x h box of a crop), so the page does not shift when it loads."""
    config = load_cli_config(config_path)
    key = signing_key(key_file, secret_id, secret_region) if sign else None
    expires = expiry(expires_in)
    uri, _ = split_path(path)
    chosen = _srcset_widths(widths, config)
    source_size = _source_size(source, config) if source is not None else None
    heights = _srcset_heights(uri, chosen, height, fit, quality, fmt, image, config)
    candidates: list[tuple[int, str, tuple[int, int] | None]] = []
    for width in chosen:
        query = joined(spec_query(width, heights.get(width), fit, quality, fmt), image_query(image))
        target = rewrite_or_usage_error(
            uri, query, "", config
        )  # the same validation as the edge (path, every parameter)
        assert target is not None  # a width is always an image parameter
        spec = target.variant.spec
        size = _output_size(spec, source_size)
        descriptor = size[0] if size is not None else spec.width or width
        if candidates and size is not None and size == candidates[-1][2]:
            info(f"note: w={width} gives the same {size[0]}x{size[1]} px as the previous candidate (the original "
                  "is never enlarged); left out")  # fmt: skip
            continue
        query = signed_query(uri, query, key, config, expires=expires) if key is not None else query
        candidates.append((descriptor, f"{base_url.rstrip('/')}{uri}?{query}", size))
    fallback = candidates[len(candidates) // 2]
    srcset_value = ", ".join(f"{candidate} {descriptor}w" for descriptor, candidate, _ in candidates)
    attributes = {"src": fallback[1], "srcset": srcset_value, "sizes": sizes, "alt": alt}
    if fallback[2] is not None:
        attributes.update(width=str(fallback[2][0]), height=str(fallback[2][1]))
    else:
        info("note: no width/height attributes: give --source FILE (or -h with a crop) to know the aspect ratio")
    markup = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items())
    click.echo(f'<img {markup} loading="lazy" decoding="async">')


def _srcset_widths(widths: str, config: Config) -> list[int]:
    """The distinct widths of ``--widths`` after the size policy, ascending (a note for each snapped one)."""
    try:
        requested = [int(text) for text in widths.split(",") if text.strip()]
    except ValueError:
        raise click.BadParameter("must be comma-separated integers", param_hint="--widths") from None
    if not requested:
        raise click.BadParameter("give at least one width", param_hint="--widths")
    chosen: list[int] = []
    for width in requested:
        try:
            snapped = apply_size_policy("w", width, config) if width >= 1 else 0
        except BadRequest as err:
            raise click.BadParameter(err.reason, param_hint="--widths") from None
        if snapped < 1:
            raise click.BadParameter(f"{width} is not a positive width", param_hint="--widths")
        if snapped != width:
            info(f"note: w={width} snaps to {snapped} under the size policy; using {snapped}w")
        if snapped not in chosen:
            chosen.append(snapped)
    return sorted(chosen)


def _srcset_heights(
    uri: str,
    chosen: list[int],
    height: int | None,
    fit: str | None,
    quality: int | None,
    fmt: str,
    image: dict[str, Any],
    config: Config,
) -> dict[int, int]:
    """The height of each candidate width for ``-h`` (given at the largest width): the largest's height after
    the size policy sets the aspect ratio, and each smaller width gets the height that keeps it. Raises a usage
    error naming every width whose height the size policy would change (the candidates would show different
    crops), with the widths that would keep it."""
    if height is None:
        return {}
    largest = chosen[-1]
    query = joined(spec_query(largest, height, fit, quality, fmt), image_query(image))
    target = rewrite_or_usage_error(uri, query, "", config)
    assert target is not None
    spec = target.variant.spec
    box_height = spec.height or height
    if box_height != height:
        info(f"note: h={height} snaps to {box_height} under the size policy; using {largest}x{box_height}")
    if spec.fit not in _BOX_FITS:
        return {width: max(1, round(box_height * width / largest)) for width in chosen}

    def kept(width: int) -> int | None:
        wanted = box_height * width / largest
        rounded = round(wanted)
        if rounded < 1 or abs(rounded - wanted) > 0.5:
            return None
        try:
            return rounded if apply_size_policy("h", rounded, config) == rounded else None
        except BadRequest:
            return None

    heights = {width: kept(width) for width in chosen}
    broken = [width for width, kept_height in heights.items() if kept_height is None]
    if broken:
        keeping = [w for w in config.sizing.sizes if w <= largest and kept(w) is not None] or [largest]
        reasons = ", ".join(f"w={w} needs h={round(box_height * w / largest)}" for w in broken)
        raise click.UsageError(
            f"one aspect ratio ({largest}x{box_height}) for every candidate: {reasons}, which the size policy "
            f"does not keep; widths that keep it: {', '.join(map(str, keeping))}"
        )
    return {width: kept_height for width, kept_height in heights.items() if kept_height is not None}


def _source_size(source: Path, config: Config) -> tuple[int, int]:
    try:
        return bucket_ops.displayed_size(source.read_bytes(), config)
    except bucket_ops.BucketError as err:
        raise click.ClickException(f"{source}: {err}") from None


def _output_size(spec: RenderSpec, source_size: tuple[int, int] | None) -> tuple[int, int] | None:
    """The pixel size the edge renders ``spec`` at: exactly, from the original's displayed size (after
    ``rotate``); without it, the w x h box of a fit that fills it; else ``None``."""
    if source_size is not None:
        src_w, src_h = source_size
        if spec.rotate in (90, 270):
            src_w, src_h = src_h, src_w
        return plan_for(src_w, src_h, spec).size
    if spec.width is not None and spec.height is not None and spec.fit in _BOX_FITS:
        return spec.width, spec.height
    return None
