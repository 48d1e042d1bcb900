"""The origin-response decision: pass a response through, or render the missing variant (pure).

S3 and Pillow arrive through the ``Store`` and ``Renderer`` protocols, so this module imports neither.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING, Any, Protocol

from edge import responses
from edge.config import Config
from edge.errors import EdgeError, OriginalNotFound, StorageUnavailable
from edge.events import OriginResponse
from edge.keys import InvalidVariantKey, VariantKey, decode_key, variant_s3_key, viewer_query
from edge.marker import MARKER_HEADER, verify
from edge.options import RenderSpec
from edge.paths import encode_path
from edge.sizes import check_spec

if TYPE_CHECKING:
    from edge.render import Rendered

# Statuses S3 answers for a missing key: 404 with s3:ListBucket, 403 without it (the OAI has none).
MISS_STATUSES = frozenset({403, 404})


@dataclass(frozen=True, slots=True)
class Original:
    """An original read from the store: its S3 key, bytes and ETag."""

    key: str
    body: bytes
    etag: str


class Store(Protocol):
    """Where originals are read and variants written (``edge.store.S3Store`` in production)."""

    def get_original(self, key: str) -> Original | None:
        """The original at ``key``, or ``None`` when there is none. Raises ``StorageUnavailable`` after bounded
        retries, ``ImageTooLarge`` when the object exceeds the byte limit (before reading it)."""
        ...

    def put_variant(self, key: str, body: bytes, content_type: str, cache_control: str, source: Original) -> bool:
        """Store a variant only if nothing exists at ``key``: ``True`` when written, ``False`` when an object was
        already there (a concurrent render won). Raises ``StorageUnavailable``."""
        ...


Renderer = Callable[[bytes, RenderSpec], "Rendered"]
# (bucket, region) of the event's S3 origin -> the store; configuration overrides are the factory's business.
StoreFactory = Callable[[str | None, str | None], Store]


@dataclass
class Result:
    """What origin-response returns, with the fields of its log line."""

    response: dict[str, Any]
    log: dict[str, Any] = field(default_factory=dict)


def candidate_keys(stem: str, marker_extension: str | None, config: Config) -> list[str]:
    """The original keys to try, in priority order.

    Two originals that differ only by extension share their variants; the one whose extension comes first in
    ``config.source_extensions`` wins, whichever of them the viewer asked for. With a marker, the candidates stop
    at the marker's extension (its own spelling, e.g. ``JPG``); without one, each configured extension is tried
    in lowercase and uppercase.
    """
    order = config.source_extensions
    if marker_extension is None:
        extensions = [spelling for ext in order for spelling in (ext, ext.upper())]
    elif marker_extension.lower() in order:
        extensions = [*order[: order.index(marker_extension.lower())], marker_extension]
    else:
        extensions = [marker_extension]
    return [f"{stem}.{ext}" for ext in dict.fromkeys(extensions)]


def find_original(store: Store, keys: list[str]) -> Original:
    """The first of ``keys`` that exists. All are fetched concurrently (one round trip to S3, however many
    candidates). Raises ``OriginalNotFound`` when none exists, and ``StorageUnavailable`` when a key ahead of the
    first found one could not be checked (the answer would not be deterministic)."""
    with ThreadPoolExecutor(max_workers=min(len(keys), 8)) as pool:
        futures = [pool.submit(store.get_original, key) for key in keys]
        for future in futures:
            original = future.result()
            if original is not None:
                return original
    raise OriginalNotFound()


def handle_origin_response(event: OriginResponse, config: Config, stores: StoreFactory, renderer: Renderer) -> Result:
    """Everything origin-response does for one event.

    Passes the origin's response through unchanged unless S3 answered 403/404 for a canonical variant key.
    Then: the key is re-checked against the size policy and the marker; the original is found, rendered and
    stored (``IfNoneMatch='*'``); the image is returned inline, or, when the inline response would exceed
    ``config.max_response_bytes``, the viewer is redirected (``no-store``) to the canonical viewer URL, which the
    next time is served from S3. Every ``EdgeError`` becomes its error response (4xx short-cached, 5xx
    ``no-store``).
    """
    started = perf_counter()
    log: dict[str, Any] = {"uri": event.uri, "origin_status": event.status, "request_id": event.request_id}
    if event.status not in MISS_STATUSES:
        return Result(dict(event.response), {**log, "action": "pass"})
    try:
        variant = decode_key(event.uri, config)
    except InvalidVariantKey:
        return Result(dict(event.response), {**log, "action": "pass"})
    try:
        response = _serve_miss(event, variant, config, stores, renderer, log)
    except EdgeError as err:
        log.update(action="error", reason=err.reason, detail=err.detail or None)
        max_age = config.missing_max_age if isinstance(err, OriginalNotFound) else config.error_max_age
        response = responses.error(err, max_age)
    log["status"] = int(response["status"])
    log["ms_total"] = (perf_counter() - started) * 1000
    return Result(responses.keep_read_only_headers(response, event.response_headers), log)


def _serve_miss(
    event: OriginResponse,
    variant: VariantKey,
    config: Config,
    stores: StoreFactory,
    renderer: Renderer,
    log: dict[str, Any],
) -> dict[str, Any]:
    check_spec(variant.spec, config)
    marker = event.request_header(MARKER_HEADER)
    marker_extension = verify(marker, variant, config).extension if marker is not None else None
    bucket, region = event.s3_origin
    store = stores(bucket, region)
    log["marker"] = marker is not None

    mark = perf_counter()
    original = find_original(store, candidate_keys(variant.stem, marker_extension, config))
    log.update(source=original.key, bytes_in=len(original.body), ms_fetch=(perf_counter() - mark) * 1000)

    rendered = renderer(original.body, variant.spec)
    log.update({f"ms_{stage}": ms for stage, ms in rendered.timings_ms.items()})
    log.update(bytes_out=len(rendered.body), width=rendered.width, height=rendered.height)

    mark = perf_counter()
    try:
        stored = store.put_variant(
            variant_s3_key(variant, config), rendered.body, rendered.format.content_type, config.cache_control, original
        )
        log["stored"] = "written" if stored else "exists"
    except StorageUnavailable as err:
        stored = False
        log.update(stored="failed", store_detail=err.detail or err.reason)
    log["ms_store"] = (perf_counter() - mark) * 1000

    response = responses.image(rendered.body, rendered.format, config.cache_control)
    if responses.generated_size(response) <= config.max_response_bytes:
        log["action"] = "inline"
        return response
    if log["stored"] == "failed":
        raise StorageUnavailable("variant too large to return inline and could not be stored")
    log["action"] = "redirect"
    original_uri = encode_path(original.key)
    return responses.redirect(f"{original_uri}?{viewer_query(variant.spec, config)}")
