"""``imgedge serve`` and ``check``: the local edge (the emulator with its demo page), and end-to-end checks of a
live deployment or of the emulator."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from edge.paths import encode_path
from imgedge import bucket as bucket_ops
from imgedge import check as check_ops
from imgedge.cli.options import config_option, info, load_cli_config, s3_errors, signing_key, signing_key_options
from imgedge.emulator import Emulator, EmulatorError, Settings


@click.command()
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
    emulator = Emulator(settings, log=info)
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
        info("imgedge local edge stopped")


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops ``serve`` as Ctrl+C does (cleanly: connections closed, embedded S3 stopped)."""
    raise KeyboardInterrupt


@click.command()
@click.argument("base_url")
@click.option(
    "--path",
    help="An original's path to render from, e.g. /photos/cat.jpg (without it, render checks skip).",
)
@click.option("-w", "--width", type=int, default=300, show_default=True, help="A width the size policy keeps.")
@click.option("--waf-probe", help="A path and query your web ACL blocks (e.g. '/x.jpg?w=<script>'); expected 403.")
@click.option("--signing-key", "use_signing", is_flag=True, help="Check signing with the key of the options below.")
@click.option("--bucket", help="The originals bucket: warn when its versioning is off (needs AWS credentials).")
@signing_key_options
@config_option
def check(
    base_url: str,
    path: str | None,
    width: int,
    waf_probe: str | None,
    bucket: str | None,
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
    config = load_cli_config(config_path)
    key = signing_key(key_file, secret_id, secret_region) if (use_signing or key_file or secret_id) else None
    try:
        results = check_ops.run_checks(base_url, path, width=width, signing_key=key, config=config, waf_probe=waf_probe)
    except OSError as err:
        raise click.ClickException(f"cannot reach {base_url}: {err}") from None
    if bucket is not None:
        with s3_errors(bucket):
            status = bucket_ops.s3_client().get_bucket_versioning(Bucket=bucket).get("Status")
        results.append(check_ops.versioning_check(bucket, status))
    table = Table(title=f"imgedge check {base_url}", title_justify="left")
    for column in ("check", "result", "detail"):
        table.add_column(column)
    styles = {
        check_ops.Outcome.PASS: "green",
        check_ops.Outcome.FAIL: "bold red",
        check_ops.Outcome.SKIP: "yellow",
        check_ops.Outcome.WARN: "bold yellow",
    }
    for result in results:
        table.add_row(result.name, f"[{styles[result.outcome]}]{result.outcome.value}[/]", result.detail)
    Console(highlight=False, width=160).print(table)
    failed = [result.name for result in results if result.outcome is check_ops.Outcome.FAIL]
    if failed:
        raise click.ClickException(f"{len(failed)} check(s) failed: {', '.join(failed)}")
