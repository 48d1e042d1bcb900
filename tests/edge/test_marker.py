"""edge.marker: the header naming the original must agree with the variant key it travels with."""

import pytest

from edge.config import Config
from edge.errors import BadRequest
from edge.keys import VariantKey, decode_key
from edge.marker import MARKER_HEADER, marker_value, verify
from edge.paths import OriginalPath

CONFIG = Config()


def _variant(key: str) -> VariantKey:
    return decode_key(key, CONFIG)


def test_header_name_is_lowercase() -> None:
    assert MARKER_HEADER == "x-imgedge-original" == MARKER_HEADER.lower()


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ("/a/b.png", OriginalPath("a/b.png", "a/b", "png")),
        ("/a/b.JPG", OriginalPath("a/b.JPG", "a/b", "JPG")),
        ("/a/b.jpeg", OriginalPath("a/b.jpeg", "a/b", "jpeg")),
        ("/a/b.gif", OriginalPath("a/b.gif", "a/b", "gif")),
        ("/a%2Fb.png", OriginalPath("a/b.png", "a/b", "png")),
    ],
)
def test_matching_markers_name_their_original(marker: str, expected: OriginalPath) -> None:
    assert verify(marker, _variant("/300/a/b.avif"), CONFIG) == expected


@pytest.mark.parametrize(
    "marker",
    ["/a/c.png", "/b.png", "/x/a/b.png", "/a/b/c.png", "/A/b.png", "/a/B.png", "/a/b.c.png", "/a/bb.png"],
)
def test_markers_for_another_folder_or_stem_are_refused(marker: str) -> None:
    with pytest.raises(BadRequest, match=r"^marker does not match the variant key$"):
        verify(marker, _variant("/300/a/b.avif"), CONFIG)


@pytest.mark.parametrize("marker", ["", "a/b.png", "/a/../a/b.png", "/a/b.txt", "/a/b", "/a/b.png\r\nx", "/a%ff.png"])
def test_invalid_markers_are_refused(marker: str) -> None:
    with pytest.raises(BadRequest):
        verify(marker, _variant("/300/a/b.avif"), CONFIG)


def test_marker_extension_must_be_configured() -> None:
    config = Config.of(source_extensions=("png",))
    assert verify("/a/b.png", _variant("/300/a/b.avif"), config).extension == "png"
    with pytest.raises(BadRequest):
        verify("/a/b.jpg", _variant("/300/a/b.avif"), config)


def test_non_ascii_stems_match_through_their_canonical_encoding() -> None:
    variant = _variant("/300/caf%C3%A9.avif")
    assert verify("/caf%c3%a9.png", variant, CONFIG).key == "café.png"


def test_marker_records_the_viewer_query_safely() -> None:
    assert marker_value("/photos/cat.png", "") == "/photos/cat.png"
    assert marker_value("/photos/cat.png", "w=300&s=abc_-") == "/photos/cat.png?w=300&s=abc_-"
    # Spaces, quotes, control and non-ASCII characters are percent-encoded: the header line cannot break.
    value = marker_value("/a.png", 'w=300&x=a b"\r\n\u00e9')
    assert value == "/a.png?w=300&x=a%20b%22%0D%0A%C3%A9"
    assert value.isascii()
    assert value.isprintable()


def test_marker_with_a_query_verifies_by_its_path() -> None:
    variant = decode_key("/300/photos/cat.avif", Config())
    original = verify("/photos/cat.png?w=300&utm_source=x", variant, Config())
    assert (original.key, original.extension) == ("photos/cat.png", "png")
    with pytest.raises(BadRequest):
        verify("/photos/dog.png?w=300", variant, Config())
