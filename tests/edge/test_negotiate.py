"""edge.negotiate: format=auto from the Accept header, explicit formats, the source family fallback."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.negotiate import accepted_types, choose_format
from edge.options import FormatChoice, OutputFormat

CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
SAFARI_15 = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"
FIREFOX_OLD = "image/webp,*/*"
CURL = "*/*"


@pytest.mark.parametrize(
    ("accept", "source", "expected"),
    [
        (CHROME, "jpg", OutputFormat.AVIF),
        (CHROME, "png", OutputFormat.AVIF),
        (SAFARI_15, "jpg", OutputFormat.WEBP),
        (FIREFOX_OLD, "png", OutputFormat.WEBP),
        (CURL, "jpg", OutputFormat.JPEG),
        (CURL, "jpeg", OutputFormat.JPEG),
        (CURL, "webp", OutputFormat.JPEG),
        (CURL, "tiff", OutputFormat.JPEG),
        (CURL, "png", OutputFormat.PNG),
        (CURL, "gif", OutputFormat.PNG),
        (CURL, "PNG", OutputFormat.PNG),
        (CURL, "GIF", OutputFormat.PNG),
        ("", "jpg", OutputFormat.JPEG),
        ("", "png", OutputFormat.PNG),
    ],
)
def test_auto(accept: str, source: str, expected: OutputFormat) -> None:
    assert choose_format(FormatChoice.AUTO, accept, source) is expected


def test_avif_beats_webp_whatever_their_order_or_weights() -> None:
    assert choose_format(FormatChoice.AUTO, "image/webp,image/avif", "jpg") is OutputFormat.AVIF
    assert choose_format(FormatChoice.AUTO, "image/webp;q=1,image/avif;q=0.1", "jpg") is OutputFormat.AVIF


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("image/avif;q=0,image/webp", OutputFormat.WEBP),
        ("image/avif; q=0, image/webp; q=0", OutputFormat.JPEG),
        ("image/avif;q=0.0,image/webp;q=0.000", OutputFormat.JPEG),
        ("image/avif;q=0.001", OutputFormat.AVIF),
        ("image/avif;Q=0,image/webp", OutputFormat.WEBP),
        ("image/avif;q=abc,image/webp", OutputFormat.WEBP),
        ("image/avif;q=2,image/webp", OutputFormat.WEBP),
        ("image/avif;q=-1", OutputFormat.JPEG),
        ("image/avif;q=nan", OutputFormat.JPEG),
        ("IMAGE/AVIF", OutputFormat.AVIF),
        ("  image/avif  ;  q=0.5  ", OutputFormat.AVIF),
        ("image/avif;q=0, image/avif", OutputFormat.AVIF),
    ],
)
def test_q_values(accept: str, expected: OutputFormat) -> None:
    assert choose_format(FormatChoice.AUTO, accept, "jpg") is expected


@pytest.mark.parametrize("accept", ["image/*", "*/*", "image/*,*/*;q=0.8", "image/avi", "image/avif-sequence"])
def test_wildcards_and_lookalikes_do_not_count(accept: str) -> None:
    assert choose_format(FormatChoice.AUTO, accept, "jpg") is OutputFormat.JPEG
    assert choose_format(FormatChoice.AUTO, accept, "png") is OutputFormat.PNG


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (FormatChoice.AVIF, OutputFormat.AVIF),
        (FormatChoice.WEBP, OutputFormat.WEBP),
        (FormatChoice.JPEG, OutputFormat.JPEG),
        (FormatChoice.PNG, OutputFormat.PNG),
    ],
)
def test_an_explicit_format_wins_over_accept_and_source(choice: FormatChoice, expected: OutputFormat) -> None:
    assert choose_format(choice, CHROME, "png") is expected
    assert choose_format(choice, "", "jpg") is expected
    assert choose_format(choice, "image/avif;q=0", "gif") is expected


def test_accepted_types_parses_weights() -> None:
    assert accepted_types("image/avif;q=0,image/webp;q=0.5,image/png,bad;q=x") == {
        "image/avif": 0.0,
        "image/webp": 0.5,
        "image/png": 1.0,
    }


def test_accepted_types_ignores_empty_entries() -> None:
    assert accepted_types(", ,;q=1,") == {}


@given(st.text(max_size=120), st.sampled_from(["jpg", "png", "gif", "webp", "JPG"]))
def test_choose_format_never_fails_on_any_accept_header(accept: str, source: str) -> None:
    result = choose_format(FormatChoice.AUTO, accept, source)
    assert isinstance(result, OutputFormat)
    weights = accepted_types(accept)
    assert all(0.0 <= w <= 1.0 for w in weights.values())
    if weights.get("image/avif", 0.0) > 0:
        assert result is OutputFormat.AVIF
    elif weights.get("image/webp", 0.0) > 0:
        assert result is OutputFormat.WEBP
    else:
        assert result is (OutputFormat.PNG if source.lower() in ("png", "gif") else OutputFormat.JPEG)
