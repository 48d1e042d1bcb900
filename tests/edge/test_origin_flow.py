"""edge.origin_flow: the origin-response flow, with an in-memory store and renderer standing in for S3 and Pillow."""

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import pytest

from edge import watermark_source
from edge.config import Config, SignatureMode
from edge.errors import EdgeError, ImageTooLarge, InvalidImage, StorageUnavailable, UnsupportedImage
from edge.events import OriginResponse
from edge.keys import decode_key
from edge.options import Fit, FormatChoice, OutputFormat, RenderSpec
from edge.origin_flow import (
    MISS_STATUSES,
    Result,
    candidate_keys,
    find_original,
    handle_origin_response,
)
from edge.ports import Original, Renderer, Store
from edge.rewrite import rewrite
from edge.variant_headers import inline_headers
from edge.watermarks import Watermark
from tests.conftest import TEST_BUCKET, origin_event

CONFIG = Config()
URI = "/300/photos/cat.avif"
MARKER = "/photos/cat.png"


@dataclass
class FakeRendered:
    """Quacks like ``edge.render.Rendered``."""

    body: bytes
    format: OutputFormat
    width: int | None
    height: int | None
    timings_ms: dict[str, float] = field(default_factory=lambda: {"decode": 1.0, "encode": 2.0})
    faces: None = None  # no face detection ran
    frames: int = 1  # a still image
    first_frame_reason: None = None


@dataclass
class FakeRenderer:
    """Renders ``size`` bytes in the spec's format, or raises ``error``; records its calls."""

    size: int = 100
    error: EdgeError | None = None
    calls: list[tuple[bytes, RenderSpec]] = field(default_factory=list)

    def __call__(self, data: bytes, spec: RenderSpec) -> FakeRendered:
        self.calls.append((data, spec))
        if self.error is not None:
            raise self.error
        return FakeRendered(b"R" * self.size, spec.format, spec.width, spec.height)


@dataclass
class Put:
    key: str
    body: bytes
    content_type: str
    cache_control: str
    source: Original


@dataclass
class FakeStore:
    """An in-memory bucket: ``objects`` maps keys to bytes; ``get_errors``/``put_error`` simulate S3 failures."""

    objects: dict[str, bytes] = field(default_factory=dict)
    get_errors: dict[str, EdgeError] = field(default_factory=dict)
    put_error: EdgeError | None = None
    gets: list[str] = field(default_factory=list)
    puts: list[Put] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get_original(self, key: str) -> Original | None:
        with self.lock:
            self.gets.append(key)
        if key in self.get_errors:
            raise self.get_errors[key]
        body = self.objects.get(key)
        return None if body is None else Original(key=key, body=body, etag=f"etag-{key}")

    def put_variant(self, key: str, body: bytes, content_type: str, cache_control: str, source: Original) -> bool:
        self.puts.append(Put(key, body, content_type, cache_control, source))
        if self.put_error is not None:
            raise self.put_error
        if key in self.objects:
            return False
        self.objects[key] = body
        return True


@dataclass
class Harness:
    store: FakeStore
    renderer: FakeRenderer
    origins: list[tuple[str | None, str | None]] = field(default_factory=list)

    def run(self, event: dict[str, Any], config: Config = CONFIG) -> Result:
        def stores(bucket: str | None, region: str | None) -> Store:
            self.origins.append((bucket, region))
            return self.store

        return handle_origin_response(OriginResponse(event), config, stores, cast(Renderer, self.renderer))


@pytest.fixture
def harness() -> Harness:
    return Harness(FakeStore(objects={"photos/cat.png": b"PNG original"}), FakeRenderer())


def _header(response: dict[str, Any], name: str) -> str | None:
    entries = response.get("headers", {}).get(name)
    return None if not entries else str(entries[0]["value"])


# Pass-through.


@pytest.mark.parametrize("status", [200, 304])
def test_hits_and_not_modified_pass_through_unchanged_but_for_vary(harness: Harness, status: int) -> None:
    event = origin_event(status, URI, MARKER)
    response = event["Records"][0]["cf"]["response"]
    expected = {**response, "headers": {**response["headers"], "vary": [{"key": "Vary", "value": "Accept"}]}}
    result = harness.run(event)
    assert result.response == expected
    assert result.log["action"] == "pass"
    assert harness.origins == []
    assert harness.renderer.calls == []


@pytest.mark.parametrize("uri", ["/favicon.ico", "/docs/readme", "/photos/.png", "/a.svg"])
def test_misses_of_non_image_uris_pass_through(harness: Harness, uri: str) -> None:
    event = origin_event(404, uri, None)
    result = harness.run(event)
    assert result.response == event["Records"][0]["cf"]["response"]
    assert result.log["action"] == "pass"
    assert harness.store.gets == []


@pytest.mark.parametrize("status", [403, 404])
@pytest.mark.parametrize(
    "uri", ["/photos/cat.png", "/300/photos/cat.jpeg", "/300-q50/photos/cat.avif", "/300x200-cover/a.avif", "/b.TIF"]
)
def test_misses_of_image_uris_that_are_not_variant_keys_are_a_404_and_render_nothing(
    harness: Harness, status: int, uri: str
) -> None:
    result = harness.run(origin_event(status, uri, None))
    assert result.response["status"] == "404"
    assert result.response["body"] == "original image not found\n"
    assert _header(result.response, "cache-control") == f"public, max-age={CONFIG.responses.missing_max_age}"
    assert result.log["action"] == "error"
    assert harness.store.gets == []


def test_other_error_statuses_pass_through(harness: Harness) -> None:
    event = origin_event(404, URI, MARKER)
    event["Records"][0]["cf"]["response"]["status"] = "500"
    result = harness.run(event)
    assert result.response["status"] == "500"
    assert harness.store.gets == []
    assert sorted(MISS_STATUSES) == [403, 404]


# Misses render.


@pytest.mark.parametrize("status", [403, 404])
def test_a_miss_renders_stores_and_returns_the_image_inline(harness: Harness, status: int) -> None:
    result = harness.run(origin_event(status, URI, MARKER))
    response = result.response
    assert response["status"] == "200"
    assert response["bodyEncoding"] == "base64"
    assert base64.b64decode(response["body"]) == b"R" * 100
    assert _header(response, "content-type") == "image/avif"
    assert _header(response, "cache-control") == "public, max-age=31536000, immutable"
    assert harness.renderer.calls == [(b"PNG original", RenderSpec(300, None, Fit.INSIDE, OutputFormat.AVIF, 50))]
    [put] = harness.store.puts
    assert put.key == "300/photos/cat.avif"
    assert put.body == b"R" * 100
    assert put.content_type == "image/avif"
    assert put.cache_control == CONFIG.responses.cache_control
    assert put.source == Original("photos/cat.png", b"PNG original", "etag-photos/cat.png")
    assert harness.origins == [(TEST_BUCKET, "us-east-1")]
    log = result.log
    assert log["action"] == "inline"
    assert log["status"] == 200
    assert log["stored"] == "written"
    assert log["source"] == "photos/cat.png"
    assert log["marker"] is True
    assert log["bytes_in"] == len(b"PNG original")
    assert log["bytes_out"] == 100
    assert log["ms_decode"] == 1.0
    assert log["ms_total"] >= 0


def test_configured_cache_control_is_used_for_the_response_and_the_object(harness: Harness) -> None:
    config = Config.of(cache_control="public, max-age=600")
    response = harness.run(origin_event(404, URI, MARKER), config).response
    assert _header(response, "cache-control") == "public, max-age=600"
    assert harness.store.puts[0].cache_control == "public, max-age=600"


def test_the_spec_from_the_key_reaches_the_renderer(harness: Harness) -> None:
    harness.run(origin_event(404, "/300x300-contain-q60/photos/cat.jpg", MARKER))
    assert harness.renderer.calls[0][1] == RenderSpec(300, 300, Fit.CONTAIN, OutputFormat.JPEG, 60)
    assert harness.store.puts[0].key == "300x300-contain-q60/photos/cat.jpg"
    assert harness.store.puts[0].content_type == "image/jpeg"


def test_a_miss_without_marker_finds_the_original_by_probing(harness: Harness) -> None:
    result = harness.run(origin_event(403, URI, None))
    assert result.response["status"] == "200"
    assert result.log["marker"] is False
    assert result.log["source"] == "photos/cat.png"


def test_a_non_ascii_key_renders() -> None:
    harness = Harness(FakeStore(objects={"café/ü.png": b"x"}), FakeRenderer())
    result = harness.run(origin_event(404, "/300/caf%C3%A9/%C3%BC.avif", "/caf%C3%A9/%C3%BC.png"))
    assert result.response["status"] == "200"
    assert harness.store.puts[0].key == "300/café/ü.avif"


# Refusals.


@pytest.mark.parametrize("marker", ["/photos/dog.png", "/other/cat.png", "/photos/cat.txt", "/../cat.png", "x"])
def test_marker_that_disagrees_with_the_key_is_a_400(harness: Harness, marker: str) -> None:
    result = harness.run(origin_event(404, URI, marker))
    assert result.response["status"] == "400"
    assert _header(result.response, "cache-control") == "public, max-age=60"
    assert harness.store.gets == []
    assert harness.renderer.calls == []
    assert result.log["action"] == "error"


@pytest.mark.parametrize("uri", ["/301/photos/cat.avif", "/300-q55/photos/cat.avif", "/5000/photos/cat.avif"])
def test_keys_outside_the_size_policy_are_a_400_and_render_nothing(harness: Harness, uri: str) -> None:
    result = harness.run(origin_event(404, uri, MARKER))
    assert result.response["status"] == "400"
    assert harness.store.gets == []
    assert harness.renderer.calls == []


def test_missing_original_is_a_404_with_a_short_public_cache_time() -> None:
    harness = Harness(FakeStore(), FakeRenderer())
    result = harness.run(origin_event(404, URI, MARKER))
    response = result.response
    assert response["status"] == "404"
    assert _header(response, "cache-control") == "public, max-age=60"
    assert _header(response, "content-type") == "text/plain; charset=utf-8"
    assert response["body"] == "original image not found\n"
    assert harness.renderer.calls == []
    assert harness.store.puts == []


def test_missing_original_uses_missing_max_age_and_other_errors_error_max_age() -> None:
    config = Config.of(missing_max_age=5, error_max_age=7)
    missing = Harness(FakeStore(), FakeRenderer()).run(origin_event(404, URI, MARKER), config)
    assert _header(missing.response, "cache-control") == "public, max-age=5"
    invalid = Harness(FakeStore(objects={"photos/cat.png": b"x"}), FakeRenderer(error=InvalidImage())).run(
        origin_event(404, URI, MARKER), config
    )
    assert _header(invalid.response, "cache-control") == "public, max-age=7"


@pytest.mark.parametrize(
    ("error", "status"),
    [(InvalidImage(detail="truncated"), "422"), (UnsupportedImage(), "415"), (ImageTooLarge(), "422")],
)
def test_bad_originals_are_a_4xx_and_store_nothing(harness: Harness, error: EdgeError, status: str) -> None:
    harness.renderer.error = error
    result = harness.run(origin_event(404, URI, MARKER))
    assert result.response["status"] == status
    assert result.response["body"] == error.reason + "\n"
    assert _header(result.response, "cache-control") == "public, max-age=60"
    assert harness.store.puts == []
    assert result.log["reason"] == error.reason


def test_error_details_go_to_the_log_not_the_response(harness: Harness) -> None:
    harness.renderer.error = InvalidImage(detail="PIL says: broken PNG chunk")
    result = harness.run(origin_event(404, URI, MARKER))
    assert "PIL" not in result.response["body"]
    assert result.log["detail"] == "PIL says: broken PNG chunk"


def test_original_over_the_byte_limit_is_a_422(harness: Harness) -> None:
    harness.store.get_errors["photos/cat.png"] = ImageTooLarge(detail="big")
    assert harness.run(origin_event(404, URI, MARKER)).response["status"] == "422"


def test_storage_unavailable_while_fetching_is_a_503_no_store(harness: Harness) -> None:
    harness.store.get_errors["photos/cat.png"] = StorageUnavailable(detail="SlowDown")
    response = harness.run(origin_event(404, URI, MARKER)).response
    assert response["status"] == "503"
    assert _header(response, "cache-control") == "no-store"
    assert harness.renderer.calls == []


def test_store_factory_failure_is_a_503(harness: Harness) -> None:
    def no_store(bucket: str | None, region: str | None) -> Store:
        raise StorageUnavailable(detail="no bucket")

    result = handle_origin_response(
        OriginResponse(origin_event(404, URI, MARKER)), CONFIG, no_store, cast(Renderer, harness.renderer)
    )
    assert result.response["status"] == "503"


# Storing.


def test_failed_store_still_serves_the_image_inline(harness: Harness) -> None:
    harness.store.put_error = StorageUnavailable(detail="PutObject: InternalError")
    result = harness.run(origin_event(404, URI, MARKER))
    assert result.response["status"] == "200"
    assert base64.b64decode(result.response["body"]) == b"R" * 100
    assert result.log["stored"] == "failed"
    assert result.log["store_detail"] == "PutObject: InternalError"


def test_losing_the_race_is_not_an_error(harness: Harness) -> None:
    harness.store.objects["300/photos/cat.avif"] = b"written by a concurrent render"
    result = harness.run(origin_event(404, URI, MARKER))
    assert result.response["status"] == "200"
    assert result.log["stored"] == "exists"
    assert harness.store.objects["300/photos/cat.avif"] == b"written by a concurrent render"


# Too large for an inline response.


def test_oversize_variant_is_stored_and_the_viewer_redirected(harness: Harness) -> None:
    harness.renderer.size = 2000
    config = Config.of(max_response_bytes=1000)
    result = harness.run(origin_event(404, URI, MARKER), config)
    response = result.response
    assert response["status"] == "302"
    assert _header(response, "cache-control") == "no-store"
    assert _header(response, "location") == "/photos/cat.png?w=300&format=avif"
    assert "body" not in response
    assert [put.key for put in harness.store.puts] == ["300/photos/cat.avif"]
    assert result.log["action"] == "redirect"
    assert result.log["status"] == 302


def test_oversize_redirects_to_exactly_the_url_the_marker_records(harness: Harness) -> None:
    harness.renderer.size = 2000
    config = Config.of(
        max_response_bytes=1000, signature_mode=SignatureMode.REQUIRED, signature_secret_id="imgedge/keys"
    )
    marker = "/photos/cat.png?w=290&s=AAAAAAAAAAAAAAAAAAAAAA&utm_source=x"
    result = harness.run(origin_event(404, URI, marker), config)
    assert result.response["status"] == "302"
    # The viewer's own URL: its signature still holds and its cache behavior routes it to this origin.
    assert _header(result.response, "location") == marker
    assert [put.key for put in harness.store.puts] == ["300/photos/cat.avif"]


def test_redirect_location_maps_back_to_the_same_key_for_any_browser(harness: Harness) -> None:
    harness.renderer.size = 2000
    uri = "/300x200-contain-q60/photos/cat.webp"
    response = harness.run(origin_event(404, uri, MARKER), Config.of(max_response_bytes=1000)).response
    location = urlsplit(_header(response, "location") or "")
    assert location.path == "/photos/cat.png"
    for accept in ("image/avif", "*/*", ""):
        target = rewrite(location.path, location.query, accept, CONFIG)
        assert target is not None
        assert target.uri == uri


def test_redirect_names_the_original_actually_used() -> None:
    harness = Harness(FakeStore(objects={"photos/cat.jpg": b"j", "photos/cat.png": b"p"}), FakeRenderer(size=2000))
    response = harness.run(origin_event(404, URI, MARKER), Config.of(max_response_bytes=1000)).response
    assert _header(response, "location") == "/photos/cat.jpg?w=300&format=avif"


def test_response_exactly_at_the_budget_is_inline(harness: Harness) -> None:
    from edge import responses

    harness.renderer.size = 300
    # The validators' lengths do not depend on the time: an ETag is 34 characters, an HTTP-date 29.
    extra = inline_headers(b"R" * 300, 0, CONFIG)
    size = responses.generated_size(
        responses.image(b"R" * 300, OutputFormat.AVIF, CONFIG.responses.cache_control, extra)
    )
    assert harness.run(origin_event(404, URI, MARKER), Config.of(max_response_bytes=size)).response["status"] == "200"
    assert (
        harness.run(origin_event(404, URI, MARKER), Config.of(max_response_bytes=size - 1)).response["status"] == "302"
    )


def test_oversize_variant_that_could_not_be_stored_is_a_503_no_store(harness: Harness) -> None:
    harness.renderer.size = 2000
    harness.store.put_error = StorageUnavailable()
    response = harness.run(origin_event(404, URI, MARKER), Config.of(max_response_bytes=1000)).response
    assert response["status"] == "503"
    assert _header(response, "cache-control") == "no-store"


def test_oversize_variant_that_lost_the_race_still_redirects(harness: Harness) -> None:
    harness.renderer.size = 2000
    harness.store.objects["300/photos/cat.avif"] = b"other"
    response = harness.run(origin_event(404, URI, MARKER), Config.of(max_response_bytes=1000)).response
    assert response["status"] == "302"


# Read-only headers.


def _with_via(event: dict[str, Any]) -> dict[str, Any]:
    headers = event["Records"][0]["cf"]["response"]["headers"]
    headers["via"] = [{"key": "Via", "value": "1.1 abc.cloudfront.net (CloudFront)"}]
    return event


@pytest.mark.parametrize(
    ("setup", "status"),
    [
        (lambda h: None, "200"),
        (lambda h: h.store.objects.clear(), "404"),
        (lambda h: setattr(h.renderer, "size", 5000), "302"),
        (lambda h: setattr(h.renderer, "error", InvalidImage()), "422"),
    ],
)
def test_read_only_headers_of_the_origin_are_preserved(
    harness: Harness, setup: Callable[[Harness], None], status: str
) -> None:
    setup(harness)
    event = _with_via(origin_event(404, URI, MARKER))
    origin_headers = event["Records"][0]["cf"]["response"]["headers"]
    response = harness.run(event, Config.of(max_response_bytes=2000)).response
    assert response["status"] == status
    assert response["headers"]["transfer-encoding"] == origin_headers["transfer-encoding"]
    assert response["headers"]["via"] == origin_headers["via"]
    assert "x-amz-request-id" not in response["headers"]


# Which original: candidate keys and find_original.


def test_candidate_keys_without_marker_try_every_extension_in_both_cases() -> None:
    assert candidate_keys("a/b", None, Config.of(source_extensions=("jpg", "png", "gif"))) == [
        "a/b.jpg",
        "a/b.JPG",
        "a/b.png",
        "a/b.PNG",
        "a/b.gif",
        "a/b.GIF",
    ]
    assert len(candidate_keys("a/b", None, CONFIG)) == 2 * len(CONFIG.sources.source_extensions)


@pytest.mark.parametrize(
    ("marker_extension", "expected"),
    [
        ("jpg", ["s.jpg"]),
        ("JPG", ["s.JPG"]),
        ("jpeg", ["s.jpg", "s.jpeg"]),
        ("JPEG", ["s.jpg", "s.JPEG"]),
        ("png", ["s.jpg", "s.jpeg", "s.png"]),
        ("Png", ["s.jpg", "s.jpeg", "s.Png"]),
        ("tiff", ["s.jpg", "s.jpeg", "s.png", "s.webp", "s.avif", "s.gif", "s.tif", "s.tiff"]),
    ],
)
def test_candidate_keys_with_marker_stop_at_the_marker(marker_extension: str, expected: list[str]) -> None:
    assert candidate_keys("s", marker_extension, CONFIG) == expected


def test_candidate_keys_follow_the_configured_order() -> None:
    config = Config.of(source_extensions=("png", "jpg"))
    assert candidate_keys("s", "jpg", config) == ["s.png", "s.jpg"]
    assert candidate_keys("s", "png", config) == ["s.png"]


def test_earliest_configured_extension_wins_whichever_the_viewer_asked_for() -> None:
    store = FakeStore(objects={"photos/cat.jpg": b"jpeg one", "photos/cat.png": b"png one"})
    harness = Harness(store, FakeRenderer())
    result = harness.run(origin_event(404, URI, "/photos/cat.png"))
    assert result.log["source"] == "photos/cat.jpg"
    assert harness.renderer.calls[0][0] == b"jpeg one"
    assert store.puts[0].source.key == "photos/cat.jpg"


def test_marker_bounds_the_probes() -> None:
    store = FakeStore(objects={"photos/cat.png": b"p", "photos/cat.webp": b"w"})
    harness = Harness(store, FakeRenderer())
    harness.run(origin_event(404, URI, "/photos/cat.jpeg"))
    assert sorted(store.gets) == ["photos/cat.jpeg", "photos/cat.jpg"]


def test_with_marker_the_upper_case_spelling_is_found() -> None:
    harness = Harness(FakeStore(objects={"photos/cat.PNG": b"p"}), FakeRenderer())
    result = harness.run(origin_event(404, URI, "/photos/cat.PNG"))
    assert result.response["status"] == "200"
    assert result.log["source"] == "photos/cat.PNG"


def test_without_marker_the_upper_case_spelling_is_found() -> None:
    harness = Harness(FakeStore(objects={"photos/cat.JPEG": b"p"}), FakeRenderer())
    result = harness.run(origin_event(404, URI, None))
    assert result.log["source"] == "photos/cat.JPEG"


def test_find_original_returns_the_first_existing_key() -> None:
    store = FakeStore(objects={"b": b"2", "c": b"3"})
    assert find_original(store, ["a", "b", "c"]).key == "b"
    assert sorted(store.gets) == ["a", "b", "c"]


def test_find_original_raises_when_an_earlier_key_cannot_be_checked() -> None:
    store = FakeStore(objects={"b": b"2"}, get_errors={"a": StorageUnavailable()})
    with pytest.raises(StorageUnavailable):
        find_original(store, ["a", "b"])


def test_find_original_ignores_failures_after_the_first_found() -> None:
    store = FakeStore(objects={"a": b"1"}, get_errors={"b": StorageUnavailable()})
    assert find_original(store, ["a", "b"]).key == "a"


def test_an_unreachable_earlier_candidate_is_a_503_not_a_different_original() -> None:
    store = FakeStore(objects={"photos/cat.png": b"p"}, get_errors={"photos/cat.jpg": StorageUnavailable()})
    response = Harness(store, FakeRenderer()).run(origin_event(404, URI, MARKER)).response
    assert response["status"] == "503"


def test_decode_key_agrees_with_the_stored_key(harness: Harness) -> None:
    harness.run(origin_event(404, URI, MARKER))
    assert decode_key("/" + harness.store.puts[0].key, CONFIG).stem == "photos/cat"


# Watermark: fetched once per container, passed to the renderer, its ETag stored with the variant.


@dataclass
class WatermarkRenderer(FakeRenderer):
    watermarks: list[Watermark | None] = field(default_factory=list)

    def __call__(self, data: bytes, spec: RenderSpec, watermark: Watermark | None = None) -> FakeRendered:
        self.watermarks.append(watermark)
        return super().__call__(data, spec)


def test_the_watermark_is_fetched_once_and_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watermark_source, "_WATERMARKS", {})
    config = Config.of(watermark="brand/logo.png", watermark_opacity=40, watermark_min_width=100)
    store = FakeStore(objects={"photos/cat.png": b"PNG original", "brand/logo.png": b"LOGO"})
    renderer = WatermarkRenderer()
    harness = Harness(store, renderer)
    for _ in range(2):
        result = harness.run(origin_event(404, URI, MARKER), config)
        assert result.response["status"] == "200"
    assert store.gets.count("brand/logo.png") == 1
    mark = renderer.watermarks[0]
    assert mark is not None
    assert (mark.image, mark.etag, mark.opacity, mark.min_width) == (b"LOGO", "etag-brand/logo.png", 40, 100)
    assert store.puts[0].source.watermark_etag == "etag-brand/logo.png"
    assert result.log["watermark_etag"] == "etag-brand/logo.png"


def test_a_missing_watermark_is_a_503_and_nothing_is_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watermark_source, "_WATERMARKS", {})
    harness = Harness(FakeStore(objects={"photos/cat.png": b"PNG original"}), WatermarkRenderer())
    result = harness.run(origin_event(404, URI, MARKER), Config.of(watermark="brand/logo.png"))
    assert result.response["status"] == "503"
    assert harness.store.puts == []


# presets_only: only a marked miss renders (check_spec cannot tell whether a preset produces a key).

PRESETS_ONLY = Config.of(presets={"thumb": {"w": "300"}}, presets_only=True)


@pytest.mark.parametrize("status", [403, 404])
@pytest.mark.parametrize("uri", [URI, "/300x300-contain-q60/photos/cat.jpg", "/640/photos/cat.avif"])
def test_presets_only_answers_an_unmarked_miss_404_and_renders_nothing(harness: Harness, status: int, uri: str) -> None:
    event = origin_event(status, uri, None)
    result = harness.run(event, PRESETS_ONLY)
    assert (result.response["status"], result.response["body"]) == ("404", "original image not found\n")
    assert result.log["action"] == "error"
    assert harness.origins == []
    assert harness.store.gets == []
    assert harness.store.puts == []
    assert harness.renderer.calls == []


def test_presets_only_renders_a_marked_miss(harness: Harness) -> None:
    result = harness.run(origin_event(403, URI, MARKER), PRESETS_ONLY)
    assert result.response["status"] == "200"
    assert result.log["action"] == "inline"
    assert result.log["marker"] is True
    assert [put.key for put in harness.store.puts] == ["300/photos/cat.avif"]


def test_presets_only_still_passes_hits_through(harness: Harness) -> None:
    event = origin_event(200, URI, None)
    response = harness.run(event, PRESETS_ONLY).response
    assert {**response["headers"], "vary": []} == {**event["Records"][0]["cf"]["response"]["headers"], "vary": []}
    assert response["status"] == "200"


@pytest.mark.parametrize(
    "config",
    [
        Config.of(presets={"thumb": {"w": "300"}}, presets_only=True, max_response_bytes=1000),
        Config.of(allowed_parameters=("w", "h", "q"), max_response_bytes=1000),
    ],
    ids=["presets_only", "format-disabled"],
)
def test_oversize_redirects_to_the_key_when_viewer_request_would_refuse_the_viewer_url(
    harness: Harness, config: Config
) -> None:
    harness.renderer.size = 2000
    response = harness.run(origin_event(404, URI, MARKER), config).response
    assert response["status"] == "302"
    assert _header(response, "location") == URI
    assert [put.key for put in harness.store.puts] == ["300/photos/cat.avif"]


@pytest.mark.parametrize(
    ("uri", "config"),
    [
        ("/300-blur5/photos/cat.avif", Config.of(allowed_parameters=("w", "h", "format"))),
        ("/300x300-contain/photos/cat.avif", Config.of(allowed_parameters=("w", "h", "format"))),
        ("/300/photos/cat.webp", Config.of(allowed_parameters=("w", "h"), default_format=FormatChoice.AVIF)),
        ("/300/photos/cat.png", Config.of(allowed_parameters=("w", "h"), source_extensions=("jpg",))),
    ],
)
def test_keys_no_accepted_viewer_url_maps_to_are_a_short_cached_400_and_render_nothing(
    harness: Harness, uri: str, config: Config
) -> None:
    for marker in (None, MARKER):
        result = harness.run(origin_event(404, uri, marker), config)
        assert result.response["status"] == "400"
        assert _header(result.response, "cache-control") == f"public, max-age={config.responses.error_max_age}"
    assert harness.store.gets == []
    assert harness.store.puts == []
    assert harness.renderer.calls == []
