"""Purging an original's stored variants: find them, delete them, invalidate them in CloudFront.

Shared by ``imgedge purge`` (``edge.local.cli``) and the purge-on-change function (``purge_on_change.handler``,
triggered by S3 event notifications). The S3 and CloudFront clients are passed in (boto3 clients in both
callers), so this module imports no boto3 and is plain logic over their responses.

Layout of the bucket (see ``edge.keys``): an original lives at its own key (``photos/cat.jpg``); a variant at
``{spec}/{stem}.{ext}`` (``300/photos/cat.avif``), so every variant sits under a top-level "folder" whose name is
a spec token. Listing the top level with ``Delimiter='/'`` finds every spec in one call, and ``{spec}/{stem}.``
finds one original's variants under it, without scanning the bucket.

Safety invariant: ``delete_variants`` deletes only keys that are canonical variant keys (first segment a spec
token, the whole key decoding as a variant); anything else raises ``NotAVariant`` before any request is sent. IAM
cannot express "variants only" (a variant's prefix is any spec token), so this code, and its tests, guarantee
that purging never deletes an original.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from edge.config import Config
from edge.errors import BadRequest
from edge.keys import InvalidVariantKey, decode_key
from edge.paths import OriginalPath, encode_path, validate_original_path

if TYPE_CHECKING:
    from types_boto3_cloudfront import CloudFrontClient
    from types_boto3_s3 import S3Client
else:
    CloudFrontClient = Any
    S3Client = Any

#: CloudFront accepts at most 3,000 file paths in progress per distribution.
MAX_INVALIDATION_PATHS = 3000
#: DeleteObjects takes at most 1,000 keys per request.
DELETE_BATCH = 1000
_PROBE_EXTENSIONS = ("avif", "webp", "jpg", "png")
#: The S3 event names that mean "the object at this key changed" (a PUT, POST, COPY or multipart upload
#: creates or overwrites; a DELETE removes or adds a delete marker).
CHANGE_EVENT_PREFIXES = ("ObjectCreated:", "ObjectRemoved:")


class NotAVariant(ValueError):
    """A key handed to ``delete_variants`` that is not a canonical variant key (nothing was deleted)."""


def is_spec_token(token: str, config: Config) -> bool:
    """Whether a top-level folder name is a variant spec (``300``, ``x200``, ``300x300-contain-q60``)."""
    for extension in _PROBE_EXTENSIONS:
        try:
            decode_key(f"/{token}/x.{extension}", config)
        except InvalidVariantKey:
            continue
        return True
    return False


def in_variant_folder(key: str, config: Config) -> bool:
    """Whether an S3 key lies under a spec folder (``300/...``): where variants, and only variants, live.

    This is the loop guard of purge-on-change: the function's own deletes and origin-response's writes are all
    under spec folders, so their events are ignored (S3 notification filters cannot say "not under a spec").
    """
    first, slash, _ = key.partition("/")
    return bool(slash) and is_spec_token(first, config)


def is_variant_key(key: str, config: Config) -> bool:
    """Whether an S3 key is a canonical variant key (under a spec folder, and decoding as a variant)."""
    if not in_variant_folder(key, config):
        return False
    return variant_stem(key, config) is not None


def variant_stem(key: str, config: Config) -> str | None:
    """The original's stem (key without extension) a variant key belongs to, or ``None`` if not a variant key."""
    try:
        return decode_key(encode_path(key), config).stem
    except (InvalidVariantKey, BadRequest):
        return None


def original_path(key: str, config: Config) -> OriginalPath | None:
    """The key as a viewer-addressable original, or ``None`` (variant folder, bad extension, unsafe path)."""
    if in_variant_folder(key, config):
        return None
    try:
        return validate_original_path(encode_path(key), config.source_extensions)
    except BadRequest:
        return None


def _objects(client: S3Client, bucket: str, prefix: str) -> Iterator[str]:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def top_level_folders(client: S3Client, bucket: str) -> list[str]:
    """The bucket's top-level "folders" (common prefixes of ``Delimiter='/'``), without their ``/``."""
    folders: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Delimiter="/"):
        folders += [p["Prefix"][:-1] for p in page.get("CommonPrefixes", [])]
    return folders


def spec_prefixes(client: S3Client, bucket: str, config: Config) -> list[str]:
    """The top-level folders (without their ``/``) whose names parse as spec tokens: where variants live."""
    return [folder for folder in top_level_folders(client, bucket) if is_spec_token(folder, config)]


def variants_of(client: S3Client, bucket: str, stem: str, specs: Iterable[str], config: Config) -> list[str]:
    """The stored variant keys of ``stem`` (an original's key without its extension), under ``specs``.

    Only keys that decode to exactly this stem count: ``300/photos/cat.v2.avif`` is not a variant of
    ``photos/cat``, although it shares the listing prefix ``300/photos/cat.``.
    """
    found = []
    for spec in specs:
        for key in _objects(client, bucket, f"{spec}/{stem}."):
            if variant_stem(key, config) == stem:
                found.append(key)
    return found


def delete_variants(
    client: S3Client,
    bucket: str,
    keys: list[str],
    config: Config,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Delete variant ``keys`` in batches of 1,000; returns the error messages of keys S3 could not delete.

    Raises ``NotAVariant`` (before deleting anything) if any key is not a canonical variant key: this is the
    guarantee that a purge never deletes an original.
    """
    refused = [key for key in keys if not is_variant_key(key, config)]
    if refused:
        raise NotAVariant(f"refusing to delete keys that are not variant keys: {refused[:5]!r}")
    return delete_keys(client, bucket, keys, progress)


def delete_keys(
    client: S3Client, bucket: str, keys: list[str], progress: Callable[[int], None] | None = None
) -> list[str]:
    """Delete ``keys`` in batches of ``DELETE_BATCH``, whatever they are (callers guard what they pass);
    returns the error messages of keys that could not be deleted."""
    errors: list[str] = []
    for start in range(0, len(keys), DELETE_BATCH):
        batch = keys[start : start + DELETE_BATCH]
        answer = client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
        )
        errors += [f"{e.get('Key')}: {e.get('Code')} {e.get('Message', '')}".strip() for e in answer.get("Errors", [])]
        if progress is not None:
            progress(len(batch))
    return errors


def invalidation_paths(keys: Iterable[str]) -> list[str]:
    """The CloudFront paths of S3 keys: a variant's key is its URI (``/300/photos/cat.avif``), CloudFront's cache
    key, and an original's key is the URI it is served at untouched; percent-encoded as viewer-request writes
    them."""
    return sorted({encode_path(key) for key in keys})


def invalidate(cloudfront: CloudFrontClient, distribution_id: str, paths: list[str]) -> list[str]:
    """Create invalidations for ``paths`` (at most ``MAX_INVALIDATION_PATHS`` each); returns their ids."""
    ids = []
    for start in range(0, len(paths), MAX_INVALIDATION_PATHS):
        batch = paths[start : start + MAX_INVALIDATION_PATHS]
        answer = cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(batch), "Items": batch},
                "CallerReference": f"imgedge-purge-{time.time_ns()}-{start}",
            },
        )
        ids.append(answer["Invalidation"]["Id"])
    return ids


@dataclass
class PurgeResult:
    """What one purge did: the variant keys found (and deleted unless a dry run), the paths invalidated, the
    invalidation ids and the keys S3 could not delete."""

    variants: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    invalidations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def purge(
    client: S3Client,
    bucket: str,
    originals: Iterable[OriginalPath],
    config: Config,
    *,
    cloudfront: CloudFrontClient | None = None,
    distribution_id: str | None = None,
    invalidate_originals: bool = False,
) -> PurgeResult:
    """Delete the stored variants of ``originals`` and invalidate their paths.

    With ``invalidate_originals`` the originals' own URIs (served untouched, each its own cache entry) are
    invalidated too, even when they had no variants. No invalidation is created without ``cloudfront`` and
    ``distribution_id``, nor when there is no path to invalidate. Keys S3 failed to delete are reported in
    ``errors`` and still invalidated (a retry deletes them; the CDN must not keep serving them meanwhile).
    """
    wanted = list({original.key: original for original in originals}.values())
    result = PurgeResult()
    if not wanted:
        return result
    specs = spec_prefixes(client, bucket, config)
    for stem in dict.fromkeys(original.stem for original in wanted):
        result.variants += variants_of(client, bucket, stem, specs, config)
    if result.variants:
        result.errors = delete_variants(client, bucket, result.variants, config)
    keys = result.variants + ([original.key for original in wanted] if invalidate_originals else [])
    result.paths = invalidation_paths(keys)
    if cloudfront is not None and distribution_id and result.paths:
        result.invalidations = invalidate(cloudfront, distribution_id, result.paths)
    return result


# --- S3 event notifications ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObjectChange:
    """One record of an S3 event notification: ``key`` decoded (S3 URL-encodes it, spaces as ``+``)."""

    event_name: str
    bucket: str
    key: str
    region: str


def object_changes(event: Mapping[str, Any]) -> list[ObjectChange]:
    """The records of an S3 event notification (``Records[*]`` with ``eventName``, ``awsRegion``,
    ``s3.bucket.name`` and ``s3.object.key``, as documented in "Event message structure"). Records of other
    sources (``s3:TestEvent`` has no ``Records``) give an empty list."""
    changes = []
    for record in event.get("Records", []):
        if record.get("eventSource") != "aws:s3":
            continue
        s3 = record["s3"]
        changes.append(
            ObjectChange(
                event_name=str(record.get("eventName", "")),
                bucket=str(s3["bucket"]["name"]),
                key=unquote_plus(str(s3["object"]["key"])),
                region=str(record.get("awsRegion", "")),
            )
        )
    return changes


def originals_to_purge(changes: Iterable[ObjectChange], config: Config) -> dict[str, list[OriginalPath]]:
    """Per bucket, the originals whose variants must go: changes named ``ObjectCreated:*`` or ``ObjectRemoved:*``
    of keys that are viewer-addressable originals. Keys under a spec folder (variants: the purge's own deletes,
    origin-response's writes) and keys that are not originals (other extensions, unsafe paths) are skipped."""
    result: dict[str, list[OriginalPath]] = {}
    for change in changes:
        if not change.event_name.startswith(CHANGE_EVENT_PREFIXES):
            continue
        original = original_path(change.key, config)
        if original is not None:
            result.setdefault(change.bucket, []).append(original)
    return result
