"""``imgedge upload``, ``ls``, ``rm``, ``purge`` (with ``--replay-failed``) and ``warm``: the originals and variants of
a bucket, with the caller's AWS credentials."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import ClientError
from rich.console import Console
from rich.table import Table

from edge import purge as purge_ops
from edge.config import Config
from edge.errors import ConfigError, EdgeError
from edge.keys import namespace_warning
from edge.paths import OriginalPath
from edge.ports import Renderer
from edge.render import Limits, render
from edge.rewrite import check_warm_renditions
from edge.store import S3Store, face_locator_for
from edge.warming import WarmReport, missing_targets, originals_to_warm, warm_original, warm_targets
from imgedge import bucket as bucket_ops
from imgedge import replay as replay_ops
from imgedge import targets as targets_ops
from imgedge.cli.options import (
    bucket_options,
    bucket_targets,
    config_option,
    info,
    load_cli_config,
    original_key,
    progress_bar,
    s3_errors,
)


@click.command()
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
    config = load_cli_config(config_path)
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
                info(warning)
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
    for target in bucket_targets(list(by_key), bucket, region, config):
        client = bucket_ops.s3_client(endpoint_url, target.region)
        with s3_errors(target.bucket), progress_bar() as progress:
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
        info("note: an overwritten original keeps its old variants until `imgedge purge KEY...` deletes them")
    if refused:
        raise click.ClickException("already exist (use --force to overwrite): " + ", ".join(refused))


@click.command("ls")
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
    config = load_cli_config(config_path)
    try:
        places = targets_ops.listing_targets(original_key(prefix), bucket, region, config)
    except targets_ops.MissingBucket as err:
        raise click.UsageError(str(err)) from None
    originals = []
    for place in places:
        client = bucket_ops.s3_client(endpoint_url, place.region)
        with s3_errors(place.bucket):
            found = bucket_ops.originals_with_variants(client, place.bucket, place.keys[0], config)
        originals += [o for o in found if not (place.exclude_origins and targets_ops.owned_elsewhere(o.key, config))]
    warning = next((w for w in (namespace_warning(o.key, config) for o in originals) if w is not None), None)
    if warning is not None:
        info(warning)
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
    with s3_errors(bucket):
        try:
            result = purge_ops.purge(
                client, bucket, originals, config,
                cloudfront=cloudfront, distribution_id=distribution_id, dry_run=dry_run,
            )  # fmt: skip
        except purge_ops.InvalidationFailed as err:
            raise click.ClickException(f"{err}: run the same command again") from None
    for key in result.unproven:
        info(f"kept s3://{bucket}/{key}: decodes as a variant key but is not a variant (no variant metadata)")
    if dry_run:
        for key in result.variants:
            click.echo(f"would delete s3://{bucket}/{key}")
        if distribution_id and result.paths:
            info(f"would invalidate {len(result.paths)} paths in {distribution_id}")
        info(f"{len(result.variants)} variants of {len(originals)} originals found")
        return
    for path in result.paths if result.invalidations else []:
        click.echo(f"invalidated {path}")
    if result.invalidations:
        click.echo(f"invalidation {', '.join(result.invalidations)} of {distribution_id}: {len(result.paths)} paths")
    failed = {error.partition(":")[0] for error in result.errors}
    for key in result.variants:
        if key not in failed:
            click.echo(f"deleted s3://{bucket}/{key}")
    info(f"{len(result.variants) - len(failed)} variants of {len(originals)} originals deleted")
    if not distribution_id and result.variants:
        info("CloudFront was not touched: pass --distribution-id to invalidate these paths, or CloudFront keeps"
              " serving its cached copies until they expire")  # fmt: skip
    if result.errors:
        raise click.ClickException(
            "could not delete (already invalidated; run again):\n  " + "\n  ".join(result.errors)
        )


@click.command()
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
    config = load_cli_config(config_path)
    if keep_variants and (distribution_id or purge_flag):
        raise click.UsageError("--keep-variants purges nothing: drop --distribution-id/--purge")
    with_variants = not keep_variants
    wanted = [original_key(key) for key in keys]
    for key in wanted:
        try:
            bucket_ops.check_original_key(key, config)
        except bucket_ops.BucketError as err:
            raise click.UsageError(f"{err} (variants are deleted with `imgedge purge ORIGINAL`)") from None
    problems: list[str] = []
    for target in bucket_targets(wanted, bucket, region, config):
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
    with s3_errors(bucket):
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


@click.command()
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
    in that queue (its on-failure destination), and warm again with warm_renditions, deleting each message once
    that succeeded.
    """
    config = load_cli_config(config_path)
    if queue_url is not None:
        if keys or dry_run:
            raise click.UsageError("--replay-failed takes no KEY and no --dry-run")
        _replay(queue_url, config, distribution_id, endpoint_url)
        return
    if not keys:
        raise click.UsageError("give the KEYs of originals to purge, or --replay-failed QUEUE_URL")
    for target in bucket_targets([original_key(key) for key in keys], bucket, region, config):
        client = bucket_ops.s3_client(endpoint_url, target.region)
        _purge(client, target.bucket, target.keys, config, distribution_id, dry_run)


def _replay(queue_url: str, config: Config, distribution_id: str | None, endpoint_url: str | None) -> None:
    if not distribution_id:
        raise click.UsageError("--replay-failed needs --distribution-id (the stack output DistributionId)")
    sqs = replay_ops.sqs_client(queue_url, endpoint_url)
    cloudfront = bucket_ops.cloudfront_client()

    renderer = _renderer(config) if config.warming.warm_renditions else None

    def purge_event(event: dict[str, Any]) -> list[str]:
        errors: list[str] = []
        changes = purge_ops.object_changes(event)

        def client_for(bucket: str) -> Any:
            regions = {change.region for change in changes if change.bucket == bucket}
            return bucket_ops.s3_client(endpoint_url, regions.pop() if len(regions) == 1 else None)

        for bucket, originals in purge_ops.originals_to_purge(changes, config).items():
            result = purge_ops.purge(
                client_for(bucket), bucket, originals, config,
                cloudfront=cloudfront, distribution_id=distribution_id, invalidate_originals=True,
            )  # fmt: skip
            for key in result.variants:
                click.echo(f"deleted s3://{bucket}/{key}")
            errors += result.errors
        # With warm_renditions the function warms after the purge: so does its replay.
        warm_with = renderer
        if warm_with is None:
            return errors
        for bucket, originals in originals_to_warm(changes, config).items():
            store = _store(client_for(bucket), bucket, config)
            for original in originals:
                report = warm_original(store, original, config, warm_with)
                _print_report(report)
                errors += [f"{bucket}/{failure}" for failure in report.failed]
        return errors

    with s3_errors(queue_url):
        report = replay_ops.replay_failed(sqs, queue_url, purge_event)
    info(f"{len(report.replayed)} failed events replayed and removed from the queue")
    if report.failed:
        raise click.ClickException("still failing (left in the queue):\n  " + "\n  ".join(report.failed))


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--rendition",
    "renditions",
    multiple=True,
    metavar="QUERY",
    help="Warm these image parameters (w=320, w=640&format=webp, preset=thumb) instead of the configuration's "
    "warm_renditions; repeatable.",
)
@click.option("--dry-run", is_flag=True, help="Only list the variant keys that would be rendered (nothing is read "
              "or written but HEADs of the variant keys).")  # fmt: skip
@bucket_options
@config_option
def warm(
    paths: tuple[str, ...],
    renditions: tuple[str, ...],
    dry_run: bool,
    bucket: str | None,
    endpoint_url: str | None,
    region: str | None,
    config_path: Path | None,
) -> None:
    """Render the warm variants of originals already in the bucket, as the purge-on-change function does when an
    original arrives: the same variant keys, the same render and the same create-only write, so a variant already
    stored is left alone (and a run can be repeated). PATH is an original's key (photos/cat.jpg) or a prefix
    (photos/, or "" for the whole bucket).

    The variants are those of warm_renditions in the configuration (--config: use the deployed one, whose
    tag_variants and memory_mb the stored variants and the render budget follow), or of --rendition.
    """
    config = load_cli_config(config_path)
    if renditions:
        try:
            config = config.replace(warm_renditions=renditions)
            check_warm_renditions(config)
        except ConfigError as err:
            raise click.UsageError(str(err).replace("configuration key 'warm_renditions'", "--rendition")) from None
    if not config.warming.warm_renditions:
        raise click.UsageError("nothing to warm: the configuration has no warm_renditions (or give --rendition QUERY)")
    places = _originals_to_warm([original_key(path) for path in paths], bucket, region, config, endpoint_url)
    renderer = _renderer(config)
    reports: list[WarmReport] = []
    planned = 0
    for (name, place_region), originals in places.items():
        store = _store(bucket_ops.s3_client(endpoint_url, place_region), name, config)
        with s3_errors(name), progress_bar() as progress:
            task = progress.add_task("checking" if dry_run else "warming", total=len(originals))
            for original in originals:
                if dry_run:
                    planned += _plan(store, original, config, reports)
                else:
                    reports.append(warm_original(store, original, config, renderer))
                    _print_report(reports[-1])
                progress.advance(task)
    _summarise(reports, sum(len(originals) for originals in places.values()), planned, dry_run)


def _store(client: Any, bucket: str, config: Config) -> S3Store:
    """The bucket as origin-response's store (its byte limit, and the variant tag when ``tag_variants``)."""
    return S3Store(
        client, bucket, max_source_bytes=config.limits.max_source_bytes, tag_variants=config.storage.tag_variants
    )


def _renderer(config: Config) -> Renderer:
    """origin-response's renderer: ``edge.render.render`` within ``config``'s limits, faces when enabled."""
    return partial(render, limits=Limits.from_config(config), face_locator=face_locator_for(config))


def _originals_to_warm(
    paths: list[str], bucket: str | None, region: str | None, config: Config, endpoint_url: str | None
) -> dict[tuple[str, str | None], list[OriginalPath]]:
    """Per (bucket, region), the originals PATHs name: a PATH that is an original's key as itself (it need not exist:
    its warming then reports it missing), any other PATH as a prefix, listed as ``imgedge ls`` lists it."""
    found: dict[tuple[str, str | None], dict[str, OriginalPath]] = {}
    keys: list[str] = []
    for path in paths:
        try:
            bucket_ops.check_original_key(path, config)
        except bucket_ops.BucketError:
            try:
                places = targets_ops.listing_targets(path, bucket, region, config)
            except targets_ops.MissingBucket as err:
                raise click.UsageError(str(err)) from None
            for place in places:
                with s3_errors(place.bucket):
                    listed = bucket_ops.list_originals(
                        bucket_ops.s3_client(endpoint_url, place.region), place.bucket, place.keys[0], config
                    )
                group = found.setdefault((place.bucket, place.region), {})
                for item in listed:
                    if not (place.exclude_origins and targets_ops.owned_elsewhere(item.key, config)):
                        group[item.key] = bucket_ops.check_original_key(item.key, config)
            if not any(found.get((place.bucket, place.region)) for place in places):
                info(f"no originals under {path!r}")
        else:
            keys.append(path)
    for target in bucket_targets(keys, bucket, region, config) if keys else []:
        group = found.setdefault((target.bucket, target.region), {})
        for key in target.keys:
            group[key] = bucket_ops.check_original_key(key, config)
    return {place: list(originals.values()) for place, originals in found.items() if originals}


def _plan(store: S3Store, original: OriginalPath, config: Config, reports: list[WarmReport]) -> int:
    """``--dry-run`` for one original: print the variant keys the bucket lacks; returns how many."""
    report = WarmReport(store.bucket, original.key)
    try:
        missing, present = missing_targets(store, warm_targets(original, config))
    except EdgeError as err:
        report.failed.append(f"{original.key}: {err.reason}")
        reports.append(report)
        return 0
    for target in missing:
        click.echo(f"would render s3://{store.bucket}/{target.key}")
    report.skipped = [target.key for target in present]
    reports.append(report)
    return len(missing)


def _print_report(report: WarmReport) -> None:
    for key in report.written:
        click.echo(f"warmed s3://{report.bucket}/{key}")
    if report.gone:
        info(f"no such original: s3://{report.bucket}/{report.original}")


def _summarise(reports: list[WarmReport], originals: int, planned: int, dry_run: bool) -> None:
    skipped = sum(len(report.skipped) for report in reports)
    failed = [f"s3://{report.bucket}/{failure}" for report in reports for failure in report.failed]
    missing = [f"s3://{report.bucket}/{report.original}" for report in reports if report.gone]
    if dry_run:
        info(f"{planned} variants of {originals} originals would be rendered; {skipped} already stored")
    else:
        written = sum(len(report.written) for report in reports)
        out = sum(report.bytes_out for report in reports)
        info(f"{written} variants of {originals} originals warmed ({out:,} bytes); {skipped} already stored")
    problems = failed + [f"{key}: no such original" for key in missing]
    if problems:
        raise click.ClickException("could not warm (run again once fixed):\n  " + "\n  ".join(problems))
