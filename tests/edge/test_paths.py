"""edge.paths: original paths are validated (traversal, length, characters) and spelled canonically."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.config import DEFAULT_SOURCE_EXTENSIONS
from edge.errors import BadRequest
from edge.paths import (
    MAX_ORIGINAL_KEY_BYTES,
    OriginalPath,
    decode_path,
    encode_path,
    validate_key,
    validate_original_path,
)

EXTS = DEFAULT_SOURCE_EXTENSIONS


def test_simple_path_is_split_into_key_stem_and_extension() -> None:
    original = validate_original_path("/photos/cat.png", EXTS)
    assert original == OriginalPath(key="photos/cat.png", stem="photos/cat", extension="png")
    assert original.uri == "/photos/cat.png"


def test_top_level_original_has_no_folder() -> None:
    assert validate_original_path("/image.png", EXTS).stem == "image"


def test_extension_matches_case_insensitively_and_keeps_its_spelling() -> None:
    original = validate_original_path("/a/B.JPG", EXTS)
    assert original.extension == "JPG"
    assert original.stem == "a/B"


def test_only_the_last_dot_splits_the_extension() -> None:
    original = validate_original_path("/a.b/c.d.png", EXTS)
    assert original.stem == "a.b/c.d"
    assert original.extension == "png"


def test_percent_encoded_path_is_decoded_and_re_encoded_canonically() -> None:
    original = validate_original_path("/caf%C3%A9/a%20b.png", EXTS)
    assert original.key == "café/a b.png"
    assert original.uri == "/caf%C3%A9/a%20b.png"
    assert validate_original_path("/caf%c3%a9/a%20b.png", EXTS).uri == original.uri
    assert validate_original_path("/café/a b.png", EXTS).uri == original.uri


def test_encoded_slash_names_the_same_key_as_a_slash() -> None:
    assert validate_original_path("/a%2Fb.png", EXTS).key == "a/b.png"


@pytest.mark.parametrize(
    "uri",
    [
        "/../x.png",
        "/a/../x.png",
        "/a/%2e%2e/x.png",
        "/a/%2E%2E/x.png",
        "/./x.png",
        "/a/%2e/x.png",
        "/a/..%2fx.png",
        "/a//x.png",
        "//x.png",
        "/a\\..\\x.png",
        "/a%5c..%5cx.png",
    ],
)
def test_traversal_and_empty_segments_are_refused(uri: str) -> None:
    with pytest.raises(BadRequest) as caught:
        validate_original_path(uri, EXTS)
    assert "\n" not in caught.value.reason
    assert caught.value.status == 400


@pytest.mark.parametrize("uri", ["/..png", "/x/..png", "/...png", "/x/.png", "/.png"])
def test_a_stem_ending_in_a_dot_segment_is_refused(uri: str) -> None:
    # "/x/..png" would give the stem "x/..", whose variant key no decoder accepts.
    with pytest.raises(BadRequest):
        validate_original_path(uri, EXTS)


def test_a_stem_that_merely_starts_with_a_dot_is_fine() -> None:
    assert validate_original_path("/a/.hidden.png", EXTS).stem == "a/.hidden"
    assert validate_original_path("/a/...b.png", EXTS).stem == "a/...b"


@pytest.mark.parametrize(
    "uri",
    [
        "/a/x%00.png",
        "/a/x%0d%0aSet-Cookie:1.png",
        "/a/x%7F.png",
        "/a/x\u202e.png",
        "/a/x%E2%80%AE.png",
        "/a/x\u2028.png",
    ],
)
def test_control_and_format_characters_are_refused(uri: str) -> None:
    with pytest.raises(BadRequest, match="forbidden characters"):
        validate_original_path(uri, EXTS)


@pytest.mark.parametrize("uri", ["/a%", "/a%2", "/a%zz.png", "/a%G1.png"])
def test_malformed_percent_escapes_are_refused(uri: str) -> None:
    with pytest.raises(BadRequest, match="percent"):
        decode_path(uri)


@pytest.mark.parametrize("uri", ["/a%ff.png", "/a%C3.png", "/%ED%A0%80.png"])
def test_non_utf8_bytes_are_refused(uri: str) -> None:
    with pytest.raises(BadRequest, match="UTF-8"):
        decode_path(uri)


def test_path_must_start_with_a_slash() -> None:
    with pytest.raises(BadRequest, match="start with /"):
        decode_path("x.png")


def test_empty_key_is_refused() -> None:
    with pytest.raises(BadRequest, match="empty"):
        decode_path("/")


def test_key_length_limit_counts_utf8_bytes() -> None:
    validate_key("a" * MAX_ORIGINAL_KEY_BYTES)
    with pytest.raises(BadRequest, match="too long"):
        validate_key("a" * (MAX_ORIGINAL_KEY_BYTES + 1))
    with pytest.raises(BadRequest, match="too long"):
        validate_key("é" * (MAX_ORIGINAL_KEY_BYTES // 2 + 1))


@pytest.mark.parametrize("uri", ["/photos/cat", "/photos/cat.txt", "/photos/cat.", "/photos/", "/photos/cat.svg"])
def test_path_must_end_in_a_configured_extension(uri: str) -> None:
    with pytest.raises(BadRequest):
        validate_original_path(uri, EXTS)


def test_only_the_configured_extensions_are_accepted() -> None:
    with pytest.raises(BadRequest, match="png"):
        validate_original_path("/a.jpg", ("png",))
    assert validate_original_path("/a.png", ("png",)).extension == "png"


def test_encode_path_keeps_slashes_and_unreserved_characters() -> None:
    assert encode_path("a/b-c_d.e~f.png") == "/a/b-c_d.e~f.png"
    assert encode_path("a b/c+d%.png") == "/a%20b/c%2Bd%25.png"


@given(st.text(min_size=1, max_size=60))
def test_decode_path_of_encode_path_is_the_key_or_a_bad_request(key: str) -> None:
    try:
        validate_key(key)
    except BadRequest:
        return
    assert decode_path(encode_path(key)) == key


@given(st.text(max_size=80))
def test_validate_original_path_only_raises_bad_request(uri: str) -> None:
    try:
        original = validate_original_path("/" + uri, EXTS)
    except BadRequest as err:
        reason: str | None = err.reason
    else:
        reason = None
    if reason is not None:
        assert "\n" not in reason
        return
    assert original.key == f"{original.stem}.{original.extension}"
    assert ".." not in original.key.split("/")
    assert original.stem.rsplit("/", 1)[-1] not in ("", ".", "..")
    assert validate_original_path(original.uri, EXTS) == original
