"""Purging an original's stored variants: find them, prove them, invalidate them in CloudFront, delete them.

Shared by ``imgedge purge``/``rm`` (``imgedge.cli``) and the purge-on-change function
(``purge_on_change.handler``, triggered by S3 event notifications). The S3 and CloudFront clients are passed in
(boto3 clients in both callers), so this module imports no boto3 and is plain logic over their responses.

Finding (see ``edge.keys``, "The two layouts"):

- with ``variant_prefix``: the variants of ``photos/cat`` are the direct children of ``{prefix}/photos/cat/``:
  one ListObjectsV2 per original (per 1,000 variants), whatever the number of spec folders;
- default layout: a variant sits under a top-level folder named by its spec: one listing of the top level
  (per 1,000 folders) finds the spec folders, then one listing of ``{spec}/{stem}.`` per spec folder, run
  ``LIST_WORKERS`` at a time (the cost grows with the number of spec folders; ``benchmarks/purge_bench.py``
  measures it).

Proving: a key that decodes as a variant of the original's stem is only a *candidate*: an original may sit at
such a key (``2024/beach.jpg`` is the 2024-px JPEG key of ``beach``). Each candidate is HEADed (``HEAD_WORKERS``
at a time) and deleted only if its ``edge.keys.SOURCE_METADATA``, which only origin-response writes, names an
original with that stem. An object without it is never deleted (``PurgeResult.unproven`` lists it).

Order, safe to retry: the invalidation paths are computed from what was found, CloudFront is asked to invalidate
them (throttling and ``TooManyInvalidationsInProgress`` retried with bounded backoff, then
``InvalidationFailed``), and only then are the variants deleted. A failure before the deletes leaves the
variants in place, so a rerun finds, invalidates and deletes them again; a failed delete is reported in
``errors`` (and raised by purge-on-change), and its rerun finds the variants still there. The reverse order
would leave, after a failed invalidation, deleted variants whose CloudFront copies (``immutable``, a year)
nothing would invalidate any more. The remaining window: an edge that processes the invalidation before the
deletes land (they follow the CreateInvalidation call within a second; CloudFront propagates in seconds to
minutes) may fetch the old variant once more.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote_plus

from edge.config import Config
from edge.errors import BadRequest
from edge.keys import (
    SOURCE_METADATA,
    InvalidVariantKey,
    decode_key,
    in_variant_prefix,
    is_spec_shaped,
    source_stem,
    variants_folder,
)
from edge.paths import OriginalPath, encode_path, validate_original_path

if TYPE_CHECKING:
    from types_boto3_cloudfront import CloudFrontClient
    from types_boto3_s3 import S3Client
else:
    CloudFrontClient = Any
    S3Client = Any

T = TypeVar("T")
R = TypeVar("R")

#: CloudFront accepts at most 3,000 file paths in progress per distribution.
MAX_INVALIDATION_PATHS = 3000
#: DeleteObjects takes at most 1,000 keys per request.
DELETE_BATCH = 1000
#: Listings (default layout: one per spec folder) and HEADs run this many at a time. Callers size their HTTP
#: connection pool to match (botocore's default pool holds 10).
LIST_WORKERS = 16
HEAD_WORKERS = 16
#: CreateInvalidation errors worth retrying: CloudFront's own throttling, and its limit of invalidations in
#: progress per distribution ("TooManyInvalidationsInProgress", which botocore does not retry).
RETRYABLE_INVALIDATION_ERRORS = frozenset(
    {"TooManyInvalidationsInProgress", "Throttling", "ThrottlingException", "RequestLimitExceeded"}
    | {"ServiceUnavailable"}
)
#: Tries per invalidation batch, and the backoff between them: full jitter on 1, 2, 4, 8 s (at most ~15 s in all).
INVALIDATION_ATTEMPTS = 5
INVALIDATION_BACKOFF_S = 1.0
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
#: The S3 event names that mean "the object at this key changed" (a PUT, POST, COPY or multipart upload
#: creates or overwrites; a DELETE removes or adds a delete marker).
CHANGE_EVENT_PREFIXES = ("ObjectCreated:", "ObjectRemoved:")


class NotAVariant(ValueError):
    """A key handed to ``delete_variants`` that is not a canonical variant key (nothing was deleted)."""


class InvalidationFailed(RuntimeError):
    """CloudFront kept refusing an invalidation (throttled, too many in progress) after bounded retries; nothing
    was deleted, so a rerun finds the variants again."""


def _error_code(err: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (read by shape: this module imports no botocore)."""
    response = getattr(err, "response", None)
    if not isinstance(response, Mapping):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


def _bounded_map(function: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``function`` over ``items``, at most ``workers`` at a time, results in order; the first error raises."""
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(function, items))


def is_spec_token(token: str, config: Config) -> bool:
    """Whether a top-level folder name is a variant spec (``300``, ``x200``, ``300x300-contain-q60``):
    ``edge.keys.is_spec_shaped``."""
    return is_spec_shaped(token, config)


def in_variant_namespace(key: str, config: Config) -> bool:
    """Whether an S3 key is where variants live: under ``variant_prefix`` when one is set, else a canonical
    variant key (``300/photos/cat.avif``).

    This is the loop guard of purge-on-change: its own deletes and origin-response's writes are all such keys,
    so their events are ignored (S3 notification filters cannot say "not under this prefix"). In the default
    layout an original at a variant key (``2024/beach.jpg``) is ignored too: it cannot be served or resized
    there (``edge.keys``), which is what ``variant_prefix`` fixes.
    """
    if config.storage.variant_prefix:
        return in_variant_prefix(key, config)
    return is_variant_key(key, config)


def is_variant_key(key: str, config: Config) -> bool:
    """Whether an S3 key is a canonical variant key (it decodes as a variant)."""
    return variant_stem(key, config) is not None


def variant_stem(key: str, config: Config) -> str | None:
    """The original's stem (key without extension) a variant key belongs to, or ``None`` if not a variant key."""
    try:
        return decode_key(encode_path(key), config).stem
    except (InvalidVariantKey, BadRequest):
        return None


def original_path(key: str, config: Config) -> OriginalPath | None:
    """The key as a viewer-addressable original, or ``None`` (variant namespace, bad extension, unsafe path)."""
    if in_variant_namespace(key, config):
        return None
    try:
        return validate_original_path(encode_path(key), config.sources.source_extensions)
    except BadRequest:
        return None


def _objects(client: S3Client, bucket: str, prefix: str, *, direct_children: bool = False) -> Iterator[str]:
    paginator = client.get_paginator("list_objects_v2")
    if direct_children:
        pages = paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
    else:
        pages = paginator.paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for item in page.get("Contents", []):
            yield item["Key"]


def top_level_folders(client: S3Client, bucket: str) -> list[str]:
    """The bucket's top-level "folders" (common prefixes of ``Delimiter='/'``), without their ``/``."""
    folders: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Delimiter="/"):
        folders += [p["Prefix"][:-1] for p in page.get("CommonPrefixes", [])]
    return folders


def spec_prefixes(client: S3Client, bucket: str, config: Config) -> list[str]:
    """Default layout: the top-level folders (without their ``/``) whose names are spec-shaped, where variants
    live. With ``variant_prefix``: no folder (variants are found under the prefix)."""
    if config.storage.variant_prefix:
        return []
    return [folder for folder in top_level_folders(client, bucket) if is_spec_shaped(folder, config)]


def variants_of(client: S3Client, bucket: str, stem: str, specs: Iterable[str], config: Config) -> list[str]:
    """The keys that decode as variants of ``stem`` (an original's key without its extension): candidates, not
    yet proven (``prove_variants``). With ``variant_prefix``, one listing of ``{prefix}/{stem}/`` (``specs`` is
    not used); else one listing of ``{spec}/{stem}.`` per spec folder, ``LIST_WORKERS`` at a time.

    Only keys that decode to exactly this stem count: ``300/photos/cat.v2.avif`` is not a variant of
    ``photos/cat``, although it shares the listing prefix ``300/photos/cat.``.
    """
    folder = variants_folder(stem, config)
    if folder is not None:
        listed = [list(_objects(client, bucket, folder, direct_children=True))]
    else:
        listed = _bounded_map(lambda spec: list(_objects(client, bucket, f"{spec}/{stem}.")), list(specs), LIST_WORKERS)
    return [key for keys in listed for key in keys if variant_stem(key, config) == stem]


_GONE = "\0gone"  # no metadata value can hold NUL: S3 metadata is printable ASCII


def _proof(client: S3Client, bucket: str, key: str) -> str | None:
    """The object's ``SOURCE_METADATA``: ``None`` without it, ``_GONE`` when the object no longer exists."""
    try:
        answer = client.head_object(Bucket=bucket, Key=key)
    except Exception as err:  # botocore's ClientError, read by shape
        if _error_code(err) in _MISSING:
            return _GONE
        raise
    source = answer.get("Metadata", {}).get(SOURCE_METADATA)
    return None if source is None else str(source)


def prove_variants(client: S3Client, bucket: str, candidates: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Split ``candidates`` (variant key -> the stem it decodes to) into ``(proven, unproven)``: proven when the
    object's metadata names an original with that stem (HEADs, ``HEAD_WORKERS`` at a time). An object without
    the metadata (an original at a variant key) or naming another original is unproven and must not be deleted;
    a candidate deleted meanwhile is neither."""
    keys = list(candidates)
    sources = _bounded_map(lambda key: (key, _proof(client, bucket, key)), keys, HEAD_WORKERS)
    proven: list[str] = []
    unproven: list[str] = []
    for key, source in sources:
        if source is not None and source != _GONE and source_stem(source) == candidates[key]:
            proven.append(key)
        elif source != _GONE:
            unproven.append(key)
    return proven, unproven


def delete_variants(
    client: S3Client,
    bucket: str,
    keys: list[str],
    config: Config,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Delete variant ``keys`` in batches of 1,000; returns the error messages of keys S3 could not delete.

    Raises ``NotAVariant`` (before deleting anything) if any key is not a canonical variant key. Callers pass
    only keys ``prove_variants`` proved: the grammar check is a second guard, not the proof.
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


def invalidate(
    cloudfront: CloudFrontClient,
    distribution_id: str,
    paths: list[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Create invalidations for ``paths`` (at most ``MAX_INVALIDATION_PATHS`` each); returns their ids.

    Each batch keeps one ``CallerReference`` across its retries (CloudFront then never creates it twice).
    ``RETRYABLE_INVALIDATION_ERRORS`` are retried up to ``INVALIDATION_ATTEMPTS`` tries with jittered
    exponential backoff, then raise ``InvalidationFailed``; any other error raises at once.
    """
    ids = []
    for start in range(0, len(paths), MAX_INVALIDATION_PATHS):
        batch = paths[start : start + MAX_INVALIDATION_PATHS]
        reference = f"imgedge-purge-{time.time_ns()}-{start}"
        for attempt in range(INVALIDATION_ATTEMPTS):
            try:
                answer = cloudfront.create_invalidation(
                    DistributionId=distribution_id,
                    InvalidationBatch={"Paths": {"Quantity": len(batch), "Items": batch}, "CallerReference": reference},
                )
            except Exception as err:  # botocore's ClientError, read by shape
                code = _error_code(err)
                if code not in RETRYABLE_INVALIDATION_ERRORS:
                    raise
                if attempt + 1 == INVALIDATION_ATTEMPTS:
                    raise InvalidationFailed(
                        f"CloudFront refused the invalidation of {len(batch)} paths {INVALIDATION_ATTEMPTS} times"
                        f" ({code}); nothing was deleted"
                    ) from err
                sleep(random.uniform(0, INVALIDATION_BACKOFF_S * 2**attempt))  # noqa: S311 (jitter, not a secret)
                continue
            ids.append(answer["Invalidation"]["Id"])
            break
    return ids


@dataclass
class PurgeResult:
    """What one purge did: the proven variant keys (deleted unless a dry run), the candidates left alone because
    nothing proves they are variants (``unproven``: originals at variant keys), the paths invalidated (or to
    invalidate), the invalidation ids and the keys S3 could not delete."""

    variants: list[str] = field(default_factory=list)
    unproven: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    invalidations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def find_variants(
    client: S3Client, bucket: str, originals: Iterable[OriginalPath], config: Config
) -> tuple[list[str], list[str]]:
    """``(proven, unproven)`` variant keys of ``originals`` (see ``variants_of`` and ``prove_variants``)."""
    stems = list(dict.fromkeys(original.stem for original in originals))
    if not stems:
        return [], []
    specs = spec_prefixes(client, bucket, config)
    candidates: dict[str, str] = {}
    for stem in stems:
        candidates.update(dict.fromkeys(variants_of(client, bucket, stem, specs, config), stem))
    return prove_variants(client, bucket, candidates)


def purge(
    client: S3Client,
    bucket: str,
    originals: Iterable[OriginalPath],
    config: Config,
    *,
    cloudfront: CloudFrontClient | None = None,
    distribution_id: str | None = None,
    invalidate_originals: bool = False,
    dry_run: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> PurgeResult:
    """Find and prove the stored variants of ``originals``, invalidate their paths, then delete them.

    With ``invalidate_originals`` the originals' own URIs (served untouched, each its own cache entry) are
    invalidated too, even when they had no variants. No invalidation is created without ``cloudfront`` and
    ``distribution_id``, nor when there is no path to invalidate; ``dry_run`` only finds (``paths`` says what
    would be invalidated). Raises ``InvalidationFailed`` (or CloudFront's error) before deleting anything; keys
    S3 failed to delete are in ``errors`` (already invalidated: a retry deletes them).
    """
    wanted = list({original.key: original for original in originals}.values())
    result = PurgeResult()
    if not wanted:
        return result
    result.variants, result.unproven = find_variants(client, bucket, wanted, config)
    keys = result.variants + ([original.key for original in wanted] if invalidate_originals else [])
    result.paths = invalidation_paths(keys)
    if dry_run:
        return result
    if cloudfront is not None and distribution_id and result.paths:
        result.invalidations = invalidate(cloudfront, distribution_id, result.paths, sleep=sleep)
    if result.variants:
        result.errors = delete_variants(client, bucket, result.variants, config)
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
    of keys that are viewer-addressable originals. Keys in the variant namespace (``in_variant_namespace``: the
    purge's own deletes, origin-response's writes) and keys that are not originals (other extensions, unsafe
    paths) are skipped."""
    result: dict[str, list[OriginalPath]] = {}
    for change in changes:
        if not change.event_name.startswith(CHANGE_EVENT_PREFIXES):
            continue
        original = original_path(change.key, config)
        if original is not None:
            result.setdefault(change.bucket, []).append(original)
    return result
