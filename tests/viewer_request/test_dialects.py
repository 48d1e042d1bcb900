"""URL dialects through the real viewer-request handler, on and off (``url_dialects``)."""

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from edge.config import Config
from edge.marker import MARKER_HEADER
from edge.signing import signed_query
from tests.conftest import Handlers, config_with, viewer_event

AVIF = "image/avif,image/webp,*/*"
KEY = b"k" * 40
ALL = ["thumbor", "sih", "query_aliases"]

Run = Callable[..., dict[str, Any]]


@pytest.fixture
def runner(handlers: Handlers) -> Callable[[Config], Run]:
    """``runner(config)``: ``run(uri, query, accept)`` through the viewer-request handler of ``config`` (signing
    with ``KEY``)."""

    def bind(config: Config) -> Run:
        handle = handlers.viewer(config, signing_keys=lambda: (KEY,))

        def run(uri: str, query: str = "", accept: str = AVIF) -> dict[str, Any]:
            return handle(viewer_event(uri, query, accept=accept), None)

        return run

    return bind


def sih(request: object) -> str:
    return "/" + base64.b64encode(json.dumps(request).encode()).decode()


def marker(result: dict[str, Any]) -> str:
    return str(result["headers"][MARKER_HEADER][0]["value"])


DIALECT_URLS = [
    ("/fit-in/300x200/filters:format(webp):quality(80)/photos/cat.jpg", "", "/photos/cat.jpg",
     "w=300&h=200&fit=inside&format=webp&q=80"),
    ("/300x200/smart/photos/cat.jpg", "", "/photos/cat.jpg", "w=300&h=200&gravity=attention"),
    ("/-300x200/photos/cat.jpg", "utm_source=x", "/photos/cat.jpg", "w=300&h=200&flop=1"),
    ("/300x0/filters:grayscale():blur(5)/photos/cat.jpg", "", "/photos/cat.jpg", "w=300&grayscale=1&blur=3"),
    (sih({"bucket": "images", "key": "photos/cat.jpg",
          "edits": {"resize": {"width": 300, "fit": "cover"}, "grayscale": True, "toFormat": "webp"}}),
     "", "/photos/cat.jpg", "w=300&grayscale=1&format=webp"),
    ("/photos/cat.jpg", "width=300&height=200&format=webp&quality=60&fit=contain", "/photos/cat.jpg",
     "w=300&h=200&format=webp&q=60&fit=contain"),
]  # fmt: skip


@pytest.mark.parametrize(("uri", "query", "native_uri", "native_query"), DIALECT_URLS)
def test_dialect_url_and_native_url_share_one_key(
    runner: Callable[[Config], Run], uri: str, query: str, native_uri: str, native_query: str
) -> None:
    run = runner(config_with(url_dialects=ALL, variant_prefix="_v", bucket="images"))
    native = run(native_uri, native_query)
    dialect = run(uri, query)
    assert native["uri"].startswith("/_v/photos/cat/")
    assert dialect["uri"] == native["uri"]
    assert dialect["querystring"] == ""
    assert marker(dialect).startswith(native_uri + "?")  # the marker names the original, as for native URLs


@pytest.mark.parametrize(
    ("uri", "query"),
    [
        ("/fit-in/300x200/photos/cat.jpg", ""),
        ("/filters:grayscale()/photos/cat.jpg", ""),
        ("/300x200/smart/photos/cat.jpg", ""),
        (sih({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300}}}), ""),
        ("/photos/cat.jpg", "width=300&quality=50"),
    ],
)
def test_with_dialects_off_a_dialect_url_is_what_it_was(runner: Callable[[Config], Run], uri: str, query: str) -> None:
    run = runner(config_with(variant_prefix="_v"))
    result = run(uri, query)
    # No image parameter: passed through untouched (the path is an S3 key, the unknown parameters dropped).
    assert "status" not in result
    assert result["uri"] == uri
    assert result["querystring"] == query
    assert MARKER_HEADER not in result["headers"]


def test_with_dialects_off_a_thumbor_path_with_native_parameters_is_an_original_path(
    runner: Callable[[Config], Run],
) -> None:
    run = runner(config_with())
    result = run("/fit-in/300x200/photos/cat.jpg", "w=100")
    assert result["uri"] == "/100/fit-in/300x200/photos/cat.avif"
    refused = run("/300x200/photos/cat.jpg", "w=100")  # default layout: a variant key
    assert refused["status"] == "400"


def test_a_refused_construct_is_a_400_naming_it(runner: Callable[[Config], Run]) -> None:
    run = runner(config_with(url_dialects=ALL, variant_prefix="_v"))
    result = run("/10x20:110x120/photos/cat.jpg")
    assert result["status"] == "400"
    assert "manual crop" in result["body"]
    assert "upscale" in run("/300x200/filters:upscale()/photos/cat.jpg")["body"]


def test_a_sih_bucket_outside_the_origins_is_a_403(runner: Callable[[Config], Run]) -> None:
    run = runner(config_with(url_dialects=["sih"], bucket="images"))
    result = run(sih({"bucket": "someone-elses", "key": "photos/cat.jpg", "edits": {"resize": {"width": 300}}}))
    assert result["status"] == "403"
    assert run(sih({"bucket": "images", "key": "photos/cat.jpg"}))["uri"] == "/photos/cat.jpg"


def test_unsafe_prefix_without_options_serves_the_original(runner: Callable[[Config], Run]) -> None:
    run = runner(config_with(url_dialects=["thumbor"], variant_prefix="_v"))
    result = run("/unsafe/fit-in/x/photos/cat.jpg")
    assert "status" not in result
    assert result["uri"] == "/photos/cat.jpg"


def test_stored_variant_keys_are_served_as_they_are(runner: Callable[[Config], Run]) -> None:
    run = runner(config_with(url_dialects=ALL, variant_prefix="_v"))
    result = run("/_v/photos/cat/300x200-inside.webp")
    assert result["uri"] == "/_v/photos/cat/300x200-inside.webp"
    assert MARKER_HEADER not in result["headers"]


def test_guards_apply_to_the_translation(runner: Callable[[Config], Run]) -> None:
    run = runner(config_with(url_dialects=ALL, variant_prefix="_v", allowed_parameters=["w", "h"]))
    result = run("/300x0/filters:grayscale()/photos/cat.jpg")
    assert (result["status"], result["body"]) == ("400", "parameter grayscale is not enabled\n")
    run = runner(config_with(url_dialects=ALL, variant_prefix="_v", presets_only=True, presets={"t": {"w": 300}}))
    assert run("/photos/cat.jpg", "width=300")["status"] == "400"
    assert run("/5000x0/photos/cat.jpg")["status"] == "400"


@pytest.fixture
def signed() -> Config:
    return config_with(
        url_dialects=ALL, variant_prefix="_v", signature_mode="required", signature_secret_id="imgedge/test"
    )


def test_the_signature_of_the_native_url_signs_the_dialect_url(runner: Callable[[Config], Run], signed: Config) -> None:
    run = runner(signed)
    query = signed_query("/photos/cat.jpg", "w=300&h=200&fit=inside&format=webp", KEY, signed)
    signature = query.rpartition("s=")[2]
    native = run("/photos/cat.jpg", query)
    dialect = run("/fit-in/300x200/filters:format(webp)/photos/cat.jpg", f"s={signature}")
    assert native["uri"] == dialect["uri"] == "/_v/photos/cat/300x200-inside.webp"
    aliased = run("/photos/cat.jpg", f"width=300&height=200&fit=inside&format=webp&s={signature}")
    assert aliased["uri"] == native["uri"]


def test_a_dialect_url_needs_a_signature_like_any_other(runner: Callable[[Config], Run], signed: Config) -> None:
    run = runner(signed)
    assert run("/fit-in/300x200/photos/cat.jpg")["status"] == "403"
    query = signed_query("/photos/cat.jpg", "w=300&h=200&fit=inside", KEY, signed)
    other = run("/fit-in/300x201/photos/cat.jpg", "s=" + query.rpartition("s=")[2])  # another size, same s
    assert (other["status"], other["body"]) == ("403", "invalid signature\n")
