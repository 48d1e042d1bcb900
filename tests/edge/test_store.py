"""edge.store: S3 reads and never-overwriting writes, against moto; failures via Stubber and botocore event hooks."""

import io
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from edge.config import Config
from edge.errors import ImageTooLarge, StorageUnavailable
from edge.ports import Original
from edge.store import S3Store, s3_client, store_for
from tests.conftest import TEST_BUCKET

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
else:
    S3Client = Any

SOURCE = Original(key="photos/cat.png", body=b"png", etag="abc123")


def _store(client: S3Client, **options: Any) -> S3Store:
    return S3Store(client, TEST_BUCKET, max_source_bytes=options.pop("max_source_bytes", 1000), **options)


# get_original.


def test_get_original_found(s3: S3Client) -> None:
    put = s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=b"image bytes")
    original = _store(s3).get_original("photos/cat.png")
    assert original == Original(key="photos/cat.png", body=b"image bytes", etag=put["ETag"].strip('"'))
    assert original is not None
    assert '"' not in original.etag


def test_get_original_non_ascii_key(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="café/ü b.png", Body=b"x")
    original = _store(s3).get_original("café/ü b.png")
    assert original is not None
    assert original.body == b"x"


def test_get_original_missing_is_none(s3: S3Client) -> None:
    assert _store(s3).get_original("photos/absent.png") is None


def test_get_original_access_denied_is_none(s3: S3Client) -> None:
    # What S3 answers an OAI without s3:ListBucket for a missing key.
    store = _store(s3)
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
        assert store.get_original("photos/absent.png") is None
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(("code", "status"), [("NoSuchKey", 404), ("404", 404), ("403", 403)])
def test_get_original_other_spellings_of_missing_are_none(s3: S3Client, code: str, status: int) -> None:
    store = _store(s3)
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", service_error_code=code, http_status_code=status)
        assert store.get_original("photos/absent.png") is None


def test_has_object_tells_whether_a_key_holds_an_object(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="300/photos/cat.avif", Body=b"v")
    assert _store(s3).has_object("300/photos/cat.avif") is True
    assert _store(s3).has_object("640/photos/cat.avif") is False


@pytest.mark.parametrize(("code", "status"), [("404", 404), ("403", 403), ("NotFound", 404)])
def test_has_object_missing_answers_are_false(s3: S3Client, code: str, status: int) -> None:
    # HeadObject errors carry no body: botocore's code is the status (403 without s3:ListBucket).
    with Stubber(s3) as stub:
        stub.add_client_error("head_object", service_error_code=code, http_status_code=status)
        assert _store(s3).has_object("300/photos/cat.avif") is False


def test_has_object_other_errors_are_storage_unavailable(s3: S3Client) -> None:
    with Stubber(s3) as stub:
        stub.add_client_error("head_object", service_error_code="400", http_status_code=400)
        with pytest.raises(StorageUnavailable, match="storage") as caught:
            _store(s3).has_object("300/photos/cat.avif")
    assert "HeadObject 300/photos/cat.avif" in caught.value.detail


@pytest.mark.parametrize(
    ("code", "status"), [("InvalidObjectState", 403), ("NoSuchBucket", 404), ("KMS.Disabled", 400)]
)
def test_get_original_other_client_errors_are_storage_unavailable(s3: S3Client, code: str, status: int) -> None:
    store = _store(s3)
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", service_error_code=code, http_status_code=status)
        with pytest.raises(StorageUnavailable) as caught:
            store.get_original("photos/cat.png")
    assert code in caught.value.detail
    assert code not in caught.value.reason


def test_get_original_over_the_byte_limit_from_content_length(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="big.png", Body=b"x" * 1001)
    s3.put_object(Bucket=TEST_BUCKET, Key="fits.png", Body=b"x" * 1000)
    store = _store(s3, max_source_bytes=1000)
    with pytest.raises(ImageTooLarge) as caught:
        store.get_original("big.png")
    assert caught.value.status == 422
    assert "1001" in caught.value.detail
    fits = store.get_original("fits.png")
    assert fits is not None
    assert len(fits.body) == 1000


class _TrackingStream(io.BytesIO):
    reads: int = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)


def test_too_large_is_decided_before_reading_the_body(s3: S3Client) -> None:
    raw = _TrackingStream(b"x" * 10)
    body = StreamingBody(raw, 10)
    store = _store(s3, max_source_bytes=5)
    with Stubber(s3) as stub:
        stub.add_response("get_object", {"Body": body, "ContentLength": 10, "ETag": '"e"'})
        with pytest.raises(ImageTooLarge):
            store.get_original("big.png")
    assert raw.reads == 0
    assert raw.closed


def test_a_body_longer_than_its_content_length_is_still_bounded(s3: S3Client) -> None:
    raw = io.BytesIO(b"x" * 50)
    store = _store(s3, max_source_bytes=20)
    with Stubber(s3) as stub:
        stub.add_response("get_object", {"Body": StreamingBody(raw, 50), "ContentLength": 10, "ETag": '"e"'})
        with pytest.raises(ImageTooLarge):
            store.get_original("liar.png")


# put_variant.


def test_put_variant_writes_once_then_refuses_to_overwrite(s3: S3Client) -> None:
    store = _store(s3)
    assert store.put_variant("300/photos/cat.avif", b"first", "image/avif", "public, max-age=1", SOURCE) is True
    assert store.put_variant("300/photos/cat.avif", b"second", "image/avif", "public, max-age=1", SOURCE) is False
    body = s3.get_object(Bucket=TEST_BUCKET, Key="300/photos/cat.avif")["Body"].read()
    assert body == b"first"


def test_put_variant_never_overwrites_an_original(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="300/photos/cat.avif", Body=b"someone's original")
    assert _store(s3).put_variant("300/photos/cat.avif", b"variant", "image/avif", "c", SOURCE) is False
    assert s3.get_object(Bucket=TEST_BUCKET, Key="300/photos/cat.avif")["Body"].read() == b"someone's original"


def test_put_variant_sends_if_none_match_star(s3: S3Client) -> None:
    seen: list[dict[str, Any]] = []
    s3.meta.events.register("before-call.s3.PutObject", lambda params, **_: seen.append(dict(params["headers"])))
    _store(s3).put_variant("v.avif", b"x", "image/avif", "c", SOURCE)
    assert seen[0]["If-None-Match"] == "*"


@pytest.mark.parametrize(("code", "status"), [("PreconditionFailed", 412), ("ConditionalRequestConflict", 409)])
def test_put_variant_lost_race_answers_are_false(s3: S3Client, code: str, status: int) -> None:
    store = _store(s3)
    with Stubber(s3) as stub:
        stub.add_client_error("put_object", service_error_code=code, http_status_code=status)
        assert store.put_variant("v.avif", b"x", "image/avif", "c", SOURCE) is False


def test_put_variant_other_errors_are_storage_unavailable(s3: S3Client) -> None:
    store = _store(s3)
    with Stubber(s3) as stub:
        stub.add_client_error("put_object", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(StorageUnavailable, match="storage temporarily unavailable"):
            store.put_variant("v.avif", b"x", "image/avif", "c", SOURCE)


def test_put_variant_writes_content_type_cache_control_and_source_metadata(s3: S3Client) -> None:
    _store(s3).put_variant("300/photos/cat.avif", b"x", "image/avif", "public, max-age=31536000, immutable", SOURCE)
    head = s3.head_object(Bucket=TEST_BUCKET, Key="300/photos/cat.avif")
    assert head["ContentType"] == "image/avif"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["Metadata"] == {"imgedge-source": "photos/cat.png", "imgedge-source-etag": "abc123"}


def test_put_variant_of_a_non_ascii_original_is_stored(s3: S3Client) -> None:
    # S3 metadata travels as HTTP headers and must be ASCII; the source key is percent-encoded.
    source = Original(key="café/ü b.png", body=b"x", etag="e1")
    assert _store(s3).put_variant("300/café/ü b.avif", b"v", "image/avif", "c", source) is True
    metadata = s3.head_object(Bucket=TEST_BUCKET, Key="300/café/ü b.avif")["Metadata"]
    assert metadata["imgedge-source"] == "caf%C3%A9/%C3%BC%20b.png"
    assert unquote(metadata["imgedge-source"]) == source.key


def test_tag_variants_adds_the_variant_tag(s3: S3Client) -> None:
    _store(s3, tag_variants=True).put_variant("300/a.avif", b"x", "image/avif", "c", SOURCE)
    tags = s3.get_object_tagging(Bucket=TEST_BUCKET, Key="300/a.avif")["TagSet"]
    assert tags == [{"Key": "imgedge", "Value": "variant"}]


def test_variants_are_untagged_by_default(s3: S3Client) -> None:
    _store(s3).put_variant("300/a.avif", b"x", "image/avif", "c", SOURCE)
    assert s3.get_object_tagging(Bucket=TEST_BUCKET, Key="300/a.avif")["TagSet"] == []


# store_for and the client.


def test_store_for_takes_the_bucket_from_the_event_or_the_config(s3: S3Client) -> None:
    assert store_for(Config(), TEST_BUCKET, "us-east-1").bucket == TEST_BUCKET
    assert store_for(Config.of(bucket="configured"), TEST_BUCKET, None).bucket == "configured"


def test_store_for_without_a_bucket_is_storage_unavailable(s3: S3Client) -> None:
    with pytest.raises(StorageUnavailable):
        store_for(Config(), None, "us-east-1")


def test_store_for_reads_and_writes_through_moto(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="a.png", Body=b"a")
    store = store_for(Config.of(tag_variants=True), TEST_BUCKET, "us-east-1")
    original = store.get_original("a.png")
    assert original is not None
    assert store.put_variant("300/a.avif", b"v", "image/avif", "c", original) is True


def test_client_is_cached_per_region_and_settings(s3: S3Client) -> None:
    first = s3_client("eu-west-1", 3, 1.0, 3.0)
    assert s3_client("eu-west-1", 3, 1.0, 3.0) is first
    assert s3_client("us-east-1", 3, 1.0, 3.0) is not first
    assert first.meta.region_name == "eu-west-1"
    settings: Any = first.meta.config
    assert settings.retries == {"total_max_attempts": 3, "mode": "standard"}
    assert settings.connect_timeout == 1.0
    assert settings.read_timeout == 3.0


def test_config_region_overrides_the_event_region(s3: S3Client) -> None:
    store = store_for(Config.of(region="ap-south-1"), TEST_BUCKET, "us-east-1")
    assert store._client.meta.region_name == "ap-south-1"


# Retries: throttling, 5xx and connection errors are retried a bounded number of times, then StorageUnavailable.


class _RawBody(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def _s3_error(status: int, code: str) -> AWSResponse:
    xml = f"<Error><Code>{code}</Code><Message>m</Message><RequestId>r</RequestId></Error>".encode()
    headers = HTTPHeaders()
    headers["content-type"] = "application/xml"
    return AWSResponse("https://s3.amazonaws.com/", status, headers, _RawBody(xml))


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record botocore's retry sleeps instead of sleeping."""
    sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", sleeps.append)
    return sleeps


def _failing_store(attempts: int, failure: Any) -> tuple[S3Store, list[str]]:
    """A production store whose every HTTP attempt gets ``failure`` (a response, or an exception to raise)."""
    store = store_for(Config.of(s3_max_attempts=attempts), TEST_BUCKET, "us-east-1")
    sent: list[str] = []

    def intercept(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.method)
        if isinstance(failure, Exception):
            raise failure
        return failure  # type: ignore[no-any-return]

    store._client.meta.events.register_first("before-send.s3", cast(Any, intercept))
    return store, sent


FAILURES = [
    pytest.param(_s3_error(503, "SlowDown"), id="SlowDown"),
    pytest.param(_s3_error(500, "InternalError"), id="500"),
    pytest.param(_s3_error(503, "ServiceUnavailable"), id="503"),
    pytest.param(EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"), id="connection"),
    pytest.param(ReadTimeoutError(endpoint_url="https://s3.amazonaws.com"), id="read-timeout"),
]


@pytest.mark.parametrize("failure", FAILURES)
def test_get_original_retries_then_storage_unavailable(s3: S3Client, no_backoff: list[float], failure: Any) -> None:
    store, sent = _failing_store(3, failure)
    with pytest.raises(StorageUnavailable) as caught:
        store.get_original("photos/cat.png")
    assert sent == ["GET"] * 3
    assert len(no_backoff) == 2
    assert caught.value.status == 503
    assert "GetObject photos/cat.png" in caught.value.detail


@pytest.mark.parametrize("failure", FAILURES)
def test_put_variant_retries_then_storage_unavailable(s3: S3Client, no_backoff: list[float], failure: Any) -> None:
    store, sent = _failing_store(2, failure)
    with pytest.raises(StorageUnavailable) as caught:
        store.put_variant("300/a.avif", b"x", "image/avif", "c", SOURCE)
    assert sent == ["PUT"] * 2
    assert "PutObject 300/a.avif" in caught.value.detail


def test_a_transient_failure_then_success_is_transparent(s3: S3Client, no_backoff: list[float]) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="a.png", Body=b"a")
    store = store_for(Config.of(s3_max_attempts=3), TEST_BUCKET, "us-east-1")
    failures = [_s3_error(503, "SlowDown")]

    def once(**_: Any) -> AWSResponse | None:
        return failures.pop() if failures else None

    store._client.meta.events.register_first("before-send.s3", cast(Any, once))
    original = store.get_original("a.png")
    assert original is not None
    assert original.body == b"a"
    assert len(no_backoff) == 1


def test_missing_keys_are_not_retried(s3: S3Client, no_backoff: list[float]) -> None:
    store, sent = _failing_store(3, _s3_error(404, "NoSuchKey"))
    assert store.get_original("absent.png") is None
    assert sent == ["GET"]
    assert no_backoff == []


def test_a_lost_race_is_not_retried(s3: S3Client, no_backoff: list[float]) -> None:
    store, sent = _failing_store(3, _s3_error(412, "PreconditionFailed"))
    assert store.put_variant("a.avif", b"x", "image/avif", "c", SOURCE) is False
    assert sent == ["PUT"]
