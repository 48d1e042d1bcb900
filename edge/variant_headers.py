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

``Vary`` on the client hints: with ``Config.client_hints``, ``w=auto`` and ``dpr=auto`` make one viewer URL
answer different widths depending on ``Sec-CH-Width``, ``Sec-CH-Viewport-Width`` and ``Sec-CH-DPR``
(``edge.hints``), so a shared cache keyed on that URL needs them in ``Vary`` as well. They are named on
**every** variant response while the setting is on, not only on responses to a URL with ``auto``:
origin-response runs once per variant key (a CloudFront miss), and CloudFront then serves that one object, with
the headers of whichever request filled its cache, to every viewer URL that rewrites to the key. ``?w=auto``
with a 828 px hint and a plain ``?w=828`` share ``/828/...``; if the key were filled by ``?w=828`` and the hint
``Vary`` followed the marker's query, every later ``?w=auto`` viewer would get a response without it, and a proxy
would hand one screen's width to all. Naming the hints on every variant makes the header depend on the
configuration alone, never on the order of requests. The cost falls only on caches downstream of CloudFront,
which keep one copy of a non-``auto`` URL per hint value they see (browsers that send no hints all share one);
CloudFront's own hit ratio is unchanged, as for ``Accept`` above (it acts on no ``Vary`` value but ``*``, which
is never sent). Behind Akamai-like CDNs, which cache nothing that varies on more than ``Accept-Encoding``, leave
``client_hints`` off.

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
from edge.hints import HINT_HEADERS

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
    is not earlier than the stored object's) and ``Vary`` (``vary_values``) unless it would be empty."""
    headers = {"ETag": entity_tag(body), "Last-Modified": http_date(modified)}
    vary = vary_values(config)
    if vary:
        headers[VARY] = ", ".join(vary)
    return headers


def vary_values(config: Config) -> tuple[str, ...]:
    """The request headers every variant response names in ``Vary``: ``Accept`` with ``config.responses.vary_accept``,
    then the hint headers (``edge.hints.HINT_HEADERS``) with ``config.sizing.client_hints``."""
    return (ACCEPT,) * config.responses.vary_accept + HINT_HEADERS * config.sizing.client_hints


def with_vary_accept(response: Mapping[str, Any], config: Config) -> dict[str, Any]:
    """A copy of an origin response for a variant key (S3's 200 or 304) with ``vary_values`` added to its
    ``Vary`` (each kept once, case-insensitively, after any values the origin sent; nothing added to ``*``);
    unchanged when ``vary_values`` is empty."""
    result = dict(response)
    vary = vary_values(config)
    if not vary:
        return result
    headers: dict[str, list[dict[str, str]]] = dict(result.get("headers", {}))
    sent = ",".join(entry.get("value", "") for entry in headers.get("vary", []))
    values = [value.strip() for value in sent.split(",") if value.strip()]
    if "*" not in values:
        present = {value.lower() for value in values}
        values.extend(name for name in vary if name.lower() not in present)
    headers["vary"] = [{"key": VARY, "value": ", ".join(values)}]
    result["headers"] = headers
    return result
