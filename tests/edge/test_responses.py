"""edge.responses: the response objects Lambda@Edge expects."""

import base64

import pytest

from edge.errors import BadRequest, EdgeError, InvalidImage, OriginalNotFound, StorageUnavailable
from edge.options import OutputFormat
from edge.responses import (
    NO_STORE,
    ORIGIN_RESPONSE_READ_ONLY,
    error,
    generated_size,
    image,
    keep_read_only_headers,
    redirect,
)


def _header(response: dict[str, object], name: str) -> str:
    headers = response["headers"]
    assert isinstance(headers, dict)
    entries = headers[name]
    assert len(entries) == 1
    assert entries[0]["key"].lower() == name
    return str(entries[0]["value"])


def test_bad_request_is_short_cached_plain_text() -> None:
    response = error(BadRequest("w must be a positive integer"), 60)
    assert response["status"] == "400"
    assert response["statusDescription"] == "Bad Request"
    assert response["body"] == "w must be a positive integer\n"
    assert response["bodyEncoding"] == "text"
    assert _header(response, "content-type") == "text/plain; charset=utf-8"
    assert _header(response, "cache-control") == "public, max-age=60"
    assert _header(response, "x-content-type-options") == "nosniff"


@pytest.mark.parametrize(
    ("err", "status", "description"),
    [
        (OriginalNotFound(), "404", "Not Found"),
        (InvalidImage(), "422", "Unprocessable Content"),
        (StorageUnavailable(), "503", "Service Unavailable"),
        (EdgeError(), "500", "Internal Server Error"),
    ],
)
def test_error_statuses(err: EdgeError, status: str, description: str) -> None:
    response = error(err, 30)
    assert response["status"] == status
    assert response["statusDescription"] == description
    assert response["body"] == err.reason + "\n"


def test_a_5xx_is_never_cached() -> None:
    response = error(StorageUnavailable(detail="internal detail"), 60)
    assert _header(response, "cache-control") == NO_STORE == "no-store"
    assert "internal detail" not in response["body"]


def test_error_body_never_contains_a_line_break_from_the_reason() -> None:
    response = error(BadRequest("a\r\nSet-Cookie: x"), 60)
    assert response["body"].count("\n") == 1


def test_image_is_base64_inline() -> None:
    body = bytes(range(256))
    response = image(body, OutputFormat.AVIF, "public, max-age=31536000, immutable", {"Server-Timing": "render;dur=5"})
    assert response["status"] == "200"
    assert response["bodyEncoding"] == "base64"
    assert base64.b64decode(response["body"]) == body
    assert _header(response, "content-type") == "image/avif"
    assert _header(response, "cache-control") == "public, max-age=31536000, immutable"
    assert _header(response, "server-timing") == "render;dur=5"


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        (OutputFormat.AVIF, "image/avif"),
        (OutputFormat.WEBP, "image/webp"),
        (OutputFormat.JPEG, "image/jpeg"),
        (OutputFormat.PNG, "image/png"),
    ],
)
def test_image_content_types(fmt: OutputFormat, content_type: str) -> None:
    assert _header(image(b"x", fmt, "c"), "content-type") == content_type


def test_redirect_is_a_302_nobody_caches() -> None:
    response = redirect("/photos/cat.png?w=300&format=avif")
    assert response["status"] == "302"
    assert _header(response, "location") == "/photos/cat.png?w=300&format=avif"
    assert _header(response, "cache-control") == "no-store"
    assert "body" not in response


def test_header_values_with_line_breaks_are_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        redirect("/a\r\nSet-Cookie: x=1")
    with pytest.raises(ValueError, match="line break"):
        image(b"", OutputFormat.PNG, "public\n")


def test_generated_size_counts_status_headers_and_encoded_body() -> None:
    body = b"x" * 3000
    response = image(body, OutputFormat.PNG, "c")
    encoded = len(base64.b64encode(body))
    headers = len("Content-Type") + len("image/png") + 4 + len("Cache-Control") + len("c") + 4
    assert generated_size(response) == len("200") + len("OK") + headers + encoded
    assert generated_size(response) > encoded > len(body)


def test_generated_size_of_a_bodiless_response() -> None:
    assert generated_size({"status": "302"}) == 3


def test_read_only_headers_are_carried_over_from_the_origin() -> None:
    origin = {
        "transfer-encoding": [{"key": "Transfer-Encoding", "value": "chunked"}],
        "via": [{"key": "Via", "value": "1.1 abc.cloudfront.net"}],
        "server": [{"key": "Server", "value": "AmazonS3"}],
    }
    response = keep_read_only_headers(image(b"x", OutputFormat.PNG, "c"), origin)
    assert response["headers"]["transfer-encoding"] == origin["transfer-encoding"]
    assert response["headers"]["via"] == origin["via"]
    assert "server" not in response["headers"]
    assert set(ORIGIN_RESPONSE_READ_ONLY) == {"transfer-encoding", "via"}


def test_read_only_headers_the_origin_lacks_are_removed() -> None:
    response = image(b"x", OutputFormat.PNG, "c", {"Via": "made up"})
    response = keep_read_only_headers(response, {})
    assert "via" not in response["headers"]
    assert "transfer-encoding" not in response["headers"]
    assert "content-type" in response["headers"]


def test_read_only_headers_on_a_response_without_headers() -> None:
    response = keep_read_only_headers({"status": "200"}, {"via": [{"key": "Via", "value": "v"}]})
    assert response["headers"] == {"via": [{"key": "Via", "value": "v"}]}
