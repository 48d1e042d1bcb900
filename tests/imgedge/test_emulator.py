"""The emulator end to end on a real loopback socket, running the real handlers against the embedded S3."""

import copy
import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imgedge.emulator import Emulator, Settings
from imgedge.samples import sample_originals
from tests.conftest import Handlers, config_with
from tests.imgedge.conftest import CHROME_ACCEPT, Reply, fetch, png_declaring

REPO = Path(__file__).resolve().parents[2]
LANDSCAPE = "/photos/landscape.jpg"


def image_of(reply: Reply) -> Image.Image:
    image = Image.open(io.BytesIO(reply.body))
    image.load()
    return image


def timing_names(reply: Reply) -> set[str]:
    return {part.strip().split(";")[0] for part in (reply.header("server-timing") or "").split(",")}


def config_file(tmp_path: Path, **settings: Any) -> Path:
    """A configuration file with these settings (JSON-like values), for ``Settings(config_path=...)``."""
    path = tmp_path / "imgedge-config.json"
    path.write_text(config_with(**settings).to_json(), encoding="utf-8")
    return path


# --- the request path -------------------------------------------------------------------------------------


def test_first_request_renders_then_hits(emulator: Emulator) -> None:
    first = fetch(emulator.url, f"{LANDSCAPE}?w=300", headers={"Accept": CHROME_ACCEPT})
    assert first.status == 200
    assert first.header("content-type") == "image/avif"
    assert first.header("x-imgedge-cache") == "Miss"
    assert first.header("x-imgedge-key") == "/300/photos/landscape.avif"
    assert {"viewer", "s3", "origin", "render", "total"} <= timing_names(first)
    assert image_of(first).size == (300, 200)

    second = fetch(emulator.url, f"{LANDSCAPE}?w=300", headers={"Accept": CHROME_ACCEPT})
    assert second.status == 200
    assert second.header("x-imgedge-cache") == "Hit"
    assert second.body == first.body
    assert "miss-render" in timing_names(second)

    # The cache key is the rewritten URI: other spellings of the same rendering hit the same entry.
    third = fetch(emulator.url, f"{LANDSCAPE}?utm_source=x&format=avif&w=290", headers={"Accept": "*/*"})
    assert third.header("x-imgedge-cache") == "Hit"
    assert third.body == first.body


def test_bad_parameter_is_a_generated_400(emulator: Emulator) -> None:
    reply = fetch(emulator.url, f"{LANDSCAPE}?w=abc")
    assert reply.status == 400
    assert reply.header("content-type") == "text/plain; charset=utf-8"
    assert reply.header("x-imgedge-cache") == "LambdaGeneratedResponse"
    assert reply.body.decode().count("\n") == 1


def test_missing_original_is_404_and_cached_briefly(emulator: Emulator) -> None:
    first = fetch(emulator.url, "/photos/nothere.jpg?w=300", headers={"Accept": "*/*"})
    assert first.status == 404
    assert first.header("x-imgedge-cache") == "Miss"
    assert first.header("cache-control") == "public, max-age=60"
    second = fetch(emulator.url, "/photos/nothere.jpg?w=300", headers={"Accept": "*/*"})
    assert (second.status, second.header("x-imgedge-cache")) == (404, "Hit")


def test_missing_original_without_a_query_is_the_same_404_as_with_one(emulator: Emulator) -> None:
    # S3 answers 403 AccessDenied XML behind the OAI; origin-response turns it into the missing original's 404.
    reply = fetch(emulator.url, "/photos/nothere.jpg")
    with_query = fetch(emulator.url, "/photos/nothere.jpg?w=300")
    assert reply.status == with_query.status == 404
    assert reply.body == with_query.body == b"original image not found\n"
    for name in ("content-type", "cache-control"):
        assert reply.header(name) == with_query.header(name)
    assert fetch(emulator.url, "/photos/nothere.jpg").header("x-imgedge-cache") == "Hit"  # cached missing_max_age


def test_missing_key_that_is_not_an_image_is_403_as_behind_an_oai(emulator: Emulator) -> None:
    reply = fetch(emulator.url, "/docs/nothere.txt")
    assert reply.status == 403
    assert b"AccessDenied" in reply.body
    assert fetch(emulator.url, "/docs/nothere.txt").header("x-imgedge-cache") == "Miss"  # 403 is not cached


def test_original_passes_through(emulator: Emulator) -> None:
    reply = fetch(emulator.url, LANDSCAPE)
    assert reply.status == 200
    assert reply.header("content-type") == "image/jpeg"
    assert reply.body == sample_originals()[0].body
    assert reply.header("x-imgedge-key") == LANDSCAPE


def test_head_has_the_headers_and_no_body(emulator: Emulator) -> None:
    head = fetch(emulator.url, "/logos/imgedge-logo.png?w=200", method="HEAD", headers={"Accept": "image/webp"})
    get = fetch(emulator.url, "/logos/imgedge-logo.png?w=200", headers={"Accept": "image/webp"})
    assert head.status == get.status == 200
    assert head.body == b""
    assert head.header("content-type") == "image/webp"
    assert head.header("content-length") == str(len(get.body))
    assert get.header("x-imgedge-cache") == "Hit"


def test_exif_orientation_is_applied(emulator: Emulator) -> None:
    reply = fetch(emulator.url, "/photos/portrait-exif6.jpg?w=150&format=png")
    assert image_of(reply).size == (150, 200)


def test_other_methods_are_refused(emulator: Emulator) -> None:
    assert fetch(emulator.url, LANDSCAPE, method="POST").status == 403


def test_demo_page_and_json(emulator: Emulator) -> None:
    page = fetch(emulator.url, "/")
    assert page.status == 200
    assert b"/_imgedge/static/app.js" in page.body
    assert fetch(emulator.url, "/_imgedge/static/app.js").status == 200
    assert fetch(emulator.url, "/_imgedge/static/../emulator.py").status == 404
    originals = json.loads(fetch(emulator.url, "/_imgedge/originals").body)
    sizes = {item["key"]: (item["width"], item["height"]) for item in originals}
    assert sizes == {
        "logos/imgedge-logo.png": (800, 400),
        "photos/landscape.jpg": (1600, 1067),
        "photos/portrait-exif6.jpg": (900, 1200),
    }
    config = json.loads(fetch(emulator.url, "/_imgedge/config").body)
    assert config["bucket"] == emulator.bucket == "imgedge-local"
    log = json.loads(fetch(emulator.url, "/_imgedge/log").body)
    assert all("cache" in record for record in log)


def test_concurrent_misses_render_once(emulator: Emulator) -> None:
    path = "/photos/landscape.jpg?w=640&format=webp"
    with ThreadPoolExecutor(12) as pool:
        replies = list(pool.map(lambda _: fetch(emulator.url, path), range(12)))
    assert {reply.status for reply in replies} == {200}
    assert len({reply.body for reply in replies}) == 1
    assert sorted(reply.header("x-imgedge-cache") or "" for reply in replies) == ["Hit"] * 11 + ["Miss"]


# --- event shapes, contract enforcement, configuration ---------------------------------------------------


class Recorder:
    """Wraps a handler: records each event, optionally breaks the result."""

    def __init__(self, handler: Any, breaker: Any = None) -> None:
        self.handler = handler
        self.breaker = breaker
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        with self.lock:
            self.events.append(copy.deepcopy(event))
        result = self.handler(event, context)
        return self.breaker(result) if self.breaker else result


@pytest.fixture
def recorded(handlers: Handlers) -> Iterator[tuple[Emulator, Recorder, Recorder]]:
    viewer, origin = Recorder(handlers.viewer()), Recorder(handlers.origin())  # the emulator's defaults
    with Emulator(Settings(port=0), viewer_handler=viewer, origin_handler=origin, log=lambda _: None) as running:
        yield running, viewer, origin


def test_events_have_cloudfront_shape(recorded: tuple[Emulator, Recorder, Recorder]) -> None:
    emulator, viewer, origin = recorded
    reply = fetch(
        emulator.url,
        f"{LANDSCAPE}?w=300&utm_source=x%20y",
        headers={"Accept": CHROME_ACCEPT, "X-Imgedge-Original": "/logos/imgedge-logo.png", "Connection": "close"},
    )
    assert reply.status == 200
    request = viewer.events[0]["Records"][0]["cf"]["request"]
    assert viewer.events[0]["Records"][0]["cf"]["config"]["eventType"] == "viewer-request"
    assert request["uri"] == LANDSCAPE
    assert request["querystring"] == "w=300&utm_source=x%20y"
    assert request["headers"]["accept"] == [{"key": "Accept", "value": CHROME_ACCEPT}]
    assert all(name == name.lower() for name in request["headers"])
    assert "connection" not in request["headers"]  # hidden from functions
    assert request["method"] == "GET"
    assert request["clientIp"] == "127.0.0.1"

    cf = origin.events[0]["Records"][0]["cf"]
    assert cf["config"]["eventType"] == "origin-response"
    assert cf["request"]["uri"] == "/300/photos/landscape.avif"
    assert cf["request"]["querystring"] == ""
    assert cf["request"]["origin"]["s3"]["domainName"] == f"{emulator.bucket}.s3.us-east-1.amazonaws.com"
    assert cf["request"]["origin"]["s3"]["region"] == "us-east-1"
    # The viewer's own marker was dropped by viewer-request; the one S3 and origin-response see is its own.
    assert cf["request"]["headers"]["x-imgedge-original"][0]["value"] == f"{LANDSCAPE}?w=300&utm_source=x%20y"
    assert cf["response"]["status"] == "403"
    assert "body" not in cf["response"]


def test_contract_violation_fails_the_request_loudly(handlers: Handlers) -> None:
    def int_status(result: dict[str, Any]) -> dict[str, Any]:
        return {**result, "status": int(result["status"])}

    origin = Recorder(handlers.origin(), int_status)
    with Emulator(Settings(port=0), origin_handler=origin, log=lambda _: None) as emulator:
        for _ in range(2):
            reply = fetch(emulator.url, f"{LANDSCAPE}?w=200")
            assert reply.status == 500
            assert reply.header("x-imgedge-cache") == "Error"
            assert b"origin-response result breaks the Lambda@Edge contract" in reply.body
            assert b"[status] status must be a string" in reply.body
        assert len(origin.events) == 2  # a failure is never cached
        assert emulator.recent()[-1].problem.startswith("[status]")


def test_viewer_request_violation_and_exception(handlers: Handlers) -> None:
    def set_host(request: dict[str, Any]) -> dict[str, Any]:
        request["headers"]["host"] = [{"key": "Host", "value": "elsewhere"}]
        return request

    def explode(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("boom")

    with Emulator(Settings(port=0), viewer_handler=Recorder(handlers.viewer(), set_host), log=lambda _: None) as em:
        reply = fetch(em.url, f"{LANDSCAPE}?w=200")
        assert reply.status == 500
        assert b"[read-only-header]" in reply.body
    lines: list[str] = []
    with Emulator(Settings(port=0), viewer_handler=explode, log=lines.append) as em:
        reply = fetch(em.url, f"{LANDSCAPE}?w=200")
        assert reply.status == 500
        assert b"viewer-request raised RuntimeError: boom" in reply.body
    assert any("Traceback" in line for line in lines)


def test_oversize_variant_redirects_then_serves_from_s3(tmp_path: Path) -> None:
    config = config_file(tmp_path, max_response_bytes=2000)
    with Emulator(Settings(port=0, config_path=config), log=lambda _: None) as emulator:
        first = fetch(emulator.url, f"{LANDSCAPE}?w=400&format=jpeg&utm=1")
        assert first.status == 302
        # Back to exactly the URL the viewer asked for (viewer-request's marker records it).
        assert first.header("location") == f"{LANDSCAPE}?w=400&format=jpeg&utm=1"
        assert first.header("cache-control") == "no-store"
        assert first.header("x-imgedge-cache") == "Miss"
        second = fetch(emulator.url, first.header("location") or "")
        assert second.status == 200
        assert second.header("x-imgedge-cache") == "Miss"  # the redirect was not cached; S3 has the variant now
        assert second.header("content-type") == "image/jpeg"
        assert len(second.body) > 2000
        assert image_of(second).size == (400, 267)
        assert emulator.recent()[-1].action == "pass"
        third = fetch(emulator.url, first.header("location") or "")
        assert third.header("x-imgedge-cache") == "Hit"


def test_a_variant_served_from_s3_shows_viewers_none_of_its_metadata(tmp_path: Path) -> None:
    config = config_file(tmp_path, max_response_bytes=2000)
    with Emulator(Settings(port=0, config_path=config), log=lambda _: None) as emulator:
        url = f"{LANDSCAPE}?w=400&format=jpeg"
        assert fetch(emulator.url, url).status == 302  # stored, then served by S3 (the variant's metadata with it)
        served = fetch(emulator.url, url)
        assert served.status == 200
        assert emulator.recent()[-1].action == "pass"
        assert [name for name in served.headers if name.lower().startswith("x-amz-meta-")] == []


def test_config_file_and_originals_folder(tmp_path: Path) -> None:
    originals = tmp_path / "originals"
    (originals / "shop").mkdir(parents=True)
    Image.new("RGBA", (120, 80), (0, 90, 200, 128)).save(originals / "shop" / "item.png")
    (originals / "shop" / "broken.jpg").write_bytes(b"not a jpeg")
    (originals / "notes.txt").write_text("not an original")
    config = tmp_path / "imgedge-config.json"
    config.write_text(json.dumps({"size_policy": "strict", "sizes": [60, 120]}))
    lines: list[str] = []
    with Emulator(Settings(port=0, originals=originals, config_path=config), log=lines.append) as emulator:
        assert sorted(emulator.seeded) == ["shop/broken.jpg", "shop/item.png"]
        assert any(line.startswith("skipped notes.txt") for line in lines)
        assert fetch(emulator.url, "/shop/item.png?w=100").status == 400  # strict: 100 is not allowed
        reply = fetch(emulator.url, "/shop/item.png?w=60", headers={"Accept": "*/*"})
        assert (reply.status, reply.header("content-type")) == (200, "image/png")
        assert image_of(reply).mode == "RGBA"
        assert fetch(emulator.url, "/shop/broken.jpg?w=60").status in (415, 422)


def test_serve_skips_a_decompression_bomb_with_a_warning(tmp_path: Path) -> None:
    originals = tmp_path / "originals"
    originals.mkdir()
    Image.new("RGB", (120, 80), (0, 90, 200)).save(originals / "ok.jpg")
    (originals / "bomb.png").write_bytes(png_declaring(20_000, 14_000))
    lines: list[str] = []
    with Emulator(Settings(port=0, originals=originals), log=lines.append) as emulator:
        assert emulator.seeded == ["ok.jpg"]
        assert any(line.startswith("skipped bomb.png: original image exceeds the size limits") for line in lines)
        assert fetch(emulator.url, "/ok.jpg?w=64").status == 200
        assert fetch(emulator.url, "/bomb.png?w=64").status == 404


def test_port_in_use_is_a_clear_error(emulator: Emulator) -> None:
    from imgedge.emulator import EmulatorError

    port = int(emulator.url.rsplit(":", 1)[1].strip("/"))
    with pytest.raises(EmulatorError, match="cannot listen"):
        Emulator(Settings(port=port), log=lambda _: None).start()


# --- the documented command (README quick start, docs/local-development.md) ---------------------------------


def test_imgedge_serve_prints_the_url_and_serves() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "imgedge.cli", "serve", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    errors: list[str] = []
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: errors.extend(process.stderr or []), daemon=True)
    reader.start()
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("imgedge local edge: http://127.0.0.1:"), first
        url = first.split(": ", 1)[1].strip()
        assert "3 originals seeded" in process.stdout.readline()
        reply = fetch(url, f"{LANDSCAPE}?w=100", headers={"Accept": CHROME_ACCEPT})
        assert (reply.status, reply.header("content-type")) == (200, "image/avif")
    finally:
        process.terminate()  # SIGTERM: a clean stop
        process.wait(timeout=15)
        reader.join(timeout=5)
    assert process.returncode == 0
    assert any(line.startswith("GET /photos/landscape.jpg?w=100 200 Miss image/avif") for line in errors), errors
    assert errors[-1].strip() == "imgedge local edge stopped"


def test_external_s3_compatible_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from moto.server import ThreadedMotoServer

    from imgedge.bucket import s3_client
    from imgedge.emulator import EmulatorError

    for name, value in {"AWS_ACCESS_KEY_ID": "minio", "AWS_SECRET_ACCESS_KEY": "minio123"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = s3_client(endpoint, "eu-west-1")
        client.create_bucket(Bucket="my-images", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        client.put_object(Bucket="my-images", Key="a.png", Body=b"already there")
        originals = tmp_path / "originals"
        originals.mkdir()
        Image.new("RGB", (200, 100), (10, 120, 60)).save(originals / "a.png")
        Image.new("RGB", (200, 100), (10, 120, 60)).save(originals / "b.jpg")
        settings = Settings(port=0, bucket="my-images", s3_endpoint=endpoint, originals=originals)
        with Emulator(settings, log=lambda _: None) as emulator:
            assert emulator.seeded == ["b.jpg"]  # an existing object is never overwritten
            reply = fetch(emulator.url, "/b.jpg?w=100", headers={"Accept": "image/webp"})
            assert (reply.status, reply.header("content-type")) == (200, "image/webp")
            assert client.head_object(Bucket="my-images", Key="100/b.webp")["ContentType"] == "image/webp"
            assert emulator.recent()[-1].action == "inline"
            assert emulator.config_info()["region"] == "eu-west-1"  # from GetBucketLocation
        with pytest.raises(EmulatorError, match="bucket 'nope' does not exist"):
            Emulator(Settings(port=0, bucket="nope", s3_endpoint=endpoint), log=lambda _: None).start()
    finally:
        server.stop()
