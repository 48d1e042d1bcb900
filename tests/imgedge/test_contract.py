"""The Lambda@Edge contract checker: real handler results pass, and each rule catches its broken result."""

import base64
import copy
import io
from typing import Any

import pytest
from PIL import Image

from imgedge import contract
from imgedge.contract import Rule
from tests.conftest import TEST_BUCKET, Handlers, S3Client, load_event, origin_event, viewer_event


def rules(event: dict[str, Any], result: object) -> set[Rule]:
    return {violation.rule for violation in contract.check(event, result)}


def generated(status: Any = "200", body: str = "ok", **extra: Any) -> dict[str, Any]:
    return {
        "status": status,
        "statusDescription": "OK",
        "headers": {"content-type": [{"key": "Content-Type", "value": "text/plain"}]},
        "body": body,
        **extra,
    }


def origin_200() -> tuple[dict[str, Any], dict[str, Any]]:
    """The documented origin-response event and its pass-through result."""
    event = load_event("origin-response-200")
    return event, copy.deepcopy(event["Records"][0]["cf"]["response"])


def viewer_pass() -> tuple[dict[str, Any], dict[str, Any]]:
    event = viewer_event("/photos/cat.png", "w=300")
    return event, copy.deepcopy(event["Records"][0]["cf"]["request"])


# --- real handler results are accepted --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "querystring"),
    [("/photos/cat.png", "w=300"), ("/photos/cat.png", ""), ("/photos/cat.png", "w=abc"), ("/../x.png", "w=1")],
)
def test_viewer_request_results_pass(handlers: Handlers, uri: str, querystring: str) -> None:
    event = viewer_event(uri, querystring)
    assert contract.check(event, handlers.viewer()(copy.deepcopy(event), None)) == []


def test_origin_response_pass_through_passes(handlers: Handlers) -> None:
    event, _ = origin_200()
    assert contract.check(event, handlers.origin()(copy.deepcopy(event), None)) == []


def test_origin_response_inline_image_and_404_pass(s3: S3Client, handlers: Handlers) -> None:
    origin_handler = handlers.origin()
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(buffer, "PNG")
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=buffer.getvalue())
    event = origin_event(403, "/300/photos/cat.avif", "/photos/cat.png")
    result = origin_handler(copy.deepcopy(event), None)
    assert result["status"] == "200"
    assert result["bodyEncoding"] == "base64"
    assert contract.check(event, result) == []
    missing = origin_event(403, "/300/photos/none.avif", "/photos/none.png")
    result = origin_handler(copy.deepcopy(missing), None)
    assert result["status"] == "404"
    assert contract.check(missing, result) == []


# --- one test per rule ------------------------------------------------------------------------------------


def test_shape_result_not_an_object() -> None:
    event, _ = viewer_pass()
    assert rules(event, None) == {Rule.SHAPE}


def test_shape_request_uri_must_start_with_slash() -> None:
    event, request = viewer_pass()
    request["uri"] = "300/photos/cat.avif"
    assert rules(event, request) == {Rule.SHAPE}


def test_shape_url_too_long() -> None:
    event, request = viewer_pass()
    request["querystring"] = "a=" + "x" * 8200
    assert rules(event, request) == {Rule.SHAPE}


def test_status_must_be_a_string() -> None:
    event, response = origin_200()
    response["status"] = 200
    violations = contract.check(event, response)
    assert [v.rule for v in violations] == [Rule.STATUS]
    assert "string" in violations[0].message


def test_status_must_be_a_code_from_200_to_599() -> None:
    event = viewer_event("/photos/cat.png", "w=300")
    assert rules(event, generated(status="99")) == {Rule.STATUS}
    assert rules(event, generated(status="600")) == {Rule.STATUS}
    assert rules(event, generated(status="302")) == set()


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": [{"key": "Content-Type", "value": "text/plain"}]},  # not keyed by the lowercase name
        {"content-type": {"key": "Content-Type", "value": "text/plain"}},  # not a list
        {"content-type": []},  # empty list
        {"content-type": [{"key": "Content-Type"}]},  # no value
        {"content-type": [{"key": "Content-Type", "value": 3}]},  # value not a string
        {"content-type": [{"key": "Cache-Control", "value": "text/plain"}]},  # key names another header
        {"content-type": [{"key": "Content-Type", "value": "text/plain", "extra": "x"}]},  # unknown field
        {"x-a": [{"key": "X-A", "value": "a\r\nSet-Cookie: evil=1"}]},  # CR/LF in a value
        {"bad name": [{"key": "bad name", "value": "x"}]},  # not an HTTP token
        "content-type: text/plain",  # not an object
    ],
)
def test_malformed_headers(headers: object) -> None:
    event = viewer_event("/photos/cat.png", "w=300")
    assert rules(event, generated(headers=headers)) == {Rule.MALFORMED_HEADERS}


@pytest.mark.parametrize("name", ["connection", "keep-alive", "x-cache", "x-amz-cf-pop", "x-edge-location", "upgrade"])
def test_disallowed_headers(name: str) -> None:
    event, response = origin_200()
    response["headers"][name] = [{"key": name, "value": "x"}]
    assert rules(event, response) == {Rule.DISALLOWED_HEADER}


def test_read_only_header_changed_in_origin_response() -> None:
    event, response = origin_200()
    response["headers"]["via"] = [{"key": "Via", "value": "1.1 elsewhere"}]
    assert rules(event, response) == {Rule.READ_ONLY_HEADER}


def test_read_only_header_removed_in_origin_response() -> None:
    event = load_event("origin-response-403")
    response = copy.deepcopy(event["Records"][0]["cf"]["response"])
    del response["headers"]["transfer-encoding"]
    violations = contract.check(event, response)
    assert [v.rule for v in violations] == [Rule.READ_ONLY_HEADER]
    assert "transfer-encoding" in violations[0].message


def test_read_only_headers_of_viewer_request() -> None:
    event, request = viewer_pass()
    request["headers"]["host"] = [{"key": "Host", "value": "evil.example"}]
    assert rules(event, request) == {Rule.READ_ONLY_HEADER}
    event, request = viewer_pass()
    request["headers"]["cloudfront-viewer-country"] = [{"key": "CloudFront-Viewer-Country", "value": "FR"}]
    assert rules(event, request) == {Rule.READ_ONLY_HEADER}


def test_read_only_field_method() -> None:
    event, request = viewer_pass()
    request["method"] = "POST"
    assert rules(event, request) == {Rule.READ_ONLY_FIELD}


def test_body_encoding_must_be_text_or_base64() -> None:
    event, response = origin_200()
    response.update(body="x", bodyEncoding="gzip")
    assert rules(event, response) == {Rule.BODY_ENCODING}


def test_base64_body_must_decode() -> None:
    event, response = origin_200()
    response.update(body="not base64!!", bodyEncoding="base64")
    assert rules(event, response) == {Rule.BODY_ENCODING}
    response["body"] = base64.b64encode(b"\x89PNG").decode()
    assert rules(event, response) == set()


def test_size_limit_viewer_request_40_kib() -> None:
    event = viewer_event("/photos/cat.png", "w=300")
    overhead = contract.generated_size(generated(body=""))
    assert rules(event, generated(body="x" * (contract.VIEWER_RESPONSE_LIMIT - overhead))) == set()
    violations = contract.check(event, generated(body="x" * (contract.VIEWER_RESPONSE_LIMIT - overhead + 1)))
    assert [v.rule for v in violations] == [Rule.SIZE_LIMIT]
    assert "40,960" in violations[0].message


def test_size_limit_origin_response_1_mib_counts_base64() -> None:
    event, response = origin_200()
    image = b"\0" * (contract.ORIGIN_RESPONSE_LIMIT * 3 // 4)  # fits decoded, not once base64-encoded
    response.update(body=base64.b64encode(image).decode(), bodyEncoding="base64")
    assert rules(event, response) == {Rule.SIZE_LIMIT}


def test_enforce_raises_with_every_violation() -> None:
    event, response = origin_200()
    response["status"] = 200
    response["headers"]["x-cache"] = [{"key": "X-Cache", "value": "Hit"}]
    with pytest.raises(contract.ContractViolation) as caught:
        contract.enforce(event, response)
    assert caught.value.rules == {Rule.STATUS, Rule.DISALLOWED_HEADER}
    assert "origin-response" in str(caught.value)
