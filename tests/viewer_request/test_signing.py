"""Signed URLs end to end: the real viewer-request handler fetching its key from moto's Secrets Manager over HTTP
(the stdlib SigV4 client), and origin-response refusing unmarked renders while signatures are on."""

import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from PIL import Image

from edge import signing
from edge.config import Config
from edge.signing import signature, signed_query
from tests.conftest import (
    TEST_BUCKET,
    ConfigSetter,
    Handler,
    Handlers,
    LogRecorder,
    S3Client,
    config_with,
    origin_event,
    viewer_event,
)
from tests.moto_server import moto_server
from viewer_request.handler import handler as viewer_entry_point

SECRET = "imgedge/signing-e2e"
NEW_KEY = "n" * 40
OLD_KEY = "o" * 40
AVIF = "image/avif,image/webp,*/*"
WEBP = "image/webp,*/*"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with moto_server() as url:
        client = boto3.client(
            "secretsmanager", region_name="us-east-1", endpoint_url=url,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip
        client.create_secret(Name=SECRET, SecretString=f'{{"keys": ["{NEW_KEY}", "{OLD_KEY}"]}}')
        yield url


@pytest.fixture
def secrets_manager(server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Moto's Secrets Manager and credentials in the environment, where the stdlib client finds them."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": server,
    }.items():
        monkeypatch.setenv(name, value)
    return server


SIGNED = {"signature_mode": "required", "signature_secret_id": SECRET, "presets": {"thumb": {"w": 200, "h": 200}}}


@pytest.fixture
def signed_config(secrets_manager: str) -> Config:
    return config_with(**SIGNED)


def secret_keys(config: Config) -> signing.KeyCache:
    """A new key cache for the secret of ``config``, made by the code of ``edge.signing.key_cache`` (fetching
    through the stdlib client) but not through its per-container cache: the handler's own."""
    secret_id = config.signing.signature_secret_id
    assert secret_id is not None
    return signing.key_cache.__wrapped__(
        secret_id, config.signing.signature_secret_region, config.signing.signature_secret_ttl
    )


@pytest.fixture
def viewer_of(handlers: Handlers) -> Callable[[Config], Handler]:
    """``viewer_of(config)``: the viewer-request handler of ``config``, with a key cache of its own."""
    return lambda config: handlers.viewer(config, signing_keys=secret_keys(config))


@pytest.fixture
def new_container(bundled_config: ConfigSetter) -> Iterator[ConfigSetter]:
    """For the Lambda entry point: ``bundled_config``, and no signing keys cached in the container yet."""
    signing.key_cache.cache_clear()
    yield bundled_config
    signing.key_cache.cache_clear()


def _status(result: dict[str, Any]) -> str:
    return str(result.get("status", "forwarded"))


def test_a_signed_url_is_rewritten_for_every_browser(secrets_manager: str, new_container: ConfigSetter) -> None:
    """Through ``handler``, the function Lambda runs: the secret of the bundled configuration, fetched once."""
    signed_config = new_container(**SIGNED)
    viewer_handler = viewer_entry_point
    query = signed_query("/photos/cat.jpg", "w=300", NEW_KEY.encode(), signed_config)
    avif = viewer_handler(viewer_event("/photos/cat.jpg", query, accept=AVIF), None)
    webp = viewer_handler(viewer_event("/photos/cat.jpg", query, accept=WEBP), None)
    plain = viewer_handler(viewer_event("/photos/cat.jpg", query, accept="*/*"), None)
    assert [avif["uri"], webp["uri"], plain["uri"]] == [
        "/300/photos/cat.avif", "/300/photos/cat.webp", "/300/photos/cat.jpg",
    ]  # fmt: skip
    assert avif["querystring"] == ""  # s is gone, never part of the key
    old = signed_query("/photos/cat.jpg", "w=300", OLD_KEY.encode(), signed_config)
    assert viewer_handler(viewer_event("/photos/cat.jpg", old), None)["uri"] == "/300/photos/cat.avif"
    assert signing.key_cache(SECRET, "us-east-1", 300).fetches == 1  # fetched once per container


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("w=300", "signature required"),
        ("w=300&s=AAAAAAAAAAAAAAAAAAAAAA", "invalid signature"),
        ("preset=thumb", "signature required"),  # required mode: presets too
    ],
)
def test_missing_or_bad_signatures_are_a_403(
    signed_config: Config, viewer_of: Callable[[Config], Handler], query: str, reason: str
) -> None:
    viewer_handler = viewer_of(signed_config)
    result = viewer_handler(viewer_event("/photos/cat.jpg", query), None)
    assert result["status"] == "403"
    assert result["body"] == f"{reason}\n"
    assert result["headers"]["content-type"][0]["value"].startswith("text/plain")
    assert result["headers"]["cache-control"][0]["value"] == "public, max-age=60"


def test_a_tampered_url_is_a_403(signed_config: Config, viewer_of: Callable[[Config], Handler]) -> None:
    viewer_handler = viewer_of(signed_config)
    query = signed_query("/photos/cat.jpg", "w=300", NEW_KEY.encode(), signed_config)
    tampered = query.replace("w=300", "w=1200")
    assert viewer_handler(viewer_event("/photos/cat.jpg", tampered), None)["status"] == "403"
    assert viewer_handler(viewer_event("/photos/dog.jpg", query), None)["status"] == "403"


def test_originals_and_bad_urls_are_unaffected(signed_config: Config, viewer_of: Callable[[Config], Handler]) -> None:
    viewer_handler = viewer_of(signed_config)
    assert _status(viewer_handler(viewer_event("/photos/cat.jpg", ""), None)) == "forwarded"
    assert viewer_handler(viewer_event("/photos/cat.jpg", "w=abc"), None)["status"] == "400"


def test_outside_presets_mode_lets_presets_through(
    server: str, signed_config: Config, viewer_of: Callable[[Config], Handler]
) -> None:
    viewer_handler = viewer_of(
        config_with(
            signature_mode="outside-presets", signature_secret_id=SECRET, presets={"thumb": {"w": 200, "h": 200}}
        )
    )
    assert viewer_handler(viewer_event("/photos/cat.jpg", "preset=thumb"), None)["uri"] == "/200x200/photos/cat.avif"
    assert viewer_handler(viewer_event("/photos/cat.jpg", "w=200&h=200"), None)["status"] == "403"


def test_an_expired_url_is_a_403_and_a_live_one_renders(
    signed_config: Config, viewer_of: Callable[[Config], Handler]
) -> None:
    viewer_handler = viewer_of(signed_config)
    live = signed_query("/photos/cat.jpg", "w=300", NEW_KEY.encode(), signed_config, expires=int(time.time()) + 600)
    assert viewer_handler(viewer_event("/photos/cat.jpg", live), None)["uri"] == "/300/photos/cat.avif"
    expired = signed_query("/photos/cat.jpg", "w=300", NEW_KEY.encode(), signed_config, expires=int(time.time()) - 1)
    result = viewer_handler(viewer_event("/photos/cat.jpg", expired), None)
    assert (result["status"], result["body"]) == ("403", "signature expired\n")


def test_a_signature_for_one_extension_is_refused_for_another(
    signed_config: Config, viewer_of: Callable[[Config], Handler]
) -> None:
    viewer_handler = viewer_of(signed_config)
    query = signed_query("/photos/cat.jpg", "w=300&format=webp", NEW_KEY.encode(), signed_config)
    assert viewer_handler(viewer_event("/photos/cat.jpg", query), None)["uri"] == "/300/photos/cat.webp"
    assert viewer_handler(viewer_event("/photos/cat.png", query), None)["status"] == "403"


def test_a_503_logs_an_error_line(
    signed_config: Config, viewer_of: Callable[[Config], Handler], logs: LogRecorder
) -> None:
    viewer_handler = viewer_of(config_with(signature_mode="required", signature_secret_id="imgedge/no-such-secret"))
    query = signed_query("/photos/cat.jpg", "w=300", NEW_KEY.encode(), signed_config)
    assert viewer_handler(viewer_event("/photos/cat.jpg", query), None)["status"] == "503"
    line = logs.records("viewer-request")[-1]
    assert (line["status"], line["level"]) == (503, "error")
    assert line["detail"]


# Before the tests using the s3 fixture: leaving mock_aws resets the backends that the in-process moto server shares.
def test_under_a_watermark_a_bare_original_needs_the_signature_of_its_rendition(
    server: str, signed_config: Config, viewer_of: Callable[[Config], Handler]
) -> None:
    config = config_with(
        signature_mode="required", signature_secret_id=SECRET, watermark="brand/logo.png",
        watermark_rendition="w=640",
    )  # fmt: skip
    viewer_handler = viewer_of(config)
    # The original is no longer served as it is: unsigned, the bare URL is refused like any image URL.
    assert viewer_handler(viewer_event("/photos/cat.jpg", ""), None)["status"] == "403"
    assert viewer_handler(viewer_event("/photos/cat.jpg", "utm_source=x"), None)["status"] == "403"
    query = signed_query("/photos/cat.jpg", "", NEW_KEY.encode(), config)
    request = viewer_handler(viewer_event("/photos/cat.jpg", query, accept=AVIF), None)
    assert request.get("uri") == "/640/photos/cat.avif", request
    # The signature binds the rendition of this original, not another one.
    assert viewer_handler(viewer_event("/photos/dog.jpg", query), None)["status"] == "403"


def test_keys_unavailable_fail_closed_with_a_503(signed_config: Config, viewer_of: Callable[[Config], Handler]) -> None:
    viewer_handler = viewer_of(config_with(signature_mode="required", signature_secret_id="imgedge/no-such-secret"))
    query = "w=300&s=" + signature(NEW_KEY.encode(), "/300/photos/cat.jpg")
    result = viewer_handler(viewer_event("/photos/cat.jpg", query), None)
    assert result["status"] == "503"
    assert result["headers"]["cache-control"][0]["value"] == "no-store"


def test_origin_response_refuses_unmarked_misses_while_signing(
    s3: S3Client, signed_config: Config, handlers: Handlers
) -> None:
    origin_handler = handlers.origin(signed_config)
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=_png())
    # A variant key requested directly (no marker: viewer-request passed it through unsigned) never renders.
    unmarked = origin_handler(origin_event(403, "/300/photos/cat.avif", None), None)
    assert unmarked["status"] == "403"
    assert unmarked["headers"]["cache-control"][0]["value"] == "no-store"
    assert "Contents" not in s3.list_objects_v2(Bucket=TEST_BUCKET, Prefix="300/")
    marked = origin_handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    assert marked["status"] == "200"


def test_oversize_redirects_go_to_the_variant_key_while_signing(
    s3: S3Client, signed_config: Config, handlers: Handlers
) -> None:
    origin_handler = handlers.origin(
        config_with(signature_mode="required", signature_secret_id=SECRET, max_response_bytes=10)
    )
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=_png())
    result = origin_handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    assert result["status"] == "302"
    assert result["headers"]["location"][0]["value"] == "/300/photos/cat.avif"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()
