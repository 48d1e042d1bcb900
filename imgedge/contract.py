"""The Lambda@Edge contract: what CloudFront checks on a function's result before it uses it.

Real CloudFront answers 502 (a "Lambda validation error") when a function returns something it cannot use;
the emulator calls ``check`` on every handler result and fails the request loudly instead, naming the rule, and
the tests use the same checker. Sources: AWS CloudFront Developer Guide, "Lambda@Edge event structure",
"Quotas on Lambda@Edge", "Restrictions on edge functions" (disallowed and read-only headers) and "Generating
HTTP responses in request triggers".

Rules (``Rule``):

- ``shape``: the result is not an object of the right kind (a request from viewer-request must keep ``uri``
  starting with ``/`` and a string ``querystring``; a response needs ``status``; ``body`` and
  ``statusDescription`` are strings; URI plus query string under 8,192 characters).
- ``status``: ``status`` is not a string holding a code from 200 to 599 (``200`` as an int is rejected).
- ``malformed-headers``: ``headers`` is not an object keyed by the lowercase header name, each value a
  non-empty list of ``{"key": ..., "value": ...}`` objects of strings whose ``key`` (when given) names the same
  header; names that are not HTTP tokens; values with CR, LF or NUL.
- ``disallowed-header``: a header CloudFront hides from functions and refuses from them (``Connection``,
  ``X-Amz-Cf-*``, ``X-Edge-*``, ...).
- ``read-only-header``: a read-only header of the event type changed, added or removed (``Via`` and
  ``Transfer-Encoding`` for origin-response; ``Host``, ``Content-Length``, ``Transfer-Encoding``, ``Via`` for a
  viewer-request's request; the ``CloudFront-*`` viewer headers).
- ``read-only-field``: a viewer-request changed ``method`` or ``clientIp``.
- ``body-encoding``: ``bodyEncoding`` is not ``text`` or ``base64``, or a ``base64`` body does not decode.
- ``size-limit``: a generated response over the limit of its event type: 40 KiB for viewer events, 1 MiB for
  origin events, counting the status line, every header and the body as returned (a base64 body at its
  encoded length: AWS does not say which length counts, so the larger one is used).
"""

import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: Generated-response limits, "including headers and body" (AWS, "Quotas on Lambda@Edge").
VIEWER_RESPONSE_LIMIT = 40 * 1024
ORIGIN_RESPONSE_LIMIT = 1024 * 1024
#: "The URI plus the query string must be under 8,192 characters."
MAX_URL_LENGTH = 8192

#: Headers CloudFront never shows a function and refuses from one (a 502), lowercase.
DISALLOWED_HEADERS = frozenset(
    {
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "trailer",
        "upgrade",
        "x-accel-buffering",
        "x-accel-charset",
        "x-accel-limit-rate",
        "x-accel-redirect",
        "x-amzn-auth",
        "x-amzn-cf-billing",
        "x-amzn-cf-id",
        "x-amzn-cf-xff",
        "x-amzn-errortype",
        "x-amzn-fle-profile",
        "x-amzn-header-count",
        "x-amzn-header-order",
        "x-amzn-lambda-integration-tag",
        "x-amzn-requestid",
        "x-cache",
        "x-forwarded-proto",
        "x-real-ip",
    }
)
DISALLOWED_PREFIXES = ("x-amz-cf-", "x-edge-")

#: Read-only headers per event type, lowercase ("Restrictions on edge functions").
READ_ONLY_HEADERS: Mapping[str, frozenset[str]] = {
    "viewer-request": frozenset({"content-length", "host", "transfer-encoding", "via"}),
    "origin-request": frozenset(
        {
            "accept-encoding",
            "content-length",
            "if-modified-since",
            "if-none-match",
            "if-range",
            "if-unmodified-since",
            "transfer-encoding",
            "via",
        }
    ),
    "origin-response": frozenset({"transfer-encoding", "via"}),
    "viewer-response": frozenset({"warning", "via"}),
}
# CloudFront adds these viewer headers itself; a viewer-request function may not set them (a 502).
_CLOUDFRONT_HEADER_PREFIX = "cloudfront-"
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BODY_ENCODINGS = ("text", "base64")


class Rule(StrEnum):
    """The contract rules; the value is the name used in messages and responses."""

    SHAPE = "shape"
    STATUS = "status"
    MALFORMED_HEADERS = "malformed-headers"
    DISALLOWED_HEADER = "disallowed-header"
    READ_ONLY_HEADER = "read-only-header"
    READ_ONLY_FIELD = "read-only-field"
    BODY_ENCODING = "body-encoding"
    SIZE_LIMIT = "size-limit"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule, with a one-line message naming the field or header."""

    rule: Rule
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


class ContractViolation(Exception):
    """A handler result CloudFront would reject; ``violations`` lists every broken rule."""

    def __init__(self, event_type: str, violations: list[Violation]) -> None:
        self.event_type = event_type
        self.violations = tuple(violations)
        super().__init__(f"{event_type} result breaks the Lambda@Edge contract: " + "; ".join(map(str, violations)))

    @property
    def rules(self) -> frozenset[Rule]:
        return frozenset(v.rule for v in self.violations)


def _cf(event: Mapping[str, Any]) -> Mapping[str, Any]:
    return event["Records"][0]["cf"]  # type: ignore[no-any-return]


def event_type(event: Mapping[str, Any]) -> str:
    """The ``config.eventType`` of a CloudFront event."""
    return str(_cf(event)["config"]["eventType"])


def is_generated_response(result: object) -> bool:
    """Whether a request-trigger result is a generated response rather than the (possibly changed) request."""
    return isinstance(result, Mapping) and "status" in result


def check(event: Mapping[str, Any], result: object) -> list[Violation]:
    """Every rule ``result`` breaks as the answer of a function to ``event`` (empty when CloudFront accepts it).

    Request triggers may return the request or a generated response; response triggers return the response.
    """
    kind = event_type(event)
    if not isinstance(result, Mapping):
        return [Violation(Rule.SHAPE, f"result is {type(result).__name__}, not an object")]
    cf = _cf(event)
    if kind in ("viewer-request", "origin-request") and not is_generated_response(result):
        return _check_request(kind, cf["request"], result)
    limit = VIEWER_RESPONSE_LIMIT if kind.startswith("viewer-") else ORIGIN_RESPONSE_LIMIT
    before = cf.get("response", {}).get("headers", {}) if kind.endswith("-response") else None
    return _check_response(kind, result, limit, before)


def enforce(event: Mapping[str, Any], result: object) -> None:
    """Raise ``ContractViolation`` when ``check`` finds anything."""
    violations = check(event, result)
    if violations:
        raise ContractViolation(event_type(event), violations)


def _check_request(kind: str, before: Mapping[str, Any], result: Mapping[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    uri = result.get("uri")
    querystring = result.get("querystring", "")
    if not isinstance(uri, str) or not uri.startswith("/"):
        found.append(Violation(Rule.SHAPE, f"request uri must be a string starting with '/', got {uri!r}"))
    if not isinstance(querystring, str):
        found.append(Violation(Rule.SHAPE, f"request querystring must be a string, got {type(querystring).__name__}"))
    elif isinstance(uri, str) and len(uri) + 1 + len(querystring) >= MAX_URL_LENGTH:
        found.append(Violation(Rule.SHAPE, f"uri plus querystring must be under {MAX_URL_LENGTH} characters"))
    for name in ("method", "clientIp"):
        if name in before and result.get(name) != before[name]:
            found.append(
                Violation(
                    Rule.READ_ONLY_FIELD, f"request {name} is read-only ({before[name]!r} became {result.get(name)!r})"
                )
            )
    headers = result.get("headers", {})
    found += _check_headers(headers)
    if isinstance(headers, Mapping):
        found += _check_read_only(kind, before.get("headers", {}), headers)
    return found


def _check_response(
    kind: str, result: Mapping[str, Any], limit: int, before_headers: Mapping[str, Any] | None
) -> list[Violation]:
    found: list[Violation] = []
    status = result.get("status")
    if not isinstance(status, str):
        found.append(Violation(Rule.STATUS, f"status must be a string, got {type(status).__name__} {status!r}"))
    elif not (len(status) == 3 and status.isascii() and status.isdigit() and 200 <= int(status) <= 599):
        found.append(Violation(Rule.STATUS, f"status must be a code from 200 to 599, got {status!r}"))
    description = result.get("statusDescription", "")
    if not isinstance(description, str) or "\r" in description or "\n" in description:
        found.append(Violation(Rule.SHAPE, "statusDescription must be a one-line string"))
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        found.append(Violation(Rule.SHAPE, f"body must be a string, got {type(body).__name__}"))
    found += _check_body_encoding(result.get("bodyEncoding"), body)
    headers = result.get("headers", {})
    found += _check_headers(headers)
    if isinstance(headers, Mapping) and before_headers is not None:
        found += _check_read_only(kind, before_headers, headers)
    size = generated_size(result)
    if size > limit:
        found.append(
            Violation(
                Rule.SIZE_LIMIT,
                f"{kind} generated response is {size:,} bytes, over the {limit:,}-byte Lambda@Edge limit",
            )
        )
    return found


def _check_body_encoding(encoding: object, body: object) -> list[Violation]:
    if encoding is None:
        return []
    if encoding not in _BODY_ENCODINGS:
        return [Violation(Rule.BODY_ENCODING, f"bodyEncoding must be 'text' or 'base64', got {encoding!r}")]
    if encoding == "base64" and isinstance(body, str):
        try:
            binascii.a2b_base64(body.encode("ascii"), strict_mode=True)
        except (binascii.Error, UnicodeEncodeError) as err:
            return [Violation(Rule.BODY_ENCODING, f"body is not valid base64: {err}")]
    return []


def _check_headers(headers: object) -> list[Violation]:
    if not isinstance(headers, Mapping):
        return [Violation(Rule.MALFORMED_HEADERS, f"headers must be an object, got {type(headers).__name__}")]
    found: list[Violation] = []
    for name, entries in headers.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            found.append(Violation(Rule.MALFORMED_HEADERS, f"header name {name!r} is not an HTTP token"))
            continue
        if name != name.lower():
            found.append(Violation(Rule.MALFORMED_HEADERS, f"header {name!r} must be keyed by its lowercase name"))
        if _is_disallowed(name.lower()):
            found.append(Violation(Rule.DISALLOWED_HEADER, f"header {name!r} may not be set by a function"))
        if not isinstance(entries, list) or not entries:
            found.append(
                Violation(
                    Rule.MALFORMED_HEADERS, f'header {name!r} must be a non-empty list of {{"key", "value"}} objects'
                )
            )
            continue
        for entry in entries:
            found += _check_header_entry(name, entry)
    return found


def _check_header_entry(name: str, entry: object) -> list[Violation]:
    if not isinstance(entry, Mapping) or not set(entry) <= {"key", "value"} or "value" not in entry:
        return [
            Violation(Rule.MALFORMED_HEADERS, f'header {name!r} entry {entry!r} is not a {{"key", "value"}} object')
        ]
    found: list[Violation] = []
    key = entry.get("key", name)
    value = entry["value"]
    if not isinstance(key, str) or key.lower() != name.lower():
        found.append(Violation(Rule.MALFORMED_HEADERS, f"header {name!r} has an entry with key {key!r}"))
    if not isinstance(value, str):
        found.append(
            Violation(Rule.MALFORMED_HEADERS, f"header {name!r} value must be a string, got {type(value).__name__}")
        )
    elif any(ch in value for ch in "\r\n\0"):
        found.append(Violation(Rule.MALFORMED_HEADERS, f"header {name!r} value contains CR, LF or NUL"))
    return found


def _is_disallowed(name: str) -> bool:
    return name in DISALLOWED_HEADERS or name.startswith(DISALLOWED_PREFIXES)


def _values(headers: Mapping[str, Any], name: str) -> list[object]:
    entries = headers.get(name)
    if not isinstance(entries, list):
        return []
    return [entry.get("value") if isinstance(entry, Mapping) else entry for entry in entries]


def _check_read_only(kind: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Violation]:
    names = set(READ_ONLY_HEADERS.get(kind, frozenset()))
    if kind == "viewer-request":
        names |= {n for n in (*before, *after) if isinstance(n, str) and n.startswith(_CLOUDFRONT_HEADER_PREFIX)}
    found: list[Violation] = []
    for name in sorted(names):
        old, new = _values(before, name), _values(after, name)
        if old != new:
            change = "added" if not old else "removed" if not new else "changed"
            found.append(Violation(Rule.READ_ONLY_HEADER, f"header {name!r} is read-only in {kind} and was {change}"))
    return found


def generated_size(response: Mapping[str, Any]) -> int:
    """Bytes of a generated response as CloudFront would serialise it: ``HTTP/1.1 {status} {description}``,
    one ``Key: value`` line per header entry, the blank line and the body as returned."""
    size = len(f"HTTP/1.1 {response.get('status', '')} {response.get('statusDescription', '')}\r\n")
    headers = response.get("headers", {})
    if isinstance(headers, Mapping):
        for name, entries in headers.items():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, Mapping):
                    size += len(str(entry.get("key", name))) + len(str(entry.get("value", ""))) + 4
    body = response.get("body")
    return size + 2 + (len(body.encode("utf-8")) if isinstance(body, str) else 0)
