"""The HTTP headers every variant response carries, whether rendered inline or served back from S3 (pure).

``Vary: Accept``: with ``format=auto`` one viewer URL answers AVIF, WebP or JPEG depending on ``Accept``, under a
year-long ``immutable`` Cache-Control. CloudFront keys on the rewritten URI (the variant key, which names the
format), but the viewer sees its own URL, so a shared cache between CloudFront and the viewer (a corporate proxy,
a second CDN) needs ``Vary: Accept`` to keep the formats apart.

CloudFront does not split its own cache on ``Vary``: its cache key is the cache policy's (here the URI alone),
and the only ``Vary`` value it acts on is ``*`` (with a minimum TTL of 0 it then revalidates every request).
Source: "Request and response behavior for custom origins", sections "Content negotiation" and "HTTP response
headers that CloudFront removes or replaces",
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html
(the S3-origin page, .../RequestAndResponseBehaviorS3Origin.html, lists no change to ``Vary``). So the header
costs CloudFront's hit ratio nothing. Caveat, not verified on a live distribution: for custom origins that page
says CloudFront drops ``Vary`` values other than ``Accept-Encoding``, ``Cookie`` and forwarded headers before
answering the viewer; if it did so here too, viewers would get no ``Vary`` (no worse than without it), and
forwarding ``Accept`` in the origin request policy (not the cache key) would keep it.

Akamai, by contrast, does not cache a response whose ``Vary`` names anything but ``Accept-Encoding``
(https://techdocs.akamai.com/property-mgr/docs/rm-vary-header): behind such a CDN, turn ``Config.vary_accept``
off.

Validators: an inline render carries the ``ETag`` S3 gives the object the same bytes are stored as, and a
``Last-Modified``, so that a browser revalidates a fresh render exactly as it revalidates the stored copy. For a
single-part ``PutObject`` stored unencrypted or with SSE-S3 the ETag is the MD5 digest of the body in lowercase
hex, in double quotes (S3 API reference, "Object" data type, field ``ETag``:
https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html); with SSE-KMS or SSE-C it is not, and the two
would differ (revalidation then costs one full response, nothing worse).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

from edge.config import Config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

VARY = "Vary"
ACCEPT = "Accept"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def entity_tag(body: bytes) -> str:
    """The ETag S3 returns for ``body`` stored by a single-part, unencrypted or SSE-S3 PUT: ``"<md5 hex>"``."""
    return f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'


def http_date(epoch_seconds: float) -> str:
    """An IMF-fixdate (RFC 9110 section 5.6.7), e.g. ``Sun, 06 Nov 1994 08:49:37 GMT``; locale-independent."""
    moment = time.gmtime(epoch_seconds)
    return (
        f"{_DAYS[moment.tm_wday]}, {moment.tm_mday:02d} {_MONTHS[moment.tm_mon - 1]} {moment.tm_year} "
        f"{moment.tm_hour:02d}:{moment.tm_min:02d}:{moment.tm_sec:02d} GMT"
    )


def inline_headers(body: bytes, modified: float, config: Config) -> dict[str, str]:
    """The headers of an inline variant of ``body``, beyond Content-Type and Cache-Control: ``ETag`` (see
    ``entity_tag``), ``Last-Modified`` (``modified``, epoch seconds: take it after the variant was stored, so it
    is not earlier than the stored object's) and, with ``config.vary_accept``, ``Vary: Accept``."""
    headers = {"ETag": entity_tag(body), "Last-Modified": http_date(modified)}
    if config.vary_accept:
        headers[VARY] = ACCEPT
    return headers


def with_vary_accept(response: Mapping[str, Any], config: Config) -> dict[str, Any]:
    """A copy of an origin response for a variant key (S3's 200 or 304) with ``Accept`` added to its ``Vary``
    (kept once, after any values the origin sent); unchanged when ``config.vary_accept`` is off."""
    result = dict(response)
    if not config.vary_accept:
        return result
    headers: dict[str, list[dict[str, str]]] = dict(result.get("headers", {}))
    sent = ",".join(entry.get("value", "") for entry in headers.get("vary", []))
    values = [value.strip() for value in sent.split(",") if value.strip()]
    if not any(value == "*" or value.lower() == ACCEPT.lower() for value in values):
        values.append(ACCEPT)
    headers["vary"] = [{"key": VARY, "value": ", ".join(values)}]
    result["headers"] = headers
    return result
