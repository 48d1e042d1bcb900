"""S3 faults through the real origin-response handler: throttling, 500s, resets and timeouts on GET and PUT.

Faults are injected with a botocore ``before-send`` hook on the S3 client the test composes the handler with (made
as ``edge.store`` makes the container's, with the configured retries and timeouts), in front of moto: bounded
retries, then a 503 ``no-store``; a failed PUT still serves the rendered bytes inline; nothing is ever half written.
"""

import base64
import io
import time
from collections import Counter
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from PIL import Image

from edge.config import Config
from edge.ports import StoreFactory
from tests.conftest import TEST_BUCKET, Handlers, S3Client, config_with, origin_event, own_s3_client, stores_on

ATTEMPTS = 3
# CloudFront's origin-response Lambda@Edge functions may run at most 30 s.
EDGE_TIMEOUT_SECONDS = 30.0
URI, MARKER, VARIANT = "/300/photos/cat.avif", "/photos/cat.png", "300/photos/cat.avif"


class _RawBody(io.BytesIO):
    def stream(self, **_: Any) -> Any:
        yield self.getvalue()


def _s3_error(status: int, code: str) -> AWSResponse:
    xml = f"<Error><Code>{code}</Code><Message>m</Message><RequestId>r</RequestId></Error>".encode()
    headers = HTTPHeaders()
    headers["content-type"] = "application/xml"
    return AWSResponse("https://s3.amazonaws.com/", status, headers, _RawBody(xml))


FAULTS = [
    pytest.param(lambda: _s3_error(503, "SlowDown"), id="SlowDown"),
    pytest.param(lambda: _s3_error(500, "InternalError"), id="500"),
    pytest.param(lambda: _s3_error(503, "ServiceUnavailable"), id="503"),
    pytest.param(lambda: ConnectionClosedError(endpoint_url="https://s3.amazonaws.com"), id="connection-reset"),
    pytest.param(lambda: EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"), id="connect-refused"),
    pytest.param(lambda: ConnectTimeoutError(endpoint_url="https://s3.amazonaws.com"), id="connect-timeout"),
    pytest.param(lambda: ReadTimeoutError(endpoint_url="https://s3.amazonaws.com"), id="read-timeout"),
]


@pytest.fixture
def config() -> Config:
    return config_with(s3_max_attempts=ATTEMPTS)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record botocore's retry backoff instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


def inject(config: Config, method: str, fault: Any, times: int | None = None) -> tuple[StoreFactory, Counter[str]]:
    """Stores for the handler of ``config`` whose S3 client fails every ``method`` request (or the first ``times``)
    with ``fault()``, and a counter of the requests sent, as ``"METHOD path"``."""
    client = own_s3_client(config, "us-east-1")
    sent: Counter[str] = Counter()
    left = [times]

    def intercept(request: Any, **_: Any) -> AWSResponse | None:
        sent[f"{request.method} {urlsplit(request.url).path}"] += 1
        if request.method != method or left[0] == 0:
            return None
        if left[0] is not None:
            left[0] -= 1
        failure = fault()
        if isinstance(failure, Exception):
            raise failure
        return cast(AWSResponse, failure)

    client.meta.events.register_first("before-send.s3", cast(Any, intercept))
    return stores_on(client, config), sent


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (20, 40, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def header(response: dict[str, Any], name: str) -> str:
    return str(response["headers"][name][0]["value"])


def variant_count(s3: S3Client) -> int:
    return int(s3.list_objects_v2(Bucket=TEST_BUCKET, Prefix="300/")["KeyCount"])


def stored_variant(s3: S3Client) -> bytes | None:
    try:
        return s3.get_object(Bucket=TEST_BUCKET, Key=VARIANT)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None


@pytest.mark.parametrize("fault", FAULTS)
def test_get_faults_are_retried_then_a_503_no_store(
    s3: S3Client, handlers: Handlers, config: Config, sleeps: list[float], fault: Any
) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=png())
    stores, sent = inject(config, "GET", fault)
    response = handlers.origin(config, stores=stores)(origin_event(403, URI, MARKER), None)

    assert (response["status"], header(response, "cache-control")) == ("503", "no-store")
    assert response["body"] == "storage temporarily unavailable\n"
    gets = {line: count for line, count in sent.items() if line.startswith("GET")}
    assert gets
    assert set(gets.values()) == {ATTEMPTS}
    assert not any(line.startswith("PUT") for line in sent)
    # The candidate keys are fetched concurrently; each retries with a backoff of at most 2**(retry-1) s
    # (botocore standard mode), so one key's worst case, every attempt timing out, fits in the edge limit.
    assert len(sleeps) == (ATTEMPTS - 1) * len(gets)
    assert max(sleeps) <= 2 ** (ATTEMPTS - 2)
    backoff = sum(2**retry for retry in range(ATTEMPTS - 1))
    worst = backoff + ATTEMPTS * (config.storage.s3_connect_timeout + config.storage.s3_read_timeout)
    assert worst < EDGE_TIMEOUT_SECONDS
    assert variant_count(s3) == 0


@pytest.mark.parametrize("fault", FAULTS)
def test_put_faults_are_retried_and_the_bytes_still_served_inline(
    s3: S3Client, handlers: Handlers, config: Config, sleeps: list[float], fault: Any
) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=png())
    stores, sent = inject(config, "PUT", fault)
    response = handlers.origin(config, stores=stores)(origin_event(404, URI, MARKER), None)

    assert response["status"] == "200"
    assert header(response, "content-type") == "image/avif"
    image = Image.open(io.BytesIO(base64.b64decode(response["body"])))
    assert image.size == (300, 225)
    assert sum(count for line, count in sent.items() if line.startswith("PUT")) == ATTEMPTS
    assert len(sleeps) == ATTEMPTS - 1
    # Never half written: the variant is absent, or exactly the served bytes. (moto applies a PUT even when a
    # before-send hook answers it with a fault, as real S3 may when the connection drops after the upload;
    # the write is atomic and conditional either way.)
    assert stored_variant(s3) in (None, base64.b64decode(response["body"]))


def test_oversize_variant_whose_put_fails_is_a_503_no_store(
    s3: S3Client, handlers: Handlers, sleeps: list[float]
) -> None:
    config = config_with(s3_max_attempts=ATTEMPTS, max_response_bytes=500)
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=png())
    stores, _ = inject(config, "PUT", lambda: _s3_error(503, "SlowDown"))
    response = handlers.origin(config, stores=stores)(origin_event(403, URI, MARKER), None)
    assert (response["status"], header(response, "cache-control")) == ("503", "no-store")
    assert "location" not in response["headers"]
    assert variant_count(s3) <= 1


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_one_transient_fault_is_invisible(
    s3: S3Client, handlers: Handlers, config: Config, sleeps: list[float], method: str
) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=png())
    stores, _ = inject(config, method, lambda: _s3_error(503, "SlowDown"), times=1)
    response = handlers.origin(config, stores=stores)(origin_event(403, URI, MARKER), None)
    assert response["status"] == "200"
    assert len(sleeps) == 1
    stored = s3.get_object(Bucket=TEST_BUCKET, Key=VARIANT)["Body"].read()
    assert stored == base64.b64decode(response["body"])


def test_a_put_that_never_overwrites_survives_faults_on_an_existing_variant(
    s3: S3Client, handlers: Handlers, config: Config, sleeps: list[float]
) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=png())
    s3.put_object(Bucket=TEST_BUCKET, Key=VARIANT, Body=b"earlier render")
    stores, _ = inject(config, "PUT", lambda: _s3_error(500, "InternalError"), times=1)
    response = handlers.origin(config, stores=stores)(origin_event(403, URI, MARKER), None)
    assert response["status"] == "200"
    assert s3.get_object(Bucket=TEST_BUCKET, Key=VARIANT)["Body"].read() == b"earlier render"
