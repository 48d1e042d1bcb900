"""Read-only typed views of the CloudFront Lambda@Edge events this project handles (pure).

Only this module knows the event layout: ``event["Records"][0]["cf"]`` with ``config``, ``request`` and, for
response events, ``response``; headers are dicts keyed by the lowercase name, each a list of
``{"key": "Original-Case", "value": "..."}`` (AWS docs, "Lambda@Edge event structure").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from edge.hints import ClientHints

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

Headers = dict[str, list[dict[str, str]]]

# "<bucket>.s3.<region>.amazonaws.com", "<bucket>.s3.amazonaws.com", "<bucket>.s3-<region>.amazonaws.com",
# "<bucket>.s3.dualstack.<region>.amazonaws.com" (CDK's S3BucketOrigin uses the regional form).
_S3_DOMAIN = (
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.s3(?:[.-](?:dualstack\.)?(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+))?"
    r"\.amazonaws\.com(?:\.cn)?$"
)


@cache
def _s3_domain() -> re.Pattern[str]:
    """``_S3_DOMAIN`` compiled on first use: only origin-response reads it, so the viewer never compiles it."""
    return re.compile(_S3_DOMAIN)


def header_value(headers: Mapping[str, list[dict[str, str]]], name: str) -> str | None:
    """The first value of header ``name`` (any case), or ``None``."""
    entries = headers.get(name.lower())
    return entries[0].get("value", "") if entries else None


def header_values(headers: Mapping[str, list[dict[str, str]]], name: str) -> list[str]:
    """Every value of header ``name`` (any case), in order."""
    return [entry.get("value", "") for entry in headers.get(name.lower(), [])]


def _last_value(headers: Mapping[str, list[dict[str, str]]], name: str) -> str | None:
    entries = headers.get(name)
    return entries[-1].get("value", "") if entries else None


class _CloudFrontEvent:
    def __init__(self, event: Mapping[str, Any]) -> None:
        self._cf: Mapping[str, Any] = event["Records"][0]["cf"]

    @property
    def request(self) -> Mapping[str, Any]:
        """The raw request object."""
        return self._cf["request"]  # type: ignore[no-any-return]

    @property
    def request_headers(self) -> Mapping[str, list[dict[str, str]]]:
        return self._cf["request"].get("headers", {})  # type: ignore[no-any-return]

    @property
    def uri(self) -> str:
        """The request URI: percent-encoded, starting with ``/``, without the query string."""
        return str(self._cf["request"]["uri"])

    @property
    def querystring(self) -> str:
        """The raw query string without ``?`` (``""`` when there is none, or when not forwarded)."""
        return str(self._cf["request"].get("querystring", ""))

    @property
    def request_id(self) -> str:
        return str(self._cf.get("config", {}).get("requestId", ""))

    @property
    def event_type(self) -> str:
        return str(self._cf.get("config", {}).get("eventType", ""))


class ViewerRequest(_CloudFrontEvent):
    """A viewer-request event."""

    @property
    def accept(self) -> str:
        """All ``Accept`` header values joined by commas (``""`` when absent)."""
        entries: list[dict[str, str]] | None = self._cf["request"].get("headers", {}).get("accept")
        if not entries:
            return ""
        if len(entries) == 1:  # what browsers send: the join of one value is that value
            return entries[0].get("value", "")
        return ", ".join(entry.get("value", "") for entry in entries)

    @property
    def client_hints(self) -> ClientHints:
        """The ``Sec-CH-Width``, ``Sec-CH-Viewport-Width`` and ``Sec-CH-DPR`` values (``edge.hints``); of a
        repeated header the last one counts (RFC 8942 hints are single-valued; MDN: "the last occurrence is used")."""
        headers: Mapping[str, list[dict[str, str]]] = self._cf["request"].get("headers", {})
        return ClientHints(
            width=_last_value(headers, "sec-ch-width"),
            viewport_width=_last_value(headers, "sec-ch-viewport-width"),
            dpr=_last_value(headers, "sec-ch-dpr"),
        )

    def forwarded(
        self,
        *,
        uri: str | None = None,
        set_headers: Mapping[str, str] | None = None,
        drop_headers: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """A copy of the request to return to CloudFront: ``uri`` replaced (and the query string cleared) when
        given, ``drop_headers`` removed, ``set_headers`` (lowercase name -> value) set. The event is unchanged:
        the request and its header dict are copied, and header lists are replaced, never changed in place (a deep
        copy would be a third of the viewer-request function's time)."""
        request: dict[str, Any] = dict(self.request)
        headers: Headers = dict(request.get("headers", {}))
        request["headers"] = headers
        for name in drop_headers:
            headers.pop(name, None)
        for name, value in (set_headers or {}).items():
            headers[name] = [{"key": name, "value": value}]
        if uri is not None:
            request["uri"] = uri
            request["querystring"] = ""
        return request


class OriginResponse(_CloudFrontEvent):
    """An origin-response event: the request CloudFront sent to the origin, and the origin's answer."""

    @property
    def response(self) -> Mapping[str, Any]:
        """The raw response object (CloudFront never includes the origin's body)."""
        return self._cf["response"]  # type: ignore[no-any-return]

    @property
    def status(self) -> int:
        """The origin's status code (a string in the event)."""
        return int(self._cf["response"]["status"])

    @property
    def response_headers(self) -> Mapping[str, list[dict[str, str]]]:
        return self._cf["response"].get("headers", {})  # type: ignore[no-any-return]

    def request_header(self, name: str) -> str | None:
        return header_value(self.request_headers, name)

    @property
    def s3_origin(self) -> tuple[str | None, str | None]:
        """``(bucket, region)`` of an S3 origin, from ``request.origin.s3`` (``domainName`` and ``region``);
        ``(None, None)`` for a custom origin or an unrecognised domain."""
        s3 = self._cf["request"].get("origin", {}).get("s3")
        if not s3:
            return None, None
        match = _s3_domain().match(str(s3.get("domainName", "")))
        if match is None:
            return None, s3.get("region")
        return match["bucket"], s3.get("region") or match["region"]
