"""Builders for the response objects Lambda@Edge functions return (pure).

Each is a plain dict: ``status`` a string, headers keyed by lowercase name with ``[{"key", "value"}]`` lists,
``body`` text or base64 with ``bodyEncoding``. Header values never contain CR or LF.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping

from edge.errors import EdgeError
from edge.options import OutputFormat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# origin-response may not change these (AWS: "Read-only headers for CloudFront origin response events").
ORIGIN_RESPONSE_READ_ONLY = ("transfer-encoding", "via")

_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

NO_STORE = "no-store"


def _headers(values: Mapping[str, str]) -> dict[str, list[dict[str, str]]]:
    result: dict[str, list[dict[str, str]]] = {}
    for name, value in values.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError(f"header {name!r} would carry a line break")
        result[name.lower()] = [{"key": name, "value": value}]
    return result


def error(err: EdgeError, max_age: int) -> dict[str, Any]:
    """A ``text/plain`` response with the error's status and one-line public reason. 4xx answers may be cached
    for ``max_age`` seconds; a 5xx is always ``no-store``. ``Retry-After`` when the error sets ``retry_after``."""
    cache = f"public, max-age={max_age}" if err.cacheable else NO_STORE
    headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    if err.retry_after is not None:
        headers["Retry-After"] = str(err.retry_after)
    return {
        "status": str(err.status),
        "statusDescription": _REASONS.get(err.status, "Error"),
        "headers": _headers(headers),
        "body": err.reason + "\n",
        "bodyEncoding": "text",
    }


def image(body: bytes, fmt: OutputFormat, cache_control: str, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A 200 with the image inline, base64-encoded."""
    headers = {"Content-Type": fmt.content_type, "Cache-Control": cache_control, **(extra or {})}
    return {
        "status": "200",
        "statusDescription": "OK",
        "headers": _headers(headers),
        "body": binascii.b2a_base64(body, newline=False).decode("ascii"),  # base64.b64encode, without its import
        "bodyEncoding": "base64",
    }


def redirect(location: str, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A 302 to ``location`` that nobody caches (the target is served from S3 on the next request)."""
    return {
        "status": "302",
        "statusDescription": "Found",
        "headers": _headers({"Location": location, "Cache-Control": NO_STORE, **(extra or {})}),
    }


def generated_size(response: Mapping[str, Any]) -> int:
    """Bytes a generated response counts against the Lambda@Edge limit: status line, headers and body as sent
    by the function (a base64 body counts at its encoded length, the conservative reading)."""
    size = len(str(response.get("status", ""))) + len(str(response.get("statusDescription", "")))
    for entries in response.get("headers", {}).values():
        for entry in entries:
            size += len(entry.get("key", "")) + len(entry.get("value", "")) + 4
    return size + len(str(response.get("body", "")))


#: S3 returns an object's user metadata as ``x-amz-meta-*`` headers; for a variant that is its original's key and
#: ETags, which viewers must not see.
OBJECT_METADATA_PREFIX = "x-amz-meta-"


def without_object_metadata(response: dict[str, Any]) -> dict[str, Any]:
    """``response`` without any ``x-amz-meta-*`` header (a shallow copy when there was one, else itself). Applied
    to every response origin-response returns, after everything that reads the metadata."""
    headers = response.get("headers")
    if not headers or not any(name.lower().startswith(OBJECT_METADATA_PREFIX) for name in headers):
        return response
    kept = {name: value for name, value in headers.items() if not name.lower().startswith(OBJECT_METADATA_PREFIX)}
    return {**response, "headers": kept}


def keep_read_only_headers(
    response: dict[str, Any], origin_headers: Mapping[str, list[dict[str, str]]]
) -> dict[str, Any]:
    """``response`` with the origin's read-only headers carried over unchanged (changing them is a 502)."""
    headers = response.setdefault("headers", {})
    for name in ORIGIN_RESPONSE_READ_ONLY:
        if name in origin_headers:
            headers[name] = origin_headers[name]
        else:
            headers.pop(name, None)
    return response
