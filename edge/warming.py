"""Warming: an original's configured variants rendered into its bucket before any viewer asks for them.

``warm_targets`` expands ``config.warming.warm_renditions`` for one original: the variant keys each query rewrites
to (``edge.rewrite.rendition_keys``: a ``format=auto`` query gives one key per format the negotiation can pick), in
order, each once. ``warm_original`` renders and stores the ones the bucket does not hold yet with origin-response's
own code (``edge.origin_flow``: ``find_original``, ``produce_variant``, ``store_variant``): the same original
(``candidate_keys``: a sibling with an earlier extension wins), the same watermark and format fallback, the same
object (body, Content-Type, metadata, tag, Cache-Control) and the same create-only write. A viewer asking for a
warmed size gets an S3 hit; the object is the one its own miss would have stored.

Shared by the purge-on-change function (``purge_on_change.warming``, on ``s3:ObjectCreated:*``) and ``imgedge
warm``. S3 and Pillow arrive through the ports (``WarmStore``, ``edge.ports.Renderer``); this module imports neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Protocol

from edge.config import Config
from edge.errors import EdgeError, OriginalNotFound
from edge.faces import FaceDetectionUnavailable, FaceOutcome
from edge.keys import VariantKey, decode_key, variant_s3_key
from edge.marker import marker_value
from edge.origin_flow import candidate_keys, find_original, produce_variant, store_variant
from edge.origins import origin_for, origin_of_bucket
from edge.paths import OriginalPath
from edge.ports import Original, Renderer, Store
from edge.purge import ObjectChange, original_path
from edge.rewrite import rendition_keys

#: The S3 event names of a new or overwritten object (PUT, POST, COPY, multipart upload).
CREATED_EVENT_PREFIX = "ObjectCreated:"
#: Existence checks (HeadObject) run at most this many at a time.
CHECK_WORKERS = 8


class WarmStore(Store, Protocol):
    """A ``Store`` that names its bucket and can tell whether a key holds an object (``edge.store.S3Store``)."""

    @property
    def bucket(self) -> str: ...

    def has_object(self, key: str) -> bool:
        """Whether an object exists at ``key``. Raises ``StorageUnavailable``."""
        ...


@dataclass(frozen=True, slots=True)
class WarmTarget:
    """One variant to prepare: its S3 key, the variant, and the viewer URL that asks for it (``url``, as the
    viewer-request marker spells it: ``/photos/cat.jpg?w=320``), which decides the format fallback."""

    key: str
    variant: VariantKey
    url: str


def warm_targets(original: OriginalPath, config: Config) -> tuple[WarmTarget, ...]:
    """The variants ``config.warming.warm_renditions`` ask for ``original``, in rendition order, each key once.

    Raises ``BadRequest`` (or ``Forbidden``) when viewer-request would refuse a rendition for this original
    (``edge.rewrite.check_warm_renditions`` has checked every one against the configuration at deploy)."""
    targets: dict[str, WarmTarget] = {}
    for query in config.warming.warm_renditions:
        for uri in rendition_keys(original.uri, query, config):
            if uri not in targets:
                variant = decode_key(uri, config)
                targets[uri] = WarmTarget(variant_s3_key(variant, config), variant, marker_value(original.uri, query))
    return tuple(targets.values())


def edge_reads_from(bucket: str, key: str, config: Config) -> bool:
    """Whether origin-response reads the original ``key`` from ``bucket``: the bucket of the configured origin
    owning the key; else the default bucket, which is ``sources.bucket`` when set and otherwise any bucket that is
    not an extra origin's (the distribution's own S3 origin is not in the configuration)."""
    owner = origin_for(config.sources.origins, key)
    if owner is not None:
        return owner.bucket == bucket
    if config.sources.bucket:
        return config.sources.bucket == bucket
    return origin_of_bucket(config.sources.origins, bucket) is None


def originals_to_warm(changes: Iterable[ObjectChange], config: Config) -> dict[str, list[OriginalPath]]:
    """Per bucket, the originals an S3 event notification created or overwrote (``ObjectCreated:*``) that the
    edge reads from that bucket (``edge_reads_from``), each once. Keys in the variant namespace (the variants
    this warming and origin-response write, which notify too) and keys that are not originals are skipped
    (``edge.purge.original_path``), so warming never loops on its own writes."""
    result: dict[str, dict[str, OriginalPath]] = {}
    for change in changes:
        if not change.event_name.startswith(CREATED_EVENT_PREFIX):
            continue
        original = original_path(change.key, config)
        if original is not None and edge_reads_from(change.bucket, original.key, config):
            result.setdefault(change.bucket, {})[original.key] = original
    return {bucket: list(originals.values()) for bucket, originals in result.items()}


@dataclass
class WarmReport:
    """What warming one original (``bucket``/``original``) did.

    ``written``: variant keys stored now; ``skipped``: keys that already held an object, left alone (found by the
    existence check, or by the conditional write losing to a concurrent render); ``failed``: ``key: reason``
    of each variant (or of the original, when nothing could be rendered) that could not be prepared. ``gone``:
    the original no longer exists (deleted since its event; nothing to warm, not a failure). ``source``: the
    original rendered from (``candidate_keys``). ``ms`` sums the milliseconds per stage: ``check`` (the HEADs),
    ``fetch``, the render's (``decode``, ``transform``, ``encode``, ``faces``) and ``store``.
    """

    bucket: str
    original: str
    source: str | None = None
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    gone: bool = False
    bytes_in: int = 0
    bytes_out: int = 0
    ms: dict[str, float] = field(default_factory=dict)

    def _add_ms(self, stage: str, ms: float) -> None:
        self.ms[stage] = self.ms.get(stage, 0.0) + ms


def _failure(key: str, err: EdgeError) -> str:
    return f"{key}: {err.reason}" + (f" ({err.detail})" if err.detail else "")


def missing_targets(store: WarmStore, targets: tuple[WarmTarget, ...]) -> tuple[list[WarmTarget], list[WarmTarget]]:
    """``(missing, present)``: the targets whose key holds no object yet, and those that do (HeadObject,
    ``CHECK_WORKERS`` at a time). Raises ``StorageUnavailable``."""
    if not targets:
        return [], []
    with ThreadPoolExecutor(max_workers=min(len(targets), CHECK_WORKERS)) as pool:
        found = list(pool.map(lambda target: store.has_object(target.key), targets))
    missing = [target for target, exists in zip(targets, found, strict=True) if not exists]
    present = [target for target, exists in zip(targets, found, strict=True) if exists]
    return missing, present


def warm_original(store: WarmStore, original: OriginalPath, config: Config, renderer: Renderer) -> WarmReport:
    """Render and store the variants of ``original`` (in ``store``'s bucket) that the bucket does not hold yet.

    The original is read once (``find_original`` over ``candidate_keys``, as origin-response reads it for the
    viewer URL ``original.uri``); each missing variant is rendered by ``produce_variant`` and written by
    ``store_variant`` (``If-None-Match``: an object that appeared meanwhile is left alone and reported
    ``skipped``). A variant whose render or write fails is reported in ``failed`` and the others are still
    prepared; a face detection that failed is a failure too (its fallback crop is never stored, as at the edge).
    Never raises an ``EdgeError``: everything it meets is in the report.
    """
    report = WarmReport(store.bucket, original.key)
    mark = perf_counter()
    try:
        missing, present = missing_targets(store, warm_targets(original, config))
    except EdgeError as err:
        report.failed.append(_failure(original.key, err))
        return report
    report._add_ms("check", (perf_counter() - mark) * 1000)
    report.skipped += [target.key for target in present]
    if not missing:
        return report
    mark = perf_counter()
    try:
        source = find_original(store, candidate_keys(original.stem, original.extension, config))
    except OriginalNotFound:
        report.gone = True
        return report
    except EdgeError as err:
        report.failed.append(_failure(original.key, err))
        return report
    report._add_ms("fetch", (perf_counter() - mark) * 1000)
    report.source, report.bytes_in = source.key, len(source.body)
    for target in missing:
        _warm_one(store, source, target, config, renderer, report)
    return report


def _warm_one(
    store: WarmStore, source: Original, target: WarmTarget, config: Config, renderer: Renderer, report: WarmReport
) -> None:
    log: dict[str, object] = {}
    try:
        produced = produce_variant(store, store.bucket, source, target.variant, config, renderer, target.url, log)
        faces = produced.rendered.faces
        if faces is not None and faces.outcome is FaceOutcome.FAILED:
            raise FaceDetectionUnavailable(detail=faces.detail or "")
        mark = perf_counter()
        written = store_variant(store, target.variant, produced, config)
        report._add_ms("store", (perf_counter() - mark) * 1000)
    except EdgeError as err:
        report.failed.append(_failure(target.key, err))
        return
    finally:
        for name, value in log.items():
            if name.startswith("ms_") and isinstance(value, float):
                report._add_ms(name.removeprefix("ms_"), value)
    (report.written if written else report.skipped).append(target.key)
    report.bytes_out += len(produced.rendered.body) if written else 0


def log_fields(reports: Iterable[WarmReport]) -> dict[str, Any]:
    """The warming members of a log line: ``warmed``, ``warm_skipped`` (already stored), ``warm_failed`` and
    ``warm_gone`` as ``bucket/key`` lists, ``warm_bytes_in``/``warm_bytes_out``, and ``ms_warm_<stage>`` summed over
    ``reports``."""
    fields: dict[str, Any] = {"warmed": [], "warm_skipped": [], "warm_failed": [], "warm_gone": []}
    totals: dict[str, float] = {}
    bytes_in = bytes_out = 0
    for report in reports:
        fields["warmed"] += [f"{report.bucket}/{key}" for key in report.written]
        fields["warm_skipped"] += [f"{report.bucket}/{key}" for key in report.skipped]
        fields["warm_failed"] += [f"{report.bucket}/{failure}" for failure in report.failed]
        fields["warm_gone"] += [f"{report.bucket}/{report.original}"] if report.gone else []
        bytes_in += report.bytes_in
        bytes_out += report.bytes_out
        for stage, ms in report.ms.items():
            totals[stage] = totals.get(stage, 0.0) + ms
    fields.update(warm_bytes_in=bytes_in, warm_bytes_out=bytes_out)
    fields.update({f"ms_warm_{stage}": ms for stage, ms in totals.items()})
    return fields
