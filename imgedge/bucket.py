"""Bucket management shared by the CLI and the emulator: upload originals, list them with their variants,
delete originals. Finding, deleting and invalidating variants is ``edge.purge`` (shared with the
purge-on-change function), used here and by the CLI.

Layout of the bucket (see ``edge.keys``, "The two layouts"): originals live at their own keys
(``photos/cat.jpg``); a variant lives under ``variant_prefix`` (``_v/photos/cat/300.avif``) when one is set, else
at ``{spec}/{stem}.{ext}`` (``300/photos/cat.avif``), under a top-level "folder" whose name is a spec token.
"""

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)
from PIL import Image, ImageFile

from edge.config import Config
from edge.errors import BadRequest, EdgeError, ImageTooLarge
from edge.keys import in_variant_prefix
from edge.paths import OriginalPath, encode_path, validate_original_path
from edge.purge import spec_prefixes, variant_stem
from edge.render.decode import Limits, open_image, read_orientation
from edge.render.geometry import oriented_size

if TYPE_CHECKING:
    from types_boto3_cloudfront import CloudFrontClient
    from types_boto3_s3 import S3Client
else:
    CloudFrontClient = Any
    S3Client = Any

_EXISTS = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})


class BucketError(Exception):
    """A failure with a message fit for the user (no traceback needed)."""


class NotAnImage(BucketError):
    """A file that is not an image the edge accepts (not identified, another format, or a broken header)."""


class RefusedImage(BucketError):
    """An image the edge refuses to render: over the configured byte or pixel limits (a decompression bomb)."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    """An object of the bucket: key, size in bytes and last-modified time."""

    key: str
    size: int
    last_modified: datetime | None


@dataclass(frozen=True, slots=True)
class Original:
    """An original with the number of stored variants of its stem."""

    key: str
    size: int
    last_modified: datetime | None
    variants: int


def s3_client(endpoint_url: str | None = None, region: str | None = None) -> S3Client:
    """An S3 client with standard retries; ``endpoint_url`` for S3-compatible stores (else boto3's default,
    which honours ``AWS_ENDPOINT_URL``)."""
    settings = BotoConfig(region_name=region, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=settings)


def cloudfront_client() -> CloudFrontClient:
    return boto3.session.Session().client("cloudfront")


@contextmanager
def friendly_errors(bucket: str) -> Iterator[None]:
    """Turn botocore's exceptions into ``BucketError`` with a message that says what to do."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise BucketError(
            "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ) from None
    except NoRegionError:
        raise BucketError("no AWS region: set AWS_REGION or AWS_DEFAULT_REGION") from None
    except EndpointConnectionError as err:
        raise BucketError(f"cannot reach the endpoint: {err}") from None
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code", ""))
        message = str(err.response.get("Error", {}).get("Message", "")) or str(err)
        if code in ("NoSuchBucket",):
            raise BucketError(f"bucket {bucket!r} does not exist") from None
        if code in ("AccessDenied", "403", "AllAccessDisabled"):
            raise BucketError(f"access denied to bucket {bucket!r}: {message}") from None
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidClientTokenId"):
            raise BucketError(f"AWS rejected the credentials ({code}): {message}") from None
        if code in ("NoSuchDistribution",):
            raise BucketError(f"CloudFront: {message}") from None
        raise BucketError(f"{code or 'error'}: {message}") from None
    except BotoCoreError as err:
        raise BucketError(str(err)) from None


@contextmanager
def _opened(data: bytes, config: Config) -> Iterator[ImageFile.ImageFile]:
    """``data`` opened exactly as origin-response opens an original (``edge.render.decode.open_image``: accepted
    formats, header parsed, no pixel decoded) under ``config``'s limits, with its errors as ``BucketError``."""
    try:
        image = open_image(data, Limits.from_config(config))
    except ImageTooLarge as err:
        raise RefusedImage(f"{err.reason} (origin-response would answer 422): {err.detail}") from None
    except EdgeError as err:
        raise NotAnImage(f"not an image the edge accepts: {err.reason}") from None
    with image:
        yield image


def sniff_content_type(data: bytes, config: Config) -> str:
    """The MIME type of image ``data``, identified from its bytes (never from the file name) as origin-response
    identifies an original: the one content check of every CLI and emulator path.

    Raises ``RefusedImage`` when it exceeds ``max_source_bytes`` or ``max_source_pixels`` (including Pillow's own
    decompression-bomb refusal), and ``NotAnImage`` when it is not an accepted image; never a Pillow exception.
    """
    with _opened(data, config) as image:
        fmt = image.format or ""
    mime = Image.MIME.get(fmt.upper())
    if not mime:
        raise NotAnImage(f"unsupported image format {fmt!r}")
    return mime


def displayed_size(data: bytes, config: Config) -> tuple[int, int]:
    """The size image ``data`` is displayed at (its EXIF orientation applied), read from the header; the errors
    of ``sniff_content_type``."""
    with _opened(data, config) as image:
        return oriented_size(image.size, read_orientation(image))


def check_original_key(key: str, config: Config) -> OriginalPath:
    """Validate ``key`` as an original's S3 key, as viewers will address it.

    Raises ``BucketError`` when the viewer-request function would refuse its path (bad extension, ``..``,
    control characters, too long), when it lies under ``variant_prefix``, or, in the default layout, when it is a
    variant key (``300/cat.jpg`` is the key of the 300-px JPEG variant of ``cat``). Other keys under a
    spec-shaped folder (``2024/cat.gif``) pass; ``edge.keys.namespace_warning`` is for them.
    """
    try:
        original = validate_original_path(encode_path(key), config.sources.source_extensions)
    except BadRequest as err:
        raise BucketError(f"{key!r} cannot be an original: {err.reason}") from None
    if in_variant_prefix(key, config):
        raise BucketError(
            f"{key!r} cannot be an original: {config.storage.variant_prefix}/ is where variants are stored"
        )
    if variant_stem(key, config) is not None:
        raise BucketError(
            f"{key!r} cannot be an original: it is a variant's key (its folder is named like a spec, where variants"
            " are stored); set variant_prefix to keep variants apart from originals"
        )
    return original


def upload(client: S3Client, bucket: str, key: str, body: bytes, content_type: str, *, force: bool = False) -> bool:
    """Put an original; without ``force`` only if the key is free (``IfNoneMatch='*'``). ``False`` when an object
    already existed and nothing was written."""
    extra: dict[str, Any] = {} if force else {"IfNoneMatch": "*"}
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, **extra)
    except ClientError as err:
        if str(err.response.get("Error", {}).get("Code", "")) in _EXISTS:
            return False
        raise
    return True


def _objects(client: S3Client, bucket: str, prefix: str) -> Iterator[StoredObject]:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield StoredObject(item["Key"], int(item.get("Size", 0)), item.get("LastModified"))


def _top_level(client: S3Client, bucket: str, prefix: str) -> tuple[list[StoredObject], list[str]]:
    files: list[StoredObject] = []
    folders: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        files += [
            StoredObject(i["Key"], int(i.get("Size", 0)), i.get("LastModified")) for i in page.get("Contents", [])
        ]
        folders += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return files, folders


def list_originals(client: S3Client, bucket: str, prefix: str, config: Config) -> list[StoredObject]:
    """Originals whose key starts with ``prefix``, in key order: every object outside the variant namespace
    whose key is a valid original path (``check_original_key``; other objects are not listed)."""
    if "/" in prefix:
        candidates: Iterable[StoredObject] = (
            [] if in_variant_prefix(prefix, config) else _objects(client, bucket, prefix)
        )
    else:
        files, folders = _top_level(client, bucket, prefix)
        candidates = list(files)
        for folder in folders:
            if not in_variant_prefix(folder, config):
                candidates += list(_objects(client, bucket, folder))
    result = []
    for item in candidates:
        try:
            check_original_key(item.key, config)
        except BucketError:
            continue
        result.append(item)
    return sorted(result, key=lambda item: item.key)


def originals_with_variants(client: S3Client, bucket: str, prefix: str, config: Config) -> list[Original]:
    """``list_originals`` with, for each, how many variants its stem has in the bucket."""
    originals = list_originals(client, bucket, prefix, config)
    counts: Counter[str] = Counter()
    variant_folders = (
        [f"{config.storage.variant_prefix}/"]
        if config.storage.variant_prefix
        else spec_prefixes(client, bucket, config)
    )
    for folder in variant_folders:
        for item in _objects(
            client, bucket, f"{folder}{prefix}" if config.storage.variant_prefix else f"{folder}/{prefix}"
        ):
            stem = variant_stem(item.key, config)
            if stem is not None:
                counts[stem] += 1
    result = []
    for item in originals:
        stem = check_original_key(item.key, config).stem
        result.append(Original(item.key, item.size, item.last_modified, counts[stem]))
    return result
