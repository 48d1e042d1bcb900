"""edge.marker: the header naming the original must agree with the variant key it travels with."""

import pytest

from edge.config import Config
from edge.errors import BadRequest
from edge.keys import VariantKey, decode_key
from edge.marker import MARKER_HEADER, verify
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
    config = Config(source_extensions=("png",))
    assert verify("/a/b.png", _variant("/300/a/b.avif"), config).extension == "png"
    with pytest.raises(BadRequest):
        verify("/a/b.jpg", _variant("/300/a/b.avif"), config)


def test_non_ascii_stems_match_through_their_canonical_encoding() -> None:
    variant = _variant("/300/caf%C3%A9.avif")
    assert verify("/caf%c3%a9.png", variant, CONFIG).key == "café.png"
