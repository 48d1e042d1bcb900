"""Conditional and range requests at the emulator's edge, answered the way CloudFront answers them from its cache.

CloudFront serves ``If-None-Match``/``If-Modified-Since`` and ``Range`` from a cached object itself (RFC 9110,
sections 13 and 14; AWS: "How CloudFront processes partial requests for an object (range GETs)"):

- ``If-None-Match`` uses the weak comparison (``W/"x"`` matches ``"x"``), takes a list, and ``*`` matches any
  existing representation; when present, ``If-Modified-Since`` is ignored. A match on GET or HEAD is a 304.
- ``If-Modified-Since`` is a 304 when the response's ``Last-Modified`` is not later than it; an unparseable date,
  or one in the future, is ignored.
- ``Range: bytes=...`` on a GET of a 200 is a 206 with ``Content-Range``, or a 416 with ``Content-Range: bytes */N``
  when no byte of it exists. CloudFront answers the whole object (200) when the ranges are not ascending, overlap
  or are malformed; the emulator does too, and also for a request of several ranges (it never builds a
  ``multipart/byteranges`` body, which RFC 9110 section 14.2 allows a server to decline). ``If-Range`` with a
  strong ETag or a date that does not match the response makes it the whole object too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_ENTITY_TAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')
_RANGE = re.compile(r"\s*(\d*)\s*-\s*(\d*)\s*")
#: Headers a 304 keeps (RFC 9110 section 15.4.5): the ones a cache needs to update its stored response.
NOT_MODIFIED_HEADERS = frozenset(
    {"cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified"}
)


def _tags(header: str) -> list[str] | None:
    """The opaque tags of an ``If-None-Match`` list (``W/`` dropped); ``None`` when malformed."""
    tags: list[str] = []
    position = 0
    text = header.strip()
    while position < len(text):
        match = _ENTITY_TAG.match(text, position)
        if match is None or match.end() == position:
            return None
        tags.append(match.group(2))
        position = match.end()
    return tags


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str | None, last_modified: str | None
) -> bool:
    """True when a GET or HEAD of a 200 with validators ``etag``/``last_modified`` is answered 304."""
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        tags = _tags(if_none_match)
        if tags is None or etag is None:
            return False
        own = etag.strip().removeprefix("W/")
        return own in tags
    since, modified = _date(if_modified_since), _date(last_modified)
    if since is None or modified is None or since > datetime.now(UTC):
        return False
    return modified <= since


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Bytes ``first`` to ``last`` (inclusive) of a ``length``-byte body, or ``satisfiable=False`` (416)."""

    first: int
    last: int
    length: int
    satisfiable: bool = True

    @property
    def content_range(self) -> str:
        if not self.satisfiable:
            return f"bytes */{self.length}"
        return f"bytes {self.first}-{self.last}/{self.length}"


def _if_range_holds(if_range: str | None, etag: str | None, last_modified: str | None) -> bool:
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith('"'):
        return etag is not None and not etag.startswith("W/") and value == etag.strip()
    if value.startswith("W/"):
        return False  # a weak tag never validates a range
    requested, modified = _date(value), _date(last_modified)
    return requested is not None and modified is not None and requested == modified


def byte_range(
    range_header: str | None, if_range: str | None, etag: str | None, last_modified: str | None, length: int
) -> ByteRange | None:
    """The range a GET of a 200 of ``length`` bytes is answered with; ``None`` for the whole body (no ``Range``,
    a failed ``If-Range``, several ranges, or a header CloudFront would not honour)."""
    if range_header is None or not _if_range_holds(if_range, etag, last_modified):
        return None
    unit, _, spec = range_header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    match = _RANGE.fullmatch(spec)
    if match is None or (not match.group(1) and not match.group(2)):
        return None
    first_text, last_text = match.groups()
    if not first_text:  # a suffix: the last N bytes
        suffix = int(last_text)
        if suffix == 0:
            return ByteRange(0, 0, length, satisfiable=False)
        return ByteRange(max(0, length - suffix), length - 1, length) if length else ByteRange(0, 0, 0, False)
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    last = int(last_text) if last_text else length - 1
    if first >= length:
        return ByteRange(0, 0, length, satisfiable=False)
    return ByteRange(first, min(last, length - 1), length)
