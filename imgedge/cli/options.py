"""What the ``imgedge`` commands share: option groups, the configuration, the viewer-request check of a URL,
S3 error reporting and progress bars. Each helper turns a library error into click's usage error (exit 2) or
failure (exit 1).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from edge.config import Config
from edge.errors import BadRequest, ConfigError
from edge.options import BLUR_RADII, FOCUS_STEP, ROTATIONS, Fit, FormatChoice, Gravity
from edge.rewrite import Rewrite, rewrite
from edge.sizes import DPRS
from imgedge import bucket as bucket_ops
from imgedge import signing_keys
from imgedge import targets as targets_ops
from imgedge.local_config import load_local_config

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["--help"], "max_content_width": 110}
FORMAT_CHOICES = (*(choice.value for choice in FormatChoice), "jpg")  # edge.query accepts jpg for jpeg
_DPRS = ", ".join(f"{float(dpr):g}" for dpr in DPRS)
#: What Chromium sends for <img> requests (the default of ``--accept`` is a plain HTTP client's ``*/*``).
BROWSER_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

stderr = Console(stderr=True, highlight=False)


def info(message: str) -> None:
    click.echo(message, err=True)


# --- shared options -----------------------------------------------------------------------------------------


def compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
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

spec_options = compose(
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

image_options = compose(
    click.option("--dpr", help=f"Device pixel ratio 1-4 (snapped to {_DPRS}); multiplies w and h."),
    click.option(
        "--gravity",
        type=click.Choice([g.value for g in Gravity if g is not Gravity.FOCUS]),
        help="Crop position of fit=cover.",
    ),
    click.option("--focus", help=f"Focal point of fit=cover: x,y fractions 0-1 (snapped to {FOCUS_STEP / 100:g})."),
    click.option("--background", help="Background colour rgb or rrggbb (one of the configured backgrounds)."),
    click.option("--grayscale", is_flag=True, default=None, help="Grayscale."),
    click.option("--blur", type=int, help=f"Blur radius in output px (snapped to {', '.join(map(str, BLUR_RADII))})."),
    click.option("--sharpen", is_flag=True, default=None, help="Sharpen."),
    click.option("--rotate", type=click.Choice([str(angle) for angle in ROTATIONS]), help="Rotate clockwise."),
    click.option("--flip", is_flag=True, default=None, help="Mirror top to bottom."),
    click.option("--flop", is_flag=True, default=None, help="Mirror left to right."),
    click.option(
        "--anim",
        type=click.Choice(["0", "1"]),
        help="0: an animated original's first frame only (WebP and AVIF outputs animate by default).",
    ),
    click.option("--preset", help="A configured preset."),
)


bucket_options = compose(
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


signing_key_options = compose(
    click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="File with the signing key (one key, or the secret's JSON {\"keys\": [...]})."),
    click.option("--secret-id", help="Read the key from this Secrets Manager secret (your AWS credentials)."),
    click.option("--secret-region", default="us-east-1", show_default=True, help="The secret's region."),
)  # fmt: skip
expiry_option = click.option(
    "--expires-in", type=click.IntRange(min=1), metavar="SECONDS",
    help="Signed URLs expire this many seconds from now (exp=..., covered by the signature).",
)  # fmt: skip


def expiry(expires_in: int | None) -> int | None:
    """The ``exp`` value (Unix seconds) for ``--expires-in``, or ``None`` when the URLs do not expire."""
    return None if expires_in is None else int(time.time()) + expires_in


def signing_key(key_file: Path | None, secret_id: str | None, secret_region: str) -> bytes:
    try:
        return signing_keys.signing_key(key_file, secret_id, secret_region)
    except signing_keys.SigningKeyError as err:
        raise click.UsageError(str(err)) from None


def load_cli_config(path: Path | None) -> Config:
    """``load_local_config(path)``, its errors a one-line usage failure."""
    try:
        return load_local_config(path)
    except (ConfigError, ValueError, OSError) as err:
        raise click.ClickException(f"configuration: {err}") from None


def accept_header(value: str) -> str:
    return BROWSER_ACCEPT if value == "browser" else value


def rewrite_or_usage_error(uri: str, query: str, accept: str, config: Config) -> Rewrite | None:
    try:
        return rewrite(uri, query, accept, config)
    except BadRequest as err:
        raise click.UsageError(f"viewer-request would answer 400: {err.reason}") from None


def bucket_targets(keys: list[str], bucket: str | None, region: str | None, config: Config) -> list[targets_ops.Target]:
    """The keys grouped by bucket (a configured origin's, else ``--bucket``); a usage error when one has none."""
    try:
        return targets_ops.targets(keys, bucket, region, config)
    except targets_ops.MissingBucket as err:
        raise click.UsageError(str(err)) from None


@contextmanager
def s3_errors(bucket: str) -> Iterator[None]:
    try:
        with bucket_ops.friendly_errors(bucket):
            yield
    except bucket_ops.BucketError as err:
        raise click.ClickException(str(err)) from None


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )


def original_key(text: str) -> str:
    return text[1:] if text.startswith("/") else text


# --- commands -----------------------------------------------------------------------------------------------
