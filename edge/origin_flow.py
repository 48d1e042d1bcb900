"""The origin-response flow: pass a response through, refuse it, or render, store and return the missing variant.

S3 and Pillow arrive through the ports (``edge.ports``: ``Store``, ``Renderer``), so this module imports neither;
the watermark comes from ``edge.watermark_source``, the redirect of an oversize variant from ``edge.redirects``.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from time import perf_counter, time
from typing import TYPE_CHECKING, Any

from edge import responses
from edge.config import Config, SignatureMode
from edge.errors import (
    BadRequest,
    EdgeError,
    NamespaceConflict,
    OriginalNotFound,
    OutputTooLarge,
    StorageUnavailable,
    UnsignedMiss,
)
from edge.events import OriginResponse, header_value
from edge.faces import FaceDetectionUnavailable, FaceOutcome
from edge.keys import (
    SOURCE_METADATA,
    InvalidVariantKey,
    VariantKey,
    decode_key,
    source_stem,
    variant_s3_key,
)
from edge.marker import MARKER_HEADER, verify
from edge.negotiate import choose_format
from edge.options import FormatChoice, OutputFormat, RenderSpec
from edge.origins import route
from edge.paths import encode_path
from edge.ports import Original, Renderer, Store, StoreFactory
from edge.query import parse_query
from edge.reachability import check_reachable
from edge.redirects import redirect_without_marker
from edge.variant_headers import inline_headers, with_vary_accept
from edge.watermark_source import watermark_for
from edge.watermarks import Watermark

if TYPE_CHECKING:
    from edge.render import Rendered


# Statuses S3 answers for a missing key: 404 with s3:ListBucket, 403 without it (the OAI has none).
MISS_STATUSES = frozenset({403, 404})
# Statuses with which S3 serves an object (a 304 carries no metadata and revalidates what was served before).
SERVED_STATUSES = frozenset({200, 206})
#: The header CloudFront's origin-response event carries S3's variant metadata in.
SOURCE_HEADER = f"x-amz-meta-{SOURCE_METADATA}"
#: Set on an inline render of an animated original rendered as its first frame only (a limit of
#: ``edge.render.animation``): ``first-frame; <which limit>``.
ANIMATION_HEADER = "X-Imgedge-Animation"


def served_object_conflict(event: OriginResponse, config: Config) -> NamespaceConflict | None:
    """Why S3's answer to ``event`` must not reach the viewer, or ``None``: an object S3 serves (200/206) at a
    variant key must be a variant of that key's original, which ``SOURCE_HEADER`` (S3 sends its user metadata as
    ``x-amz-meta-*`` headers, which CloudFront passes to origin-response) proves. Without it, or naming another
    original, the object is an original sitting at a variant key (default layout: ``300/team/ann.jpg``) and
    serving it would hand a viewer who asked for ``/team/ann.png?w=300`` an unrelated full-size image."""
    if event.status not in SERVED_STATUSES:
        return None
    try:
        variant = decode_key(event.uri, config)
    except InvalidVariantKey:
        return None
    source = header_value(event.response_headers, SOURCE_HEADER)
    if source is not None and source_stem(source) == variant.stem:
        return None
    return NamespaceConflict(
        "an original, not a variant, is stored at this variant key: set variant_prefix",
        detail=f"{SOURCE_HEADER}: {source!r}",
    )


def format_alternatives(spec: RenderSpec, marker: str | None, extension: str, config: Config) -> tuple[RenderSpec, ...]:
    """The specs to render instead, in order, when ``spec.format`` cannot hold the output's size
    (``OutputTooLarge``): ``spec`` in another format and its quality.

    Only a negotiated format may change: the marker records a query that asks for no format (or ``auto``) and
    the configuration's default is ``auto``. Then the alternatives are the original's family (JPEG, or PNG for
    png/gif sources: what negotiation gives a client that lists no modern format, so every client can display
    it) and PNG; a quality at the spec format's default becomes the alternative's default. A variant key
    requested directly, or an explicit ``format``, gets none (the render is then a 422 naming the limit).
    """
    if marker is None or config.sizing.default_format is not FormatChoice.AUTO:
        return ()
    try:
        requested = parse_query(
            marker.partition("?")[2],
            config.url.presets,
            config.url.preset_overrides,
            False,
            config.url.allowed_parameters,
        )
    except BadRequest:
        return ()
    if requested is None or requested.format not in (None, FormatChoice.AUTO):
        return ()
    default = spec.format.lossy and spec.quality == config.sizing.default_quality.get(spec.format.value)
    result: list[RenderSpec] = []
    for fmt in dict.fromkeys((choose_format(FormatChoice.AUTO, "", extension), OutputFormat.PNG)):
        if fmt is not spec.format:
            quality = None if not fmt.lossy else config.sizing.default_quality[fmt.value] if default else spec.quality
            result.append(replace(spec, format=fmt, quality=quality))
    return tuple(result)


@dataclass
class Result:
    """What origin-response returns, with the fields of its log line."""

    response: dict[str, Any]
    log: dict[str, Any] = field(default_factory=dict)


def candidate_keys(stem: str, marker_extension: str | None, config: Config) -> list[str]:
    """The original keys to try, in priority order.

    Two originals that differ only by extension share their variants; the one whose extension comes first in
    ``config.sources.source_extensions`` wins, whichever of them the viewer asked for. With a marker, the
    candidates stop at the marker's extension (its own spelling, e.g. ``JPG``); without one, each configured
    extension is tried in lowercase and uppercase.
    """
    order = config.sources.source_extensions
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

    Passes the origin's response through unchanged unless S3 answered 403/404 for a canonical variant key
    (under ``presets_only``, one that also carries viewer-request's marker). Then: the key is re-checked against
    the size policy and the marker; the original is found, rendered and stored (``IfNoneMatch='*'``); the image
    is returned inline, or, when the inline response would exceed ``config.responses.max_response_bytes``, the viewer is
    redirected (``no-store``) to the URL the marker records (exactly what the viewer asked for); when the marker
    records no query (or there is none), to the canonical viewer URL, or to the key itself when viewer-request
    would refuse that URL (for a prefixed origin's key, which CloudFront would fetch from another bucket, the
    original's URL without ``format``; a 400 ``VariantTooLarge`` when viewer-request refuses that too). No redirect
    leads back to the same miss: the next request is served from S3. Every ``EdgeError`` becomes its error response
    (4xx short-cached, 5xx ``no-store``).
    """
    started = perf_counter()
    log: dict[str, Any] = {"uri": event.uri, "origin_status": event.status, "request_id": event.request_id}
    if event.status not in MISS_STATUSES:
        conflict = served_object_conflict(event, config)
        if conflict is None:
            return Result(served_from_origin(event, config), {**log, "action": "pass"})
        log.update(action="refused", reason=conflict.reason, detail=conflict.detail, status=conflict.status)
        return Result(responses.keep_read_only_headers(responses.error(conflict, 0), event.response_headers), log)
    try:
        variant = decode_key(event.uri, config)
    except InvalidVariantKey:
        return missing_object(event, config, log)
    if config.url.presets_only and event.request_header(MARKER_HEADER) is None:
        # check_spec cannot tell whether a preset produces this key; only viewer-request's marker (set after the
        # preset check, stripped from viewers) can. A variant key requested directly renders nothing.
        return missing_object(event, config, {**log, "reason": "no marker (presets_only)"})
    try:
        response = _serve_miss(event, variant, config, stores, renderer, log)
    except EdgeError as err:
        log.update(action="error", reason=err.reason, detail=err.detail or None)
        max_age = (
            config.responses.missing_max_age if isinstance(err, OriginalNotFound) else config.responses.error_max_age
        )
        response = responses.error(err, max_age)
    log["status"] = int(response["status"])
    log["ms_total"] = (perf_counter() - started) * 1000
    return Result(responses.keep_read_only_headers(response, event.response_headers), log)


def _render(
    renderer: Renderer,
    data: bytes,
    spec: RenderSpec,
    watermark: Watermark | None,
    alternatives: tuple[RenderSpec, ...],
    log: dict[str, Any],
) -> Rendered:
    """``renderer``'s variant of ``spec``, else of the first of ``alternatives`` whose format can hold the output
    (the bytes carry that format's Content-Type under the spec's key); ``OutputTooLarge`` when none can."""
    for attempt, candidate in enumerate((spec, *alternatives)):
        try:
            if watermark is None:
                return renderer(data, candidate)
            return renderer(data, candidate, watermark=watermark)
        except OutputTooLarge as err:
            if attempt == len(alternatives):
                raise
            log["format_fallback"] = f"{candidate.format.value}: {err.reason}"
    raise AssertionError("unreachable")  # pragma: no cover


def served_from_origin(event: OriginResponse, config: Config) -> dict[str, Any]:
    """The origin's answer (not a miss) as origin-response returns it: a 200 or 304 for a canonical variant key
    gets ``Vary: Accept`` (``edge.variant_headers``); anything else is returned unchanged."""
    if event.status in (200, 304):
        try:
            decode_key(event.uri, config)
        except InvalidVariantKey:
            return dict(event.response)
        return with_vary_accept(event.response, config)
    return dict(event.response)


def image_extensions(config: Config) -> frozenset[str]:
    """The lowercase extensions of an image URI: every configured source extension and every output one."""
    return frozenset({*config.sources.source_extensions, *(fmt.extension for fmt in OutputFormat), "jpeg"})


def missing_object(event: OriginResponse, config: Config, log: dict[str, Any]) -> Result:
    """S3's 403/404 for a URI that origin-response does not render (an original requested as it is, or a variant
    key under ``presets_only`` without the marker): under an image extension it becomes the short-cached
    ``404 text/plain`` of a missing original (``missing_max_age``), so no S3 error XML reaches a viewer and a
    missing image answers the same with or without a query; any other URI keeps the origin's answer."""
    name = event.uri.rpartition("/")[2]
    stem, dot, extension = name.rpartition(".")
    if not (dot and stem and extension.lower() in image_extensions(config)):
        return Result(dict(event.response), {**log, "action": "pass"})
    response = responses.error(OriginalNotFound(), config.responses.missing_max_age)
    result_log = {**log, "action": "error", "reason": OriginalNotFound.default_reason, "status": 404}
    return Result(responses.keep_read_only_headers(response, event.response_headers), result_log)


def _animation_headers(rendered: Rendered, log: dict[str, Any]) -> dict[str, str]:
    """The headers (and log fields) saying how an animated original was rendered: all its frames, or the first."""
    if rendered.frames > 1:
        log["frames"] = rendered.frames
    if rendered.first_frame_reason is None:
        return {}
    log["animation"] = f"first frame: {rendered.first_frame_reason}"
    return {ANIMATION_HEADER: f"first-frame; {rendered.first_frame_reason}"}


def _inline(
    body: bytes, fmt: OutputFormat, cache_control: str, config: Config, extra: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The inline image response, with its validators and ``Vary`` (taken after the variant was stored), and
    ``extra`` headers."""
    return responses.image(body, fmt, cache_control, extra={**inline_headers(body, time(), config), **(extra or {})})


@dataclass(frozen=True, slots=True)
class Produced:
    """A rendered variant and the original its stored metadata names (``watermark_etag`` set when a watermark was
    overlaid)."""

    rendered: Rendered
    source: Original


def produce_variant(
    store: Store,
    bucket: str | None,
    original: Original,
    variant: VariantKey,
    config: Config,
    renderer: Renderer,
    marker: str | None,
    log: dict[str, Any],
) -> Produced:
    """Render ``variant`` from ``original`` (read from ``store``, the store of ``bucket``) as origin-response renders
    a miss; the purge-on-change function's warming and ``imgedge warm`` call it too, so a warmed variant is the
    variant a viewer's miss would have stored.

    The configured watermark is overlaid (``watermark_for``); when ``variant``'s format cannot hold the output, the
    alternatives ``marker`` (the viewer URL, ``edge.marker``) allows are tried (``format_alternatives``). Adds the
    watermark's ETag, the stage timings (``ms_decode``...), ``bytes_out``, the size and the face detection to
    ``log``. Raises ``NamespaceConflict`` when ``original`` is itself a stored variant, the renderer's
    ``EdgeError`` otherwise, and ``StorageUnavailable`` when the configured watermark cannot be read.
    """
    if original.variant_source is not None:
        # A variant of a variant would outlive its original's purge (it names the variant as its source).
        raise NamespaceConflict(
            "the original of this key is itself a stored variant: nothing renders from a variant",
            detail=f"{original.key} carries {SOURCE_HEADER}: {original.variant_source}",
        )
    watermark = watermark_for(store, config, bucket)
    alternatives = format_alternatives(variant.spec, marker, original.key.rpartition(".")[2], config)
    rendered = _render(renderer, original.body, variant.spec, watermark, alternatives, log)
    if watermark is not None:
        log["watermark_etag"] = watermark.etag
        original = replace(original, watermark_etag=watermark.etag)
    log.update({f"ms_{stage}": ms for stage, ms in rendered.timings_ms.items()})
    log.update(bytes_out=len(rendered.body), width=rendered.width, height=rendered.height)
    if rendered.faces is not None:
        faces = rendered.faces
        log.update(faces=faces.outcome.value, faces_count=faces.faces, ms_rekognition=faces.ms)
        if faces.detail:
            log["faces_detail"] = faces.detail
    return Produced(rendered, original)


def store_variant(store: Store, variant: VariantKey, produced: Produced, config: Config) -> bool:
    """Store ``produced`` as origin-response stores a miss: at ``variant``'s S3 key, with its format's
    Content-Type, ``cache_control``, the source metadata (and tag) of ``Store.put_variant``, and only if nothing is
    there (``If-None-Match``). ``True`` when written, ``False`` when an object was already there (left alone).
    Raises ``StorageUnavailable``."""
    rendered = produced.rendered
    return store.put_variant(
        variant_s3_key(variant, config),
        rendered.body,
        rendered.format.content_type,
        config.responses.cache_control,
        produced.source,
    )


def _serve_miss(
    event: OriginResponse,
    variant: VariantKey,
    config: Config,
    stores: StoreFactory,
    renderer: Renderer,
    log: dict[str, Any],
) -> dict[str, Any]:
    check_reachable(variant, config)
    marker = event.request_header(MARKER_HEADER)
    if marker is None and config.signing.signature_mode is not SignatureMode.OFF:
        # Only viewer-request sets the marker, after checking the signature: an unmarked miss is a variant key
        # requested directly, which must not render unsigned (stored variants are still served by S3).
        raise UnsignedMiss()
    marker_extension = verify(marker, variant, config).extension if marker is not None else None
    # A configured origin owning the stem wins over the event's (edge.origins): the right bucket even off-behavior.
    bucket, region = route(config.sources.origins, variant.stem, event.s3_origin)
    store = stores(bucket, region)
    log["marker"] = marker is not None

    mark = perf_counter()
    original = find_original(store, candidate_keys(variant.stem, marker_extension, config))
    log.update(source=original.key, bytes_in=len(original.body), ms_fetch=(perf_counter() - mark) * 1000)
    produced = produce_variant(store, bucket, original, variant, config, renderer, marker, log)
    rendered = produced.rendered
    extra = _animation_headers(rendered, log)
    if rendered.faces is not None and rendered.faces.outcome is FaceOutcome.FAILED:
        # A failed detection (throttling, timeout...) is transient: its attention fallback is served for
        # error_max_age and never stored, so that a later request detects again. Too large to return inline (a
        # redirect needs a stored variant), it is not served either: a no-store 503 asks for a retry.
        response = _inline(
            rendered.body, rendered.format, f"public, max-age={config.responses.error_max_age}", config, extra
        )
        log["stored"] = "skipped"
        if responses.generated_size(response) <= config.responses.max_response_bytes:
            log["action"] = "inline"
            return response
        raise FaceDetectionUnavailable(detail=rendered.faces.detail or "")

    mark = perf_counter()
    try:
        stored = store_variant(store, variant, produced, config)
        log["stored"] = "written" if stored else "exists"
    except StorageUnavailable as err:
        stored = False
        log.update(stored="failed", store_detail=err.detail or err.reason)
    log["ms_store"] = (perf_counter() - mark) * 1000

    response = _inline(rendered.body, rendered.format, config.responses.cache_control, config, extra)
    if responses.generated_size(response) <= config.responses.max_response_bytes:
        log["action"] = "inline"
        return response
    if log["stored"] == "failed":
        raise StorageUnavailable("variant too large to return inline and could not be stored")
    log["action"] = "redirect"
    if marker is not None and "?" in marker and marker.isascii() and marker.isprintable():
        # Exactly the URL the viewer asked for: its signature and preset still hold, and its cache behavior routes
        # it to this origin; the variant being stored now, S3 serves it.
        return responses.redirect(marker)
    return redirect_without_marker(event.uri, variant, encode_path(original.key), config)
