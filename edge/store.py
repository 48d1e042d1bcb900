"""S3 access for origin-response: read originals, write variants without ever overwriting (the only boto3 user).

Errors are mapped once here: a missing key (404 ``NoSuchKey``, or 403 ``AccessDenied``, which S3 answers for a
missing key to a caller without ``s3:ListBucket``) is ``None``; throttling, 5xx, timeouts and connection errors
are retried by botocore (standard mode, bounded attempts with backoff) and then become ``StorageUnavailable``.

It also creates the one other AWS client origin-response uses, Rekognition's for ``gravity=face``
(``face_locator_for``), so that ``edge.faces`` stays free of boto3.
"""

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlencode

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from edge.config import VARIANT_TAG_KEY, VARIANT_TAG_VALUE, Config
from edge.errors import ImageTooLarge, StorageUnavailable
from edge.faces import ATTEMPTS, CONNECT_TIMEOUT, READ_TIMEOUT, RekognitionClient, RekognitionFaces
from edge.keys import SOURCE_METADATA
from edge.origins import store_target
from edge.ports import Original

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
else:
    S3Client = Any

_MISSING = frozenset({"NoSuchKey", "404", "NotFound", "AccessDenied", "403"})
# S3's answers to a conditional write that lost: 412 when the key exists, 409 when a concurrent write is in flight.
_EXISTS = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})


_Answer = TypeVar("_Answer")


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _s3_call(operation: str, key: str, expected: frozenset[str], call: Callable[[], _Answer]) -> _Answer | None:
    """``call()``'s answer, or ``None`` when S3 refuses it with one of the ``expected`` error codes; any other
    error (after botocore's bounded retries) raises ``StorageUnavailable`` naming ``operation`` and ``key``."""
    try:
        return call()
    except ClientError as err:
        if _error_code(err) in expected:
            return None
        raise StorageUnavailable(detail=f"{operation} {key}: {_error_code(err)}") from err
    except BotoCoreError as err:
        raise StorageUnavailable(detail=f"{operation} {key}: {err}") from err


class S3Store:
    """Originals and variants in one bucket.

    ``max_source_bytes``: originals larger than this raise ``ImageTooLarge`` from their ``ContentLength``,
    before the body is read. ``tag_variants``: stored variants carry the tag ``imgedge=variant``.
    """

    def __init__(self, client: S3Client, bucket: str, *, max_source_bytes: int, tag_variants: bool = False) -> None:
        self._client = client
        self._bucket = bucket
        self._max_source_bytes = max_source_bytes
        self._tag_variants = tag_variants

    @property
    def bucket(self) -> str:
        return self._bucket

    def get_original(self, key: str) -> Original | None:
        answer = _s3_call("GetObject", key, _MISSING, lambda: self._client.get_object(Bucket=self._bucket, Key=key))
        if answer is None:
            return None
        stream = answer["Body"]
        try:
            if answer.get("ContentLength", 0) > self._max_source_bytes:
                raise ImageTooLarge(detail=f"{key} is {answer.get('ContentLength')} bytes")
            body = stream.read(self._max_source_bytes + 1)
        except (BotoCoreError, OSError) as err:
            raise StorageUnavailable(detail=f"GetObject {key} body: {err}") from err
        finally:
            stream.close()
        if len(body) > self._max_source_bytes:
            raise ImageTooLarge(detail=f"{key} is over {self._max_source_bytes} bytes")
        return Original(
            key=key,
            body=body,
            etag=str(answer.get("ETag", "")).strip('"'),
            variant_source=answer.get("Metadata", {}).get(SOURCE_METADATA),
        )

    def has_object(self, key: str) -> bool:
        """Whether an object exists at ``key`` (HeadObject): warming's check before it renders. A 403 counts as
        absent, as for ``get_original`` (S3 answers it for a missing key to a caller without ``s3:ListBucket``;
        the conditional write still never overwrites). Raises ``StorageUnavailable`` after bounded retries."""
        head = _s3_call("HeadObject", key, _MISSING, lambda: self._client.head_object(Bucket=self._bucket, Key=key))
        return head is not None

    def put_variant(self, key: str, body: bytes, content_type: str, cache_control: str, source: Original) -> bool:
        extra: dict[str, Any] = {}
        metadata = {SOURCE_METADATA: quote(source.key, safe="/"), "imgedge-source-etag": source.etag}
        if source.watermark_etag is not None:
            metadata["imgedge-watermark-etag"] = source.watermark_etag
        if self._tag_variants:
            extra["Tagging"] = urlencode({VARIANT_TAG_KEY: VARIANT_TAG_VALUE})
        written = _s3_call(
            "PutObject",
            key,
            _EXISTS,
            lambda: self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                IfNoneMatch="*",
                ContentType=content_type,
                CacheControl=cache_control,
                # S3 metadata is sent as HTTP headers and must be ASCII: the key is percent-encoded as in URIs.
                Metadata=metadata,
                **extra,
            ),
        )
        return written is not None


@cache
def s3_client(region: str | None, max_attempts: int, connect_timeout: float, read_timeout: float) -> S3Client:
    """One S3 client per region and settings, created once per container (client creation costs ~50 ms).

    The client is pinned to the bucket's region: Lambda@Edge runs in many regions, and a client in the wrong one
    would pay a redirect on every call. ``AWS_ENDPOINT_URL`` (honoured by boto3) points it at a local S3.
    """
    settings = BotoConfig(
        region_name=region,
        # botocore's "max_attempts" counts retries after the first try; "total_max_attempts" counts every try,
        # which is what ``Config.s3_max_attempts`` documents (and what its timeout budget assumes).
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    return boto3.session.Session().client("s3", config=settings)


def store_for(config: Config, bucket: str | None, region: str | None) -> S3Store:
    """The store for an event's S3 origin (``config.sources.bucket``/``.region`` win when set), or for a bucket
    of ``config.sources.origins`` (used as is, with its configured region).

    Raises ``StorageUnavailable`` when no bucket is known (a custom origin without ``config.sources.bucket``)."""
    bucket, region = store_target(config.sources.origins, config.sources.bucket, config.sources.region, bucket, region)
    if not bucket:
        raise StorageUnavailable(detail="no bucket: not an S3 origin and config.sources.bucket is unset")
    client = s3_client(
        region, config.storage.s3_max_attempts, config.storage.s3_connect_timeout, config.storage.s3_read_timeout
    )
    return S3Store(
        client, bucket, max_source_bytes=config.limits.max_source_bytes, tag_variants=config.storage.tag_variants
    )


@cache
def rekognition_client(region: str) -> RekognitionClient:
    """One Rekognition client per region, created once per container, with ``edge.faces``' bounded retries
    (``ATTEMPTS`` tries in all, standard mode) and timeouts: a failed detection costs a few seconds at most."""
    settings = BotoConfig(
        region_name=region,
        retries={"total_max_attempts": ATTEMPTS, "mode": "standard"},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
    )
    client: RekognitionClient = boto3.session.Session().client("rekognition", config=settings)
    return client


def face_locator_for(config: Config) -> RekognitionFaces | None:
    """The ``gravity=face`` locator of ``config`` (Rekognition in ``faces_region``); ``None`` when disabled."""
    if not config.faces.faces_enabled:
        return None
    return RekognitionFaces(rekognition_client(config.faces.faces_region), config.faces.faces_min_confidence)
