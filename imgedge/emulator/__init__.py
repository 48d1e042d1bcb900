"""A CloudFront stand-in around the real handlers: ``imgedge serve``.

Each HTTP request goes the way it goes through a distribution whose default behaviour has the two imgedge
functions, the CachingOptimized cache policy and an S3 origin behind an OAI:

1. A viewer-request event is built from the request (headers in CloudFront's shape: lowercase names, lists of
   ``{"key", "value"}``, hop-by-hop headers hidden; the raw query string) and ``viewer_request.handler`` runs.
   Its result is checked against the Lambda@Edge contract (``imgedge.contract``); a generated response (a
   400) goes straight back to the viewer.
2. The cache is looked up by the rewritten URI alone (CloudFront's cache key). Concurrent misses on one key
   are collapsed into one origin fetch.
3. On a miss S3 is asked for the key, forwarding only the allow-listed marker header. A missing key is
   answered 403, as S3 does behind an OAI without ``s3:ListBucket``.
4. An origin-response event is built (``request.origin.s3`` with the bucket's regional domain) and
   ``origin_response.handler`` runs; its result is checked, sent (a base64 body decoded) and cached as its
   Cache-Control allows (never a 5xx). Redirects are passed to the viewer, never followed.

Every response carries ``x-imgedge-cache`` (``Hit``, ``Miss``, ``LambdaGeneratedResponse`` or ``Error``),
``x-imgedge-key`` (the cache key) and ``server-timing`` (viewer-request, S3, origin-response and render
milliseconds); one line per request goes to the log. A handler result that breaks the contract, or a handler
that raises, fails the request with a 500 naming the problem (real CloudFront would answer 502).

Handlers print their JSON log line to stdout, as on Lambda; the emulator routes stdout per thread while a
handler runs, reads the render timings from that line, and echoes it when ``verbose`` is set.

S3 is an embedded moto server on a free loopback port (seeded with ``originals`` or the generated samples),
or any S3-compatible endpoint (``s3_endpoint``, with ``bucket``), or real S3 (``bucket`` alone).
``/`` serves the demo page; ``/_imgedge/...`` its assets and JSON (originals, config, recent requests).
"""

from imgedge.emulator.flow import EdgeResponse, Handler, RequestFlow, RequestRecord
from imgedge.emulator.lifecycle import EMBEDDED_BUCKET, Emulator, EmulatorError
from imgedge.emulator.settings import Settings

__all__ = [
    "EMBEDDED_BUCKET",
    "EdgeResponse",
    "Emulator",
    "EmulatorError",
    "Handler",
    "RequestFlow",
    "RequestRecord",
    "Settings",
]
