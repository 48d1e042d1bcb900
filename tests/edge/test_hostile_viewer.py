"""Hostile viewer URLs through the real viewer-request handler (hypothesis).

Whatever the raw URI and query string, the handler either rewrites to a key ``decode_key`` accepts, whose stem is
the original's own path without its extension, or answers a 400 with a one-line reason. No exception escapes and
no header value it sets carries CR or LF.
"""

from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from edge.config import Config
from edge.keys import decode_key
from edge.marker import MARKER_HEADER
from edge.paths import validate_original_path
from tests.conftest import DEFAULT_CONFIG, viewer_event
from viewer_request.handler import make_handler

HOSTILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# One handler of the default configuration for every example (hypothesis runs a test's examples under one set of
# function-scoped fixtures); its log lines are dropped.
handler = make_handler(DEFAULT_CONFIG, log=lambda function, record: None)


def _percent_bytes(data: bytes) -> str:
    return "".join(f"%{byte:02X}" for byte in data)


# Pieces of paths: plain names, traversal, encoded separators, controls, non-UTF-8 escapes, unicode.
SEGMENTS = st.one_of(
    st.sampled_from(
        [
            "photos",
            "cat",
            "a b",
            "..",
            ".",
            "",
            "%2F",
            "%2f..%2f",
            "%2E%2E",
            "%00",
            "%0D%0A",
            "\r\n",
            "\x00",
            "%",
            "%zz",
            "%C3%28",
            "%FF%FE",
            "%E2%80%AE",
            "\\",
            "%5C",
            "café",
            "%C3%A9",
            "?",
            "#",
            ";",
            "x" * 300,
        ]
    ),
    st.text(min_size=1, max_size=12),
    st.binary(min_size=1, max_size=6).map(_percent_bytes),
)
EXTENSIONS = st.sampled_from(["png", "jpg", "JPG", "webp", "gif", "tiff", "avif", "svg", "html", "", "png%00"])
GOOD_URIS = st.sampled_from(
    ["/photos/cat.png", "/a%20b/%C3%BC.JPG", "/x.webp", "/deep/er/still/img.tiff", "/photos%2Fcat.gif", "/.hidden.png"]
)
URIS = st.one_of(
    GOOD_URIS,
    st.builds(
        lambda parts, ext: "/" + "/".join(parts) + ("." + ext if ext else ""),
        st.lists(SEGMENTS, min_size=1, max_size=5),
        EXTENSIONS,
    ),
    st.text(max_size=40),
)

NUMBERS = st.one_of(
    st.integers(min_value=1, max_value=5000).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "0", "00300", "1e3", "0x10", "+300", " 300", "300 ", "٣٠٠", "300%00", "3%0D%0A00", "-0"]),
)
VALUES = st.one_of(
    NUMBERS,
    st.sampled_from(
        ["cover", "contain", "fill", "inside", "outside", "COVER", "avif", "webp", "jpeg", "jpg", "png", "auto"]
    ),
    st.text(max_size=12).map(lambda text: quote(text, safe="")),
    st.text(max_size=12),
    st.binary(min_size=1, max_size=4).map(_percent_bytes),
)
NAMES = st.sampled_from(["w", "h", "fit", "q", "format", "W", "w%00", "%77", "w+", "utm", "", "x"])
PARAMS = st.lists(
    st.tuples(NAMES, st.sampled_from(["=", "", "=="]), VALUES).map(lambda p: p[0] + p[1] + p[2]),
    max_size=8,
)
QUERIES = st.one_of(
    PARAMS.map("&".join),
    st.text(max_size=60),
    st.builds(lambda q, n: q + "&pad=" + "a" * n, PARAMS.map("&".join), st.integers(8000, 8300)),
)
ACCEPTS = st.sampled_from(["", "*/*", "image/avif,image/webp,*/*", "image/webp", "\r\nx", "image/avif;q=0"])


def _check_result(result: dict[str, Any], uri: str, querystring: str, config: Config) -> str:
    """Assert the handler's answer is a pass, a well-formed rewrite or a 400; return which."""
    if "status" in result:
        assert result["status"] == "400", result
        body = result["body"]
        assert body.endswith("\n")
        assert body.count("\n") == 1
        assert "\r" not in body
        assert 0 < len(body.strip()) <= 200
        for entries in result["headers"].values():
            for entry in entries:
                assert "\r" not in entry["value"]
                assert "\n" not in entry["value"]
        return "400"
    marker = result["headers"].get(MARKER_HEADER)
    if result["uri"] == uri and result.get("querystring", "") == querystring and marker is None:
        return "pass"
    variant = decode_key(result["uri"], config)
    assert result["querystring"] == ""
    assert marker is not None
    assert len(marker) == 1
    value = marker[0]["value"]
    assert "\r" not in value
    assert "\n" not in value
    path, _, query = value.partition("?")
    original = validate_original_path(path, config.sources.source_extensions)
    # The marker records the viewer's query, re-encoded so it parses to the same parameters.
    assert parse_qsl(query, keep_blank_values=True) == parse_qsl(querystring, keep_blank_values=True)
    # The rewrite stays inside the original's own path: the same folder and stem, only the extension changes.
    assert variant.stem == original.stem
    assert original.key == validate_original_path(uri, config.sources.source_extensions).key
    assert not any(segment in ("", ".", "..") for segment in variant.stem.split("/"))
    return "rewrite"


@HOSTILE
@given(uri=URIS, querystring=QUERIES, accept=ACCEPTS)
def test_hostile_urls_are_a_rewrite_in_the_grammar_or_a_400(uri: str, querystring: str, accept: str) -> None:
    result = handler(viewer_event(uri, querystring, accept=accept), None)
    event(_check_result(result, uri, querystring, DEFAULT_CONFIG))


@HOSTILE
@given(uri=URIS, width=NUMBERS, extra=PARAMS)
def test_any_size_parameter_on_any_path_is_a_rewrite_or_a_400(uri: str, width: str, extra: list[str]) -> None:
    # With a ``w`` parameter the handler may never pass a request through untouched.
    querystring = "&".join([f"w={width}", *extra])
    result = handler(viewer_event(uri, querystring), None)
    outcome = _check_result(result, uri, querystring, DEFAULT_CONFIG)
    event(outcome)
    assert outcome in ("rewrite", "400")


@HOSTILE
@given(name=st.sampled_from(["w", "h", "fit", "q", "format"]), first=VALUES, second=VALUES)
def test_repeated_parameters_are_a_400(name: str, first: str, second: str) -> None:
    querystring = f"w=300&{name}={first}&{name}={second}" if name != "w" else f"w={first}&w={second}"
    result = handler(viewer_event("/photos/cat.png", querystring), None)
    assert result["status"] == "400"
    assert result["body"] in (f"parameter {name} given more than once\n", "parameter w given more than once\n") or (
        "not valid UTF-8" in result["body"]
    )


@pytest.mark.parametrize(
    ("uri", "query"),
    [
        ("/photos/cat.png", "w=300&" + "x=" + "a" * 8200),
        ("/photos/../etc/passwd.png", "w=300"),
        ("/photos/%2E%2E/secret.png", "w=300"),
        ("/photos%2F..%2Fsecret.png", "w=300"),
        ("/photos/cat.png%00.jpg", "w=300"),
        ("/photos/cat%0D%0ASet-Cookie:%20x.png", "w=300"),
        ("/photos/cat.png", "w=300%0D%0A"),
        ("/photos/%FF.png", "w=300"),
        ("/photos/cat.png", "w=%FF"),
        ("/photos/cat.png", "w=-300"),
        ("/photos/cat.png", "w=300.5"),
        ("/photos/cat.png", "w=1" + "0" * 40),
        ("/photos/cat.png", "w="),
        ("/photos/cat.png", "w=300&q="),
        ("/photos/cat.png", "fit=contain"),
    ],
)
def test_known_attacks_are_a_400(uri: str, query: str) -> None:
    result = handler(viewer_event(uri, query), None)
    assert result["status"] == "400"
    assert result["body"].count("\n") == 1
    assert result["headers"]["cache-control"][0]["value"].startswith("public, max-age=")


def test_a_spoofed_marker_never_survives_a_hostile_url() -> None:
    spoof = {MARKER_HEADER: "/private/secret.png"}
    for query in ("", "w=300", "w=-1", "utm=1"):
        result = handler(viewer_event("/photos/cat.png", query, headers=spoof), None)
        values = [entry["value"] for entry in result.get("headers", {}).get(MARKER_HEADER, [])]
        assert "/private/secret.png" not in values


@HOSTILE
@given(
    uri=GOOD_URIS,
    width=st.integers(min_value=1, max_value=4096),
    junk=st.lists(st.tuples(st.sampled_from(["utm", "x", "W", "w%00", ""]), VALUES), max_size=6),
)
def test_valid_sizes_with_junk_parameters_rewrite_inside_the_grammar(
    uri: str, width: int, junk: list[tuple[str, str]]
) -> None:
    querystring = "&".join([*(f"{name}={value}" for name, value in junk), f"w={width}"])
    result = handler(viewer_event(uri, querystring), None)
    assert _check_result(result, uri, querystring, DEFAULT_CONFIG) == "rewrite"
