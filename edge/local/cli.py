"""The ``imgedge`` command: run the edge locally, debug URLs, and manage the bucket's originals and variants.

Exit codes: 0 success, 1 failure (S3 or CloudFront error, missing credentials or bucket, file not an image, key
exists, image cannot be rendered), 2 usage error (bad option or parameter, which includes an image parameter the
viewer-request function would answer 400). ``-h`` is the height option, so help is ``--help`` only.
"""

from __future__ import annotations

import html
import json
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import click
from botocore.exceptions import ClientError
from click.core import ParameterSource
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from edge import __version__
from edge import purge as purge_ops
from edge.config import Config, load_config
from edge.errors import BadRequest, ConfigError, EdgeError
from edge.keys import decode_key, namespace_warning, variant_s3_key, viewer_query
from edge.local import bucket as bucket_ops
from edge.local import check as check_ops
from edge.local import replay as replay_ops
from edge.local import signing_keys
from edge.local import targets as targets_ops
from edge.local.emulator import Emulator, EmulatorError, Settings
from edge.marker import MARKER_HEADER
from edge.options import Fit, Gravity, OutputFormat, RenderSpec
from edge.paths import encode_path
from edge.render import Limits, render
from edge.render.geometry import target_box
from edge.rewrite import Rewrite, rewrite
from edge.signing import signed_query
from edge.sizes import apply_size_policy, check_spec

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["--help"], "max_content_width": 110}
FORMAT_CHOICES = ("auto", "avif", "webp", "jpeg", "jpg", "png")
#: What Chromium sends for <img> requests (the default of ``--accept`` is a plain HTTP client's ``*/*``).
BROWSER_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

_stderr = Console(stderr=True, highlight=False)


def _info(message: str) -> None:
    click.echo(message, err=True)


# --- shared options -----------------------------------------------------------------------------------------


def _compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Configuration JSON (default: $IMGEDGE_CONFIG, else the bundled imgedge-config.json, else the defaults).",
)

spec_options = _compose(
    click.option("-w", "--width", type=int, help="Width in pixels (snapped to the allowed sizes)."),
    click.option("-h", "--height", type=int, help="Height in pixels (snapped to the allowed sizes)."),
    click.option("--fit", type=click.Choice([fit.value for fit in Fit]), help="How w x h is filled."),
    click.option("-q", "--quality", type=int, help="Quality 1-100 (snapped to the allowed qualities)."),
    click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="auto", show_default=True),
    click.option(
        "--accept",
        default="*/*",
        show_default=True,
        help=f"The Accept header to negotiate 'auto' with; 'browser' is Chromium's ({BROWSER_ACCEPT}).",
    ),
)

#: The URL parameters beyond w, h, fit, q and format, as options of ``url``, ``srcset`` and ``render``.
IMAGE_OPTION_NAMES = (
    "dpr", "gravity", "focus", "background", "grayscale", "blur", "sharpen", "rotate", "flip", "flop", "preset",
)  # fmt: skip
image_options = _compose(
    click.option("--dpr", help="Device pixel ratio 1-4 (snapped to 1, 1.5, 2, 3, 4); multiplies w and h."),
    click.option(
        "--gravity",
        type=click.Choice([g.value for g in Gravity if g is not Gravity.FOCUS]),
        help="Crop position of fit=cover.",
    ),
    click.option("--focus", help="Focal point of fit=cover: x,y fractions 0-1 (snapped to 0.05)."),
    click.option("--background", help="Background colour rgb or rrggbb (one of the configured backgrounds)."),
    click.option("--grayscale", is_flag=True, default=None, help="Grayscale."),
    click.option("--blur", type=int, help="Blur radius in output px (snapped to 1, 2, 5, 10, 20)."),
    click.option("--sharpen", is_flag=True, default=None, help="Sharpen."),
    click.option("--rotate", type=click.Choice(["0", "90", "180", "270"]), help="Rotate clockwise."),
    click.option("--flip", is_flag=True, default=None, help="Mirror top to bottom."),
    click.option("--flop", is_flag=True, default=None, help="Mirror left to right."),
    click.option("--preset", help="A configured preset."),
)


def _image_query(image: dict[str, Any]) -> str:
    """The query parameters of the ``image_options`` that were given."""
    params: list[tuple[str, str]] = []
    for name in IMAGE_OPTION_NAMES:
        value = image.get(name)
        if value is None:
            continue
        params.append((name, "1" if value is True else str(value)))
    return urlencode(params)


def _joined(*queries: str) -> str:
    return "&".join(query for query in queries if query)


bucket_options = _compose(
    click.option(
        "--bucket",
        envvar="IMGEDGE_BUCKET",
        help="The bucket [env: IMGEDGE_BUCKET]; keys under a configured `origins` prefix use that origin's "
        "bucket, so it may be omitted when every key has one.",
    ),
    click.option(
        "--endpoint-url", help="An S3-compatible endpoint (MinIO, LocalStack...); default AWS or $AWS_ENDPOINT_URL."
    ),
    click.option("--region", help="The bucket's region (default: the AWS configuration's)."),
)


signing_key_options = _compose(
    click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="File with the signing key (one key, or the secret's JSON {\"keys\": [...]})."),
    click.option("--secret-id", help="Read the key from this Secrets Manager secret (your AWS credentials)."),
    click.option("--secret-region", default="us-east-1", show_default=True, help="The secret's region."),
)  # fmt: skip
expiry_option = click.option(
    "--expires-in", type=click.IntRange(min=1), metavar="SECONDS",
    help="Signed URLs expire this many seconds from now (exp=..., covered by the signature).",
)  # fmt: skip


def _expiry(expires_in: int | None) -> int | None:
    """The ``exp`` value (Unix seconds) for ``--expires-in``, or ``None`` when the URLs do not expire."""
    return None if expires_in is None else int(time.time()) + expires_in


def _signing_key(key_file: Path | None, secret_id: str | None, secret_region: str) -> bytes:
    try:
        return signing_keys.signing_key(key_file, secret_id, secret_region)
    except signing_keys.SigningKeyError as err:
        raise click.UsageError(str(err)) from None


def _config(path: Path | None) -> Config:
    """The configuration from ``path``, else as the functions load it."""
    try:
        if path is not None:
            return Config.from_mapping(json.loads(path.read_text(encoding="utf-8")))
        load_config.cache_clear()
        return load_config()
    except (ConfigError, ValueError, OSError) as err:
        raise click.ClickException(f"configuration: {err}") from None


def _query(width: int | None, height: int | None, fit: str | None, quality: int | None, fmt: str) -> str:
    params: list[tuple[str, str]] = []
    for name, value in (("w", width), ("h", height), ("fit", fit), ("q", quality)):
        if value is not None:
            params.append((name, str(value)))
    if fmt != "auto":
        params.append(("format", fmt))
    return urlencode(params)


def _accept(value: str) -> str:
    return BROWSER_ACCEPT if value == "browser" else value


def _rewrite(uri: str, query: str, accept: str, config: Config) -> Rewrite | None:
    try:
        return rewrite(uri, query, accept, config)
    except BadRequest as err:
        raise click.UsageError(f"viewer-request would answer 400: {err.reason}") from None


def _targets(keys: list[str], bucket: str | None, region: str | None, config: Config) -> list[targets_ops.Target]:
    """The keys grouped by bucket (a configured origin's, else ``--bucket``); a usage error when one has none."""
    try:
        return targets_ops.targets(keys, bucket, region, config)
    except targets_ops.MissingBucket as err:
        raise click.UsageError(str(err)) from None


@contextmanager
def _s3_errors(bucket: str) -> Iterator[None]:
    try:
        with bucket_ops.friendly_errors(bucket):
            yield
    except bucket_ops.BucketError as err:
        raise click.ClickException(str(err)) from None


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_stderr,
        transient=True,
        disable=not _stderr.is_terminal,
    )


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops ``serve`` as Ctrl+C does (cleanly: connections closed, embedded S3 stopped)."""
    raise KeyboardInterrupt


def _key(text: str) -> str:
    return text[1:] if text.startswith("/") else text


# --- commands -----------------------------------------------------------------------------------------------


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="imgedge")
def cli() -> None:
    """imgedge: on-the-fly image resizing at the CloudFront edge.

    Run the whole request path locally (serve), see what a URL maps to (url, srcset, render), and manage the
    originals and variants of a bucket with your own AWS credentials (upload, ls, rm, purge).
    """


@cli.command()
@click.option(
    "--originals",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Seed the bucket with this folder's images (default: a generated sample set).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--s3-endpoint", "--endpoint-url", "s3_endpoint", help="Use this S3-compatible endpoint (needs --bucket)."
)
@click.option("--bucket", help="Use this existing bucket instead of the embedded S3 (real S3 without --s3-endpoint).")
@click.option("--region", default="us-east-1", show_default=True, help="Region of the embedded S3.")
@config_option
@click.option("-v", "--verbose", is_flag=True, help="Also print each handler's JSON log line.")
def serve(
    originals: Path | None,
    port: int,
    host: str,
    s3_endpoint: str | None,
    bucket: str | None,
    region: str,
    config_path: Path | None,
    verbose: bool,
) -> None:
    """Run CloudFront + both edge functions + S3 locally, with the demo page at /."""
    if s3_endpoint and not bucket:
        raise click.UsageError("--s3-endpoint needs --bucket (the embedded S3 is used without either)")
    settings = Settings(
        host=host,
        port=port,
        originals=originals,
        bucket=bucket,
        s3_endpoint=s3_endpoint,
        region=region,
        config_path=config_path,
        verbose=verbose,
    )
    emulator = Emulator(settings, log=_info)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        emulator.start()
    except EmulatorError as err:
        raise click.ClickException(str(err)) from None
    try:
        s3 = (
            f"embedded S3 (moto) at {emulator.s3_endpoint}"
            if bucket is None
            else (f"S3 endpoint {s3_endpoint}" if s3_endpoint else "AWS S3")
        )
        click.echo(f"imgedge local edge: {emulator.url}")
        click.echo(f"  S3: {s3}, bucket {emulator.bucket}, {len(emulator.seeded)} originals seeded")
        example = next(iter(emulator.seeded), None)
        if example:
            click.echo(f"  try: curl -sI '{emulator.url}{encode_path(example)[1:]}?w=300' -H 'Accept: image/avif'")
        click.echo("  Ctrl+C stops it.", nl=True)
        sys.stdout.flush()
        emulator.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        _info("imgedge local edge stopped")


@cli.command("render")
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
    config = _config(config_path)
    named = _format_of_name(out)
    accept_given = click.get_current_context().get_parameter_source("accept") is not ParameterSource.DEFAULT
    asked = _joined(_query(width, height, fit, quality, fmt), _image_query(image))
    if asked and named is not None and fmt == "auto" and not accept_given and "format" in config.allowed_parameters:
        fmt = named.value  # the output name chooses the format
    query = _joined(_query(width, height, fit, quality, fmt), _image_query(image))
    target = _rewrite(encode_path(src.name), query, _accept(accept), config)
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
    _info(
        f"{src} -> {out}: {rendered.format.value} {rendered.width}x{rendered.height}, {len(rendered.body):,} bytes "
        f"(variant key {target.uri}; {stages})"
    )
    budget = (len(rendered.body) + 2) // 3 * 4
    if budget > config.max_response_bytes:
        _info(
            f"note: over the {config.max_response_bytes:,}-byte inline budget once base64-encoded: origin-response "
            "would store it and redirect the viewer"
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


def _split_path(path: str) -> tuple[str, str]:
    """``(uri, query)`` of a PATH argument: an S3 key (``photos/my cat.jpg``), or a percent-encoded URI or URL
    (``/photos/my%20cat.jpg?w=300``, ``https://d1.cloudfront.net/photos/cat.jpg``)."""
    if "://" in path or path.startswith("/"):
        parts = urlsplit(path)
        return parts.path or "/", parts.query
    return encode_path(path), ""


@cli.command()
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
    config = _config(config_path)
    uri, query = _split_path(path)
    query = _joined(query, _query(width, height, fit, quality, fmt), _image_query(image))
    target = _rewrite(uri, query, _accept(accept), config)
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
    if extras:
        click.echo(f"options      {', '.join(extras)}")
    click.echo(f"viewer URL   {viewer_url}")


@cli.command()
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
    config = _config(config_path)
    uri, query = _split_path(path)
    query = _joined(query, _query(width, height, fit, quality, fmt), _image_query(image))
    if _rewrite(uri, query, _accept(accept), config) is None:
        raise click.UsageError("nothing to sign: give image parameters (-w, -h, ...)")
    key = _signing_key(key_file, secret_id, secret_region)
    signed = signed_query(uri, query, key, config, expires=_expiry(expires_in))
    click.echo(f"{base_url.rstrip('/')}{uri}?{signed}")


#: ``imgedge srcset``'s default widths: phone, tablet, laptop, desktop and full-HD sizes that the default size
#: policy keeps exactly (each is one of ``edge.config.DEFAULT_SIZES``), so no candidate is silently snapped.
DEFAULT_SRCSET_WIDTHS = "320,640,1024,1280,1920"
#: Fits whose output is the requested w x h box itself (when the original is large enough).
_BOX_FITS = (Fit.COVER, Fit.FILL, Fit.CONTAIN)


@cli.command()
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
    config = _config(config_path)
    key = _signing_key(key_file, secret_id, secret_region) if sign else None
    expires = _expiry(expires_in)
    uri, _ = _split_path(path)
    chosen = _srcset_widths(widths, config)
    source_size = _source_size(source, config) if source is not None else None
    heights = _srcset_heights(uri, chosen, height, fit, quality, fmt, image, config)
    candidates: list[tuple[int, str, tuple[int, int] | None]] = []
    for width in chosen:
        query = _joined(_query(width, heights.get(width), fit, quality, fmt), _image_query(image))
        target = _rewrite(uri, query, "", config)  # the same validation as the edge (path, every parameter)
        assert target is not None  # a width is always an image parameter
        spec = target.variant.spec
        size = _output_size(spec, source_size)
        descriptor = size[0] if size is not None else spec.width or width
        if candidates and size is not None and size == candidates[-1][2]:
            _info(f"note: w={width} gives the same {size[0]}x{size[1]} px as the previous candidate (the original "
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
        _info("note: no width/height attributes: give --source FILE (or -h with a crop) to know the aspect ratio")
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
            _info(f"note: w={width} snaps to {snapped} under the size policy; using {snapped}w")
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
    query = _joined(_query(largest, height, fit, quality, fmt), _image_query(image))
    target = _rewrite(uri, query, "", config)
    assert target is not None
    spec = target.variant.spec
    box_height = spec.height or height
    if box_height != height:
        _info(f"note: h={height} snaps to {box_height} under the size policy; using {largest}x{box_height}")
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
        keeping = [w for w in config.sizes if w <= largest and kept(w) is not None] or [largest]
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
        return target_box(src_w, src_h, spec).size
    if spec.width is not None and spec.height is not None and spec.fit in _BOX_FITS:
        return spec.width, spec.height
    return None


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--prefix", default="", help="Folder to upload into (photos -> photos/cat.jpg).")
@click.option("--force", is_flag=True, help="Overwrite existing objects (otherwise they are refused).")
@bucket_options
@config_option
def upload(
    files: tuple[Path, ...],
    prefix: str,
    force: bool,
    bucket: str | None,
    endpoint_url: str | None,
    region: str | None,
    config_path: Path | None,
) -> None:
    """Upload images as originals, with their real content types; never overwrites without --force."""
    config = _config(config_path)
    folder = prefix.strip("/")
    folder = f"{folder}/" if folder else ""
    planned: list[tuple[Path, str, bytes, str]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for file in files:
        key = folder + file.name
        try:
            bucket_ops.check_original_key(key, config)
            warning = namespace_warning(key, config)
            if warning is not None:
                _info(warning)
            body = file.read_bytes()
            content_type = bucket_ops.sniff_content_type(body, config)
        except bucket_ops.BucketError as err:
            problems.append(f"{file}: {err}")
            continue
        if key in seen:
            problems.append(f"{file}: another file also uploads to {key!r}")
            continue
        seen.add(key)
        planned.append((file, key, body, content_type))
    if problems:
        raise click.ClickException("nothing uploaded:\n  " + "\n  ".join(problems))
    uploaded: list[str] = []
    refused: list[str] = []
    by_key = {key: (file, body, content_type) for file, key, body, content_type in planned}
    for target in _targets(list(by_key), bucket, region, config):
        client = bucket_ops.s3_client(endpoint_url, target.region)
        with _s3_errors(target.bucket), _progress() as progress:
            task = progress.add_task("uploading", total=len(target.keys))
            for key in target.keys:
                file, body, content_type = by_key[key]
                if bucket_ops.upload(client, target.bucket, key, body, content_type, force=force):
                    uploaded.append(key)
                    click.echo(f"uploaded s3://{target.bucket}/{key} ({content_type}, {len(body):,} bytes) from {file}")
                else:
                    refused.append(f"s3://{target.bucket}/{key}")
                progress.advance(task)
    if force and uploaded:
        _info("note: an overwritten original keeps its old variants until `imgedge purge KEY...` deletes them")
    if refused:
        raise click.ClickException("already exist (use --force to overwrite): " + ", ".join(refused))


@cli.command("ls")
@click.argument("prefix", default="")
@bucket_options
@config_option
def ls_command(
    prefix: str, bucket: str | None, endpoint_url: str | None, region: str | None, config_path: Path | None
) -> None:
    """List originals (under PREFIX) with how many variants each has stored.

    On a terminal this is a table; otherwise one tab-separated line per original: key, bytes, variants,
    last-modified (ISO 8601).
    """
    config = _config(config_path)
    try:
        places = targets_ops.listing_targets(_key(prefix), bucket, region, config)
    except targets_ops.MissingBucket as err:
        raise click.UsageError(str(err)) from None
    originals = []
    for place in places:
        client = bucket_ops.s3_client(endpoint_url, place.region)
        with _s3_errors(place.bucket):
            found = bucket_ops.originals_with_variants(client, place.bucket, place.keys[0], config)
        originals += [o for o in found if not (place.exclude_origins and targets_ops.owned_elsewhere(o.key, config))]
    warning = next((w for w in (namespace_warning(o.key, config) for o in originals) if w is not None), None)
    if warning is not None:
        _info(warning)
    console = Console(highlight=False)
    if not console.is_terminal:
        for item in originals:
            modified = item.last_modified.isoformat() if item.last_modified else ""
            click.echo(f"{item.key}\t{item.size}\t{item.variants}\t{modified}")
        return
    title = ", ".join(f"s3://{place.bucket}/{place.keys[0]}" for place in places)
    table = Table("original", "bytes", "variants", "modified", title=title)
    for item in originals:
        modified = item.last_modified.strftime("%Y-%m-%d %H:%M") if item.last_modified else ""
        table.add_row(item.key, f"{item.size:,}", str(item.variants), modified)
    console.print(table)
    console.print(f"{len(originals)} originals, {sum(i.variants for i in originals)} variants")


def _purge(
    client: Any, bucket: str, keys: list[str], config: Config, distribution_id: str | None, dry_run: bool
) -> None:
    """Purge the variants of ``keys`` in ``bucket`` (``edge.purge.purge``: find, prove, invalidate, then delete),
    printing what was (or would be) invalidated and deleted."""
    originals = []
    for key in keys:
        try:
            originals.append(bucket_ops.check_original_key(key, config))
        except bucket_ops.BucketError as err:
            raise click.UsageError(str(err)) from None
    cloudfront = bucket_ops.cloudfront_client() if distribution_id and not dry_run else None
    with _s3_errors(bucket):
        try:
            result = purge_ops.purge(
                client, bucket, originals, config,
                cloudfront=cloudfront, distribution_id=distribution_id, dry_run=dry_run,
            )  # fmt: skip
        except purge_ops.InvalidationFailed as err:
            raise click.ClickException(f"{err}: run the same command again") from None
    for key in result.unproven:
        _info(f"kept s3://{bucket}/{key}: decodes as a variant key but is not a variant (no variant metadata)")
    if dry_run:
        for key in result.variants:
            click.echo(f"would delete s3://{bucket}/{key}")
        if distribution_id and result.paths:
            _info(f"would invalidate {len(result.paths)} paths in {distribution_id}")
        _info(f"{len(result.variants)} variants of {len(originals)} originals found")
        return
    for path in result.paths if result.invalidations else []:
        click.echo(f"invalidated {path}")
    if result.invalidations:
        click.echo(f"invalidation {', '.join(result.invalidations)} of {distribution_id}: {len(result.paths)} paths")
    failed = {error.partition(":")[0] for error in result.errors}
    for key in result.variants:
        if key not in failed:
            click.echo(f"deleted s3://{bucket}/{key}")
    _info(f"{len(result.variants) - len(failed)} variants of {len(originals)} originals deleted")
    if not distribution_id and result.variants:
        _info("CloudFront was not touched: pass --distribution-id to invalidate these paths, or CloudFront keeps"
              " serving its cached copies until they expire")  # fmt: skip
    if result.errors:
        raise click.ClickException(
            "could not delete (already invalidated; run again):\n  " + "\n  ".join(result.errors)
        )


@cli.command()
@click.argument("keys", nargs=-1, required=True)
@click.option("--keep-variants", is_flag=True, help="Keep the originals' stored variants (default: purge them).")
@click.option("--purge", "purge_flag", is_flag=True, hidden=True, help="Purge the variants (the default; kept).")
@click.option("--distribution-id", help="Invalidate the purged variants in this distribution.")
@bucket_options
@config_option
def rm(
    keys: tuple[str, ...],
    keep_variants: bool,
    purge_flag: bool,
    distribution_id: str | None,
    bucket: str | None,
    endpoint_url: str | None,
    region: str | None,
    config_path: Path | None,
) -> None:
    """Delete originals (each KEY must exist and be an original, not a variant) and purge their variants
    (``imgedge purge``), unless --keep-variants."""
    config = _config(config_path)
    if keep_variants and (distribution_id or purge_flag):
        raise click.UsageError("--keep-variants purges nothing: drop --distribution-id/--purge")
    with_variants = not keep_variants
    wanted = [_key(key) for key in keys]
    for key in wanted:
        try:
            bucket_ops.check_original_key(key, config)
        except bucket_ops.BucketError as err:
            raise click.UsageError(f"{err} (variants are deleted with `imgedge purge ORIGINAL`)") from None
    problems: list[str] = []
    for target in _targets(wanted, bucket, region, config):
        problems += _rm(endpoint_url, target, config, distribution_id, with_variants=with_variants)
    if problems:
        raise click.ClickException("\n  ".join(problems))


def _rm(
    endpoint_url: str | None,
    target: targets_ops.Target,
    config: Config,
    distribution_id: str | None,
    *,
    with_variants: bool,
) -> list[str]:
    """``imgedge rm`` in one bucket; returns the problems."""
    bucket, wanted = target.bucket, target.keys
    client = bucket_ops.s3_client(endpoint_url, target.region)
    missing = []
    with _s3_errors(bucket):
        present = []
        for key in wanted:
            try:
                client.head_object(Bucket=bucket, Key=key)
            except ClientError as err:
                if str(err.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                    missing.append(key)
                    continue
                raise
            present.append(key)
        errors = purge_ops.delete_keys(client, bucket, present) if present else []
    for key in present:
        if not any(error.startswith(f"{key}:") for error in errors):
            click.echo(f"deleted s3://{bucket}/{key}")
    if with_variants:
        _purge(client, bucket, wanted, config, distribution_id, dry_run=False)
    return [f"s3://{bucket}/{key}: no such key" for key in missing] + errors


@cli.command()
@click.argument("keys", nargs=-1)
@click.option("--distribution-id", help="Create a CloudFront invalidation of the deleted variants' paths.")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@click.option(
    "--replay-failed",
    "queue_url",
    metavar="QUEUE_URL",
    help="Re-run the purge-on-change events that failed (the stack output PurgeFailuresQueueUrl) instead of KEYs.",
)
@bucket_options
@config_option
def purge(
    keys: tuple[str, ...],
    distribution_id: str | None,
    dry_run: bool,
    queue_url: str | None,
    bucket: str | None,
    endpoint_url: str | None,
    region: str | None,
    config_path: Path | None,
) -> None:
    """Delete the stored variants of originals (KEY: the original's key; it need not exist any more).

    Variants are found under variant_prefix, or the bucket's top-level spec folders (300/, 640x480-contain/,
    ...), and deleted only when their metadata proves they are variants of KEY. With --distribution-id their
    exact paths (CloudFront's cache keys) are invalidated first, then they are deleted: a failed run can be
    run again. Without it CloudFront is not touched.

    With --replay-failed QUEUE_URL (and no KEY): purge again, as the purge-on-change function does, every event
    in that queue (its on-failure destination), deleting each message once its purge succeeded.
    """
    config = _config(config_path)
    if queue_url is not None:
        if keys or dry_run:
            raise click.UsageError("--replay-failed takes no KEY and no --dry-run")
        _replay(queue_url, config, distribution_id, endpoint_url)
        return
    if not keys:
        raise click.UsageError("give the KEYs of originals to purge, or --replay-failed QUEUE_URL")
    for target in _targets([_key(key) for key in keys], bucket, region, config):
        client = bucket_ops.s3_client(endpoint_url, target.region)
        _purge(client, target.bucket, target.keys, config, distribution_id, dry_run)


def _replay(queue_url: str, config: Config, distribution_id: str | None, endpoint_url: str | None) -> None:
    if not distribution_id:
        raise click.UsageError("--replay-failed needs --distribution-id (the stack output DistributionId)")
    sqs = replay_ops.sqs_client(queue_url, endpoint_url)
    cloudfront = bucket_ops.cloudfront_client()

    def purge_event(event: dict[str, Any]) -> list[str]:
        errors: list[str] = []
        changes = purge_ops.object_changes(event)
        for bucket, originals in purge_ops.originals_to_purge(changes, config).items():
            regions = {change.region for change in changes if change.bucket == bucket}
            client = bucket_ops.s3_client(endpoint_url, regions.pop() if len(regions) == 1 else None)
            result = purge_ops.purge(
                client, bucket, originals, config,
                cloudfront=cloudfront, distribution_id=distribution_id, invalidate_originals=True,
            )  # fmt: skip
            for key in result.variants:
                click.echo(f"deleted s3://{bucket}/{key}")
            errors += result.errors
        return errors

    with _s3_errors(queue_url):
        report = replay_ops.replay_failed(sqs, queue_url, purge_event)
    _info(f"{len(report.replayed)} failed events replayed and removed from the queue")
    if report.failed:
        raise click.ClickException("still failing (left in the queue):\n  " + "\n  ".join(report.failed))


@cli.command()
@click.argument("base_url")
@click.option(
    "--path",
    help="An original's path to render from, e.g. /photos/cat.jpg (without it, render checks skip).",
)
@click.option("-w", "--width", type=int, default=300, show_default=True, help="A width the size policy keeps.")
@click.option("--waf-probe", help="A path and query your web ACL blocks (e.g. '/x.jpg?w=<script>'); expected 403.")
@click.option("--signing-key", "use_signing", is_flag=True, help="Check signing with the key of the options below.")
@signing_key_options
@config_option
def check(
    base_url: str,
    path: str | None,
    width: int,
    waf_probe: str | None,
    use_signing: bool,
    key_file: Path | None,
    secret_id: str | None,
    secret_region: str,
    config_path: Path | None,
) -> None:
    """Check a live deployment end to end from outside (BASE_URL: https://dxxxx.cloudfront.net, or the emulator).

    Prints one row per check (pass / fail / skipped) and exits 1 if any check failed, so a deploy pipeline can gate
    on it. Signing is checked with --signing-key (or when --key-file or --secret-id is given).
    """
    config = _config(config_path)
    key = _signing_key(key_file, secret_id, secret_region) if (use_signing or key_file or secret_id) else None
    try:
        results = check_ops.run_checks(base_url, path, width=width, signing_key=key, config=config, waf_probe=waf_probe)
    except OSError as err:
        raise click.ClickException(f"cannot reach {base_url}: {err}") from None
    table = Table(title=f"imgedge check {base_url}", title_justify="left")
    for column in ("check", "result", "detail"):
        table.add_column(column)
    styles = {check_ops.Outcome.PASS: "green", check_ops.Outcome.FAIL: "bold red", check_ops.Outcome.SKIP: "yellow"}
    for result in results:
        table.add_row(result.name, f"[{styles[result.outcome]}]{result.outcome.value}[/]", result.detail)
    Console(highlight=False, width=160).print(table)
    failed = [result.name for result in results if result.outcome is check_ops.Outcome.FAIL]
    if failed:
        raise click.ClickException(f"{len(failed)} check(s) failed: {', '.join(failed)}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="imgedge")


if __name__ == "__main__":
    main()
