"""The real origin-response handler on documented CloudFront events, against moto S3."""

import base64
import hashlib
import io
import json
import time
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from PIL import Image

from origin_response.handler import handler as origin_entry_point
from tests.conftest import (
    TEST_BUCKET,
    ConfigSetter,
    Handler,
    Handlers,
    LogRecorder,
    S3Client,
    config_with,
    origin_event,
    own_s3_client,
    stores_on,
)


@pytest.fixture
def handler(handlers: Handlers) -> Handler:
    """The origin-response handler of the default configuration."""
    return handlers.origin()


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (800, 600), mode: str = "RGBA") -> bytes:
    image = Image.new(mode, size, (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def put(s3: S3Client, key: str, body: bytes, content_type: str = "image/png") -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=body, ContentType=content_type)


def decoded(response: dict[str, Any]) -> Image.Image:
    assert response["bodyEncoding"] == "base64"
    return Image.open(io.BytesIO(base64.b64decode(response["body"])))


def header(response: dict[str, Any], name: str) -> str:
    entries = response["headers"][name]
    assert entries[0]["key"].lower() == name
    return str(entries[0]["value"])


@pytest.mark.parametrize("status", [403, 404])
def test_miss_renders_stores_and_returns_the_variant_inline(s3: S3Client, handler: Handler, status: int) -> None:
    put(s3, "photos/cat.png", image_bytes())
    response = handler(origin_event(status, "/300/photos/cat.avif", "/photos/cat.png"), None)

    assert response["status"] == "200"
    assert header(response, "content-type") == "image/avif"
    assert header(response, "cache-control") == "public, max-age=31536000, immutable"
    image = decoded(response)
    assert (image.format, image.size) == ("AVIF", (300, 225))
    # The S3 403/404 answer carried Transfer-Encoding, which origin-response may not change.
    assert response["headers"]["transfer-encoding"] == [{"key": "Transfer-Encoding", "value": "chunked"}]

    stored = s3.get_object(Bucket=TEST_BUCKET, Key="300/photos/cat.avif")
    assert stored["Body"].read() == base64.b64decode(response["body"])
    assert stored["ContentType"] == "image/avif"
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    assert stored["Metadata"]["imgedge-source"] == "photos/cat.png"
    original_etag = s3.head_object(Bucket=TEST_BUCKET, Key="photos/cat.png")["ETag"].strip('"')
    assert stored["Metadata"]["imgedge-source-etag"] == original_etag


@pytest.mark.parametrize("status", [200, 304])
def test_hits_pass_through_unchanged_but_for_object_metadata_and_vary(
    s3: S3Client, handler: Handler, status: int
) -> None:
    event = origin_event(status, "/300/photos/cat.avif", "/photos/cat.png")
    expected = json.loads(json.dumps(event["Records"][0]["cf"]["response"]))
    expected["headers"] = {k: v for k, v in expected["headers"].items() if not k.startswith("x-amz-meta-")}
    expected["headers"]["vary"] = [{"key": "Vary", "value": "Accept"}]
    assert handler(event, None) == expected
    assert s3.list_objects_v2(Bucket=TEST_BUCKET)["KeyCount"] == 0


@pytest.mark.parametrize("status", [200, 304, 403])
def test_object_metadata_never_reaches_viewers(s3: S3Client, handler: Handler, status: int) -> None:
    put(s3, "photos/cat.png", image_bytes())
    event = origin_event(status, "/300/photos/cat.avif", "/photos/cat.png")
    headers = event["Records"][0]["cf"]["response"]["headers"]
    expected = {k: v for k, v in json.loads(json.dumps(headers)).items() if not k.startswith("x-amz-meta-")}
    for name, value in (("imgedge-source", "photos/cat.png"), ("imgedge-source-etag", '"abc"')):
        headers[f"x-amz-meta-{name}"] = [{"key": f"X-Amz-Meta-{name.title()}", "value": value}]
    response = handler(event, None)
    assert [name for name in response["headers"] if name.startswith("x-amz-meta-")] == []
    if status != 403:  # a hit passes through with everything else unchanged (Vary: Accept added)
        assert {k: v for k, v in response["headers"].items() if k != "vary"} == expected


@pytest.mark.parametrize(("status", "uri"), [(200, "/photos/cat.png"), (304, "/photos/cat.png"), (500, "/300/a.avif")])
def test_originals_and_other_statuses_pass_through_untouched_but_for_object_metadata(
    s3: S3Client, handler: Handler, status: int, uri: str
) -> None:
    event = origin_event(200, uri, None)
    event["Records"][0]["cf"]["response"]["status"] = str(status)
    expected = json.loads(json.dumps(event["Records"][0]["cf"]["response"]))
    expected["headers"] = {k: v for k, v in expected["headers"].items() if not k.startswith("x-amz-meta-")}
    assert handler(event, None) == expected


def test_vary_from_s3_is_kept_and_accept_added_once(s3: S3Client, handler: Handler) -> None:
    event = origin_event(200, "/300/photos/cat.avif", "/photos/cat.png")
    event["Records"][0]["cf"]["response"]["headers"]["vary"] = [{"key": "Vary", "value": "Origin"}]
    assert handler(event, None)["headers"]["vary"] == [{"key": "Vary", "value": "Origin, Accept"}]
    event["Records"][0]["cf"]["response"]["headers"]["vary"] = [{"key": "Vary", "value": "accept, Origin"}]
    assert handler(event, None)["headers"]["vary"] == [{"key": "Vary", "value": "accept, Origin"}]


def test_inline_render_has_vary_and_the_validators_s3_returns_for_the_stored_copy(
    s3: S3Client, handler: Handler
) -> None:
    put(s3, "photos/cat.png", image_bytes())
    before = time.time()
    response = handler(origin_event(403, "/640/photos/cat.webp", "/photos/cat.png"), None)
    after = time.time()
    assert response["status"] == "200"
    assert header(response, "vary") == "Accept"
    stored = s3.head_object(Bucket=TEST_BUCKET, Key="640/photos/cat.webp")
    # The same validator S3 (moto) gives the object the inline bytes were stored as.
    assert header(response, "etag") == stored["ETag"]
    assert header(response, "etag") == '"' + hashlib.md5(base64.b64decode(response["body"])).hexdigest() + '"'
    modified = parsedate_to_datetime(header(response, "last-modified"))
    assert header(response, "last-modified").endswith(" GMT")
    assert int(before) <= modified.timestamp() <= after
    # Not earlier than the stored object's: If-Modified-Since with the inline date revalidates against S3.
    assert modified >= stored["LastModified"].replace(microsecond=0)


def test_vary_accept_off_sends_no_vary(s3: S3Client, handlers: Handlers) -> None:
    handler = handlers.origin(config_with(vary_accept=False))
    put(s3, "photos/cat.png", image_bytes())
    inline = handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    assert "vary" not in inline["headers"]
    assert "etag" in inline["headers"]
    hit = origin_event(200, "/300/photos/cat.avif", "/photos/cat.png")
    assert "vary" not in handler(hit, None)["headers"]


def test_second_request_is_served_from_s3(s3: S3Client, handler: Handler) -> None:
    put(s3, "photos/cat.png", image_bytes())
    first = handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    assert first["status"] == "200"
    # CloudFront now finds the object in S3: the origin answers 200 and the function must not touch it.
    second_event = origin_event(200, "/300/photos/cat.avif", "/photos/cat.png")
    passed = handler(second_event, None)
    assert passed["status"] == "200"
    assert "body" not in passed  # S3's own body goes to the viewer
    expected = second_event["Records"][0]["cf"]["response"]["headers"]
    assert {k: v for k, v in passed["headers"].items() if k != "vary"} == {
        k: v for k, v in expected.items() if not k.startswith("x-amz-meta-")
    }
    assert passed["headers"]["vary"] == [{"key": "Vary", "value": "Accept"}]


@pytest.mark.parametrize("uri", ["/robots.txt", "/docs/readme", "/photos/.png", "/a/b.svg"])
def test_miss_for_a_path_that_is_not_an_image_passes_through(s3: S3Client, handler: Handler, uri: str) -> None:
    event = origin_event(403, uri, None)
    assert handler(event, None) == event["Records"][0]["cf"]["response"]


@pytest.mark.parametrize("status", [403, 404])
@pytest.mark.parametrize("uri", ["/photos/missing.jpg", "/photos/missing.PNG", "/a/b.tiff", "/x.avif", "/300/x.WEBP"])
def test_missing_image_without_a_query_is_the_same_404_as_with_one(
    s3: S3Client, handler: Handler, status: int, uri: str
) -> None:
    with_query = handler(origin_event(status, "/300/photos/missing.avif", "/photos/missing.jpg?w=300"), None)
    plain = handler(origin_event(status, uri, None), None)
    assert plain["status"] == with_query["status"] == "404"
    assert plain["body"] == with_query["body"] == "original image not found\n"
    for name in ("content-type", "cache-control"):
        assert header(plain, name) == header(with_query, name)
    assert header(plain, "cache-control") == "public, max-age=60"
    assert header(plain, "content-type") == "text/plain; charset=utf-8"
    assert "xml" not in json.dumps(plain).lower()
    # origin-response may not change Transfer-Encoding: S3's value is carried over.
    assert plain["headers"]["transfer-encoding"] == [{"key": "Transfer-Encoding", "value": "chunked"}]


def test_missing_original_is_a_short_cached_404(s3: S3Client, handler: Handler) -> None:
    response = handler(origin_event(403, "/300/photos/none.avif", "/photos/none.png"), None)
    assert response["status"] == "404"
    assert header(response, "cache-control") == "public, max-age=60"
    assert response["body"] == "original image not found\n"


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"<html><body>Error</body></html>", "415", "original is not a supported image\n"),
        (b"", "415", "original is not a supported image\n"),
        (image_bytes("JPEG", mode="RGB")[:2000], "422", "original image is corrupt or truncated\n"),
    ],
)
def test_bad_original_is_a_4xx_with_its_reason(
    s3: S3Client, handler: Handler, body: bytes, status: str, reason: str
) -> None:
    put(s3, "photos/cat.jpg", body, "image/jpeg")
    response = handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.jpg"), None)
    assert (response["status"], response["body"]) == (status, reason)
    assert header(response, "cache-control") == "public, max-age=60"
    assert s3.list_objects_v2(Bucket=TEST_BUCKET, Prefix="300/")["KeyCount"] == 0


def test_original_over_the_byte_limit_is_refused(s3: S3Client, handlers: Handlers) -> None:
    handler = handlers.origin(config_with(max_source_bytes=1000))
    put(s3, "photos/cat.png", image_bytes())
    response = handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    assert (response["status"], response["body"]) == ("422", "original image exceeds the size limits\n")


def test_concurrent_render_that_lost_the_race_is_not_an_error(s3: S3Client, handler: Handler) -> None:
    put(s3, "photos/cat.png", image_bytes())
    # Another render stored the variant after S3 answered 403 to this request.
    put(s3, "300/photos/cat.avif", b"winner's bytes", "image/avif")
    response = handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    assert response["status"] == "200"
    assert decoded(response).size == (300, 225)
    assert s3.get_object(Bucket=TEST_BUCKET, Key="300/photos/cat.avif")["Body"].read() == b"winner's bytes"


def test_oversize_variant_is_stored_and_the_viewer_redirected(s3: S3Client, handlers: Handlers) -> None:
    handler = handlers.origin(config_with(max_response_bytes=500))
    put(s3, "photos/cat.png", image_bytes())
    response = handler(origin_event(403, "/300x200-contain-q60/photos/cat.avif", "/photos/cat.png"), None)
    assert response["status"] == "302"
    assert header(response, "location") == "/photos/cat.png?w=300&h=200&fit=contain&q=60&format=avif"
    assert header(response, "cache-control") == "no-store"
    assert "body" not in response
    stored = s3.get_object(Bucket=TEST_BUCKET, Key="300x200-contain-q60/photos/cat.avif")
    assert Image.open(io.BytesIO(stored["Body"].read())).size == (300, 200)


def test_unreachable_storage_is_a_503_never_cached(s3: S3Client, handlers: Handlers) -> None:
    handler = handlers.origin(config_with(bucket="no-such-bucket", s3_max_attempts=2))
    response = handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    assert response["status"] == "503"
    assert header(response, "cache-control") == "no-store"
    assert response["body"] == "storage temporarily unavailable\n"


def test_throttled_storage_is_retried_then_a_503(
    s3: S3Client, handlers: Handlers, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_with(s3_max_attempts=2, s3_connect_timeout=0.2)
    # Nothing listens on port 9 of loopback: every connection is refused, then retried, then given up.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    handler = handlers.origin(config, stores=stores_on(own_s3_client(config), config))
    response = handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    assert (response["status"], header(response, "cache-control")) == ("503", "no-store")


def test_without_the_marker_the_original_is_found_by_probing(s3: S3Client, handler: Handler) -> None:
    put(s3, "photos/cat.webp", image_bytes("WEBP"))
    response = handler(origin_event(403, "/300/photos/cat.avif", None), None)
    assert response["status"] == "200"
    assert s3.head_object(Bucket=TEST_BUCKET, Key="300/photos/cat.avif")["Metadata"]["imgedge-source"] == (
        "photos/cat.webp"
    )


def test_originals_differing_only_by_extension_the_earliest_configured_wins(s3: S3Client, handler: Handler) -> None:
    put(s3, "a.png", image_bytes("PNG", size=(400, 400)))
    put(s3, "a.jpg", image_bytes("JPEG", size=(800, 400), mode="RGB"), "image/jpeg")
    response = handler(origin_event(403, "/300/a.avif", "/a.png"), None)
    assert decoded(response).size == (300, 150)  # from a.jpg: jpg precedes png in source_extensions


def test_marker_that_disagrees_with_the_key_is_refused(s3: S3Client, handler: Handler) -> None:
    put(s3, "secret/other.png", image_bytes())
    response = handler(origin_event(403, "/300/photos/cat.avif", "/secret/other.png"), None)
    assert (response["status"], response["body"]) == ("400", "marker does not match the variant key\n")


def test_key_outside_the_size_policy_is_refused(s3: S3Client, handler: Handler) -> None:
    put(s3, "photos/cat.png", image_bytes())
    response = handler(origin_event(403, "/301/photos/cat.avif", None), None)
    assert (response["status"], response["body"]) == ("400", "w=301 is not an allowed size\n")
    assert s3.list_objects_v2(Bucket=TEST_BUCKET, Prefix="301/")["KeyCount"] == 0


def test_variants_are_tagged_when_configured(s3: S3Client, handlers: Handlers) -> None:
    handler = handlers.origin(config_with(tag_variants=True))
    put(s3, "photos/cat.png", image_bytes())
    handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    tags = s3.get_object_tagging(Bucket=TEST_BUCKET, Key="300/photos/cat.avif")["TagSet"]
    assert tags == [{"Key": "imgedge", "Value": "variant"}]
    assert s3.get_object_tagging(Bucket=TEST_BUCKET, Key="photos/cat.png")["TagSet"] == []


def test_the_lambda_entry_point_logs_one_json_line_with_stage_timings(
    s3: S3Client, bundled_config: ConfigSetter, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through ``handler``, the function Lambda runs (the bundled configuration, here the defaults; stdout)."""
    put(s3, "photos/cat.png", image_bytes())
    origin_entry_point(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["fn"] == "origin-response"
    assert (record["uri"], record["status"], record["action"], record["stored"]) == (
        "/300/photos/cat.avif",
        200,
        "inline",
        "written",
    )
    assert record["bytes_in"] > record["bytes_out"] > 0
    for stage in ("ms_fetch", "ms_decode", "ms_transform", "ms_encode", "ms_store", "ms_total"):
        assert record[stage] >= 0


@pytest.mark.parametrize("status", [403, 404])
def test_presets_only_renders_no_variant_key_requested_directly(s3: S3Client, handlers: Handlers, status: int) -> None:
    handler = handlers.origin(config_with(presets={"thumb": {"w": 300}}, presets_only=True))
    put(s3, "photos/cat.png", image_bytes())
    for uri in ("/300/photos/cat.avif", "/640x640-fill-q100/photos/cat.png"):  # a preset's key and another one
        response = handler(origin_event(status, uri, None), None)
        assert (response["status"], response["body"]) == ("404", "original image not found\n")
    assert [obj["Key"] for obj in s3.list_objects_v2(Bucket=TEST_BUCKET)["Contents"]] == ["photos/cat.png"]


def test_presets_only_renders_a_miss_marked_by_viewer_request(s3: S3Client, handlers: Handlers) -> None:
    handler = handlers.origin(config_with(presets={"thumb": {"w": 300}}, presets_only=True))
    put(s3, "photos/cat.png", image_bytes())
    response = handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    assert response["status"] == "200"
    assert decoded(response).size == (300, 225)
    assert s3.head_object(Bucket=TEST_BUCKET, Key="300/photos/cat.avif")["ContentType"] == "image/avif"


# --- an original and a variant never meet (issue 12) ---------------------------------------------------------


def _without_variant_metadata(event: dict[str, Any]) -> dict[str, Any]:
    headers = event["Records"][0]["cf"]["response"]["headers"]
    for name in [name for name in headers if name.startswith("x-amz-meta-")]:
        del headers[name]
    return event


def test_an_original_at_a_variant_key_is_refused_not_served(s3: S3Client, handler: Handler, logs: LogRecorder) -> None:
    # /team/ann.png?w=300&format=jpeg maps to /300/team/ann.jpg, where S3 holds the unrelated original
    # 300/team/ann.jpg: its 200 carries no variant metadata.
    event = _without_variant_metadata(origin_event(200, "/300/team/ann.jpg", "/team/ann.png?w=300&format=jpeg"))
    response = handler(event, None)
    assert response["status"] == "409"
    assert header(response, "cache-control") == "no-store"
    assert "original" in response["body"]
    assert "variant_prefix" in response["body"]
    log = logs.records("origin-response")[-1]
    assert (log["action"], log["status"]) == ("refused", 409)


def test_a_variant_of_another_original_is_refused(s3: S3Client, handler: Handler) -> None:
    event = origin_event(200, "/300/photos/cat.avif", "/photos/cat.png")
    event["Records"][0]["cf"]["response"]["headers"]["x-amz-meta-imgedge-source"][0]["value"] = "photos/dog.png"
    assert handler(event, None)["status"] == "409"


def test_a_stored_variant_and_a_not_modified_pass(s3: S3Client, handler: Handler) -> None:
    stored = origin_event(200, "/300/photos/cat.avif", "/photos/cat.png")  # carries x-amz-meta-imgedge-source
    passed = handler(stored, None)
    assert (passed["status"], "body" in passed) == ("200", False)
    not_modified = _without_variant_metadata(origin_event(304, "/300/photos/cat.avif", "/photos/cat.png"))
    assert handler(not_modified, None)["status"] == "304"


def test_an_original_outside_the_variant_keys_passes(s3: S3Client, handlers: Handlers) -> None:
    handler = handlers.origin(config_with(variant_prefix="_v"))
    # With variant_prefix, /300/team/ann.jpg is no variant key: an original, served untouched.
    event = _without_variant_metadata(origin_event(200, "/300/team/ann.jpg", None))
    assert handler(event, None)["status"] == "200"
    refused = _without_variant_metadata(origin_event(200, "/_v/team/ann/300.jpg", None))
    assert handler(refused, None)["status"] == "409"


def test_nothing_renders_from_a_stored_variant(s3: S3Client, handler: Handler) -> None:
    put(s3, "photos/cat.png", image_bytes())
    assert handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)["status"] == "200"
    # /300/300/photos/cat.avif asked directly: its "original" 300/photos/cat.avif is the variant just stored.
    response = handler(origin_event(403, "/300/300/photos/cat.avif", None), None)
    assert response["status"] == "409"
    assert header(response, "cache-control") == "no-store"
    assert "variant" in response["body"]
    assert "300/300/photos/cat.avif" not in {o["Key"] for o in s3.list_objects_v2(Bucket=TEST_BUCKET)["Contents"]}


def test_with_variant_prefix_the_variant_is_stored_under_it(s3: S3Client, handlers: Handlers) -> None:
    handler = handlers.origin(config_with(variant_prefix="_v"))
    put(s3, "2024/beach.png", image_bytes())
    response = handler(origin_event(403, "/_v/2024/beach/300.avif", "/2024/beach.png"), None)
    assert response["status"] == "200"
    stored = s3.head_object(Bucket=TEST_BUCKET, Key="_v/2024/beach/300.avif")
    assert stored["Metadata"]["imgedge-source"] == "2024/beach.png"


def test_widths_above_the_original_each_store_the_original_size_under_their_own_key(
    s3: S3Client, handler: Handler
) -> None:
    # The chosen contract (docs/url-api.md, "Sizes above the original's"): never enlarged; every key is its own variant.
    put(s3, "photos/wide.png", image_bytes(size=(1600, 1000)))
    bodies = {}
    for width in (1600, 1920, 2560, 3840):
        response = handler(origin_event(403, f"/{width}/photos/wide.webp", "/photos/wide.png"), None)
        assert response["status"] == "200"
        assert decoded(response).size == (1600, 1000)
        bodies[width] = s3.get_object(Bucket=TEST_BUCKET, Key=f"{width}/photos/wide.webp")["Body"].read()
    assert len(set(bodies.values())) == 1  # identical copies, one per key


@pytest.mark.parametrize("marker", ["/photos/cat.png?w=auto", "/photos/cat.png?w=828", None])
def test_client_hints_vary_on_renders_and_hits_whatever_the_marker(
    s3: S3Client, handlers: Handlers, marker: str | None
) -> None:
    # CloudFront keeps one object per key, filled by whichever URL came first: ?w=auto and ?w=828 share it.
    hinted = "Accept, Sec-CH-Width, Sec-CH-Viewport-Width, Sec-CH-DPR"
    handler = handlers.origin(config_with(client_hints=True))
    put(s3, "photos/cat.png", image_bytes())
    inline = handler(origin_event(403, "/828/photos/cat.webp", marker), None)
    assert (inline["status"], header(inline, "vary")) == ("200", hinted)
    hit = handler(origin_event(200, "/828/photos/cat.webp", marker), None)
    assert header(hit, "vary") == hinted


def test_without_client_hints_vary_names_no_hint(s3: S3Client, handler: Handler) -> None:
    put(s3, "photos/cat.png", image_bytes())
    inline = handler(origin_event(403, "/828/photos/cat.webp", "/photos/cat.png?w=828"), None)
    assert header(inline, "vary") == "Accept"


# --- outputs an encoder cannot hold (issue 14) ---------------------------------------------------------------


def test_a_negotiated_format_that_cannot_hold_the_output_falls_back_and_says_so(s3: S3Client, handler: Handler) -> None:
    # A 100 x 20000 page screenshot asked for at its own width: WebP stops at 16383 px a side.
    put(s3, "photos/page.png", image_bytes(size=(100, 20000), mode="RGB"))
    response = handler(origin_event(403, "/100/photos/page.webp", "/photos/page.png?w=100"), None)
    assert response["status"] == "200"
    assert header(response, "content-type") == "image/png"  # the original's family, which can hold it
    image = decoded(response)
    assert (image.format, image.size) == ("PNG", (100, 20000))
    stored = s3.head_object(Bucket=TEST_BUCKET, Key="100/photos/page.webp")
    assert stored["ContentType"] == "image/png"  # served from S3 later with the type of its bytes


def test_an_explicit_format_that_cannot_hold_the_output_is_a_422_naming_the_limit(
    s3: S3Client, handler: Handler
) -> None:
    put(s3, "photos/page.png", image_bytes(size=(100, 20000), mode="RGB"))
    response = handler(origin_event(403, "/100/photos/page.webp", "/photos/page.png?w=100&format=webp"), None)
    assert response["status"] == "422"
    assert "webp limit of 16383 px" in response["body"]
    assert "corrupt" not in response["body"]  # the original is fine; the encoder has a limit
    assert s3.list_objects_v2(Bucket=TEST_BUCKET, Prefix="100/")["KeyCount"] == 0
