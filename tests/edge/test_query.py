"""edge.query: the viewer's query string becomes RequestedOptions, None, or a one-line BadRequest."""

import random as random_module

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.errors import BadRequest
from edge.options import Fit, FormatChoice
from edge.query import PARAMETERS, RequestedOptions, parse_query


def test_no_imgedge_parameter_means_pass_through() -> None:
    assert parse_query("") is None
    assert parse_query("utm_source=x&ref=y") is None
    assert parse_query("&&&") is None
    assert parse_query("W=300") is None


def test_width_only() -> None:
    assert parse_query("w=300") == RequestedOptions(width=300, height=None, fit=None, quality=None, format=None)


def test_every_parameter() -> None:
    assert parse_query("w=300&h=200&fit=contain&q=60&format=webp") == RequestedOptions(
        width=300, height=200, fit=Fit.CONTAIN, quality=60, format=FormatChoice.WEBP
    )


def test_parameter_order_does_not_matter() -> None:
    assert parse_query("format=avif&q=60&fit=fill&h=2&w=1") == parse_query("w=1&h=2&fit=fill&q=60&format=avif")


def test_unknown_parameters_are_dropped() -> None:
    assert parse_query("w=300&utm_source=x&utm_medium=&x=%ff") == parse_query("w=300")


def test_jpg_is_an_alias_of_jpeg() -> None:
    options = parse_query("w=1&format=jpg")
    assert options is not None
    assert options.format is FormatChoice.JPEG
    assert parse_query("w=1&format=jpeg") == options


def test_percent_encoded_names_and_values_are_decoded() -> None:
    assert parse_query("%77=%33%30%30") == parse_query("w=300")
    assert parse_query("w=300&fit=%63over&h=1") == parse_query("w=300&fit=cover&h=1")


def test_leading_zeros_are_the_same_number() -> None:
    options = parse_query("w=0300")
    assert options is not None
    assert options.width == 300


def test_height_only_and_every_fit_and_format() -> None:
    for fit in Fit:
        options = parse_query(f"h=10&fit={fit.value}")
        assert options is not None
        assert options.fit is fit
        assert options.width is None
    for fmt in FormatChoice:
        options = parse_query(f"h=10&format={fmt.value}")
        assert options is not None
        assert options.format is fmt


def test_quality_bounds_are_inclusive() -> None:
    low = parse_query("w=1&q=1")
    high = parse_query("w=1&q=100")
    assert low is not None
    assert low.quality == 1
    assert high is not None
    assert high.quality == 100


def test_large_but_bounded_width_parses_for_the_policy_to_judge() -> None:
    options = parse_query("w=999999")
    assert options is not None
    assert options.width == 999999


# The 400 cases that the query parser owns (path and length cases are in test_paths / test_rewrite).
@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("w=abc", "w must be a positive integer"),
        ("w=0", "w must be a positive integer"),
        ("w=000", "w must be a positive integer"),
        ("h=0", "h must be a positive integer"),
        ("w=1000000000", "w is too large"),
        ("w=" + "9" * 5000, "w is too large"),
        ("w=-5", "w must be a positive integer"),
        ("w=+5", "w must be a positive integer"),
        ("w=1.5", "w must be a positive integer"),
        ("w=1e3", "w must be a positive integer"),
        ("w=%D9%A3", "w must be a positive integer"),
        ("w=%EF%BC%93", "w must be a positive integer"),
        ("w= 300", "w must be a positive integer"),
        ("w=", "w is empty"),
        ("w", "w is empty"),
        ("w=1&q=101", "q must be from 1 to 100"),
        ("w=1&q=0", "q must be from 1 to 100"),
        ("w=1&q=", "q is empty"),
        ("w=1&q=high", "q must be a positive integer"),
        ("w=1&format=gif", "format must be one of auto|avif|webp|jpeg|png"),
        ("w=1&format=AVIF", "format must be one of auto|avif|webp|jpeg|png"),
        ("w=1&fit=x", "fit must be one of cover|contain|fill|inside|outside"),
        ("w=1&fit=", "fit must be one of cover|contain|fill|inside|outside"),
        ("q=60", "w or h is required"),
        ("fit=cover", "w or h is required"),
        ("format=webp", "w or h is required"),
        ("w=1&w=2", "parameter w given more than once"),
        ("w=1&w=1", "parameter w given more than once"),
        ("w=1&%77=1", "parameter w given more than once"),
        ("w=1&q=%ff", "parameter q is not valid UTF-8"),
    ],
)
def test_each_invalid_query_is_a_one_line_bad_request(query: str, reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_query(query)
    assert caught.value.reason == reason
    assert caught.value.status == 400


def test_plus_decodes_to_space_and_is_not_a_digit() -> None:
    with pytest.raises(BadRequest):
        parse_query("w=+300")


_PIECES = st.sampled_from(
    [
        *PARAMETERS,
        "=",
        "&",
        "%",
        "%2",
        "%ff",
        "%c3",
        "%00",
        "%0a",
        "+",
        "jpg",
        "auto",
        "cover",
        "0",
        "1",
        "100",
        "101",
        "999999999999999999999",
        "utm_source",
        "\x00",
        "\r\n",
        "é",
    ]
)
_QUERY_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=30).map("".join),
    st.lists(
        st.tuples(st.sampled_from([*PARAMETERS, "x", "%77"]), st.one_of(_PIECES, st.text(max_size=8))),
        max_size=8,
    ).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)),
)


@given(_QUERY_TEXT)
def test_parse_query_never_raises_anything_but_bad_request(query: str) -> None:
    try:
        result = parse_query(query)
    except BadRequest as err:
        error: BadRequest | None = err
    else:
        error = None
    if error is not None:
        assert error.status == 400
        assert error.reason
        assert "\n" not in error.reason
        assert "\r" not in error.reason
        return
    if result is None:
        return
    assert result.width is not None or result.height is not None
    for value in (result.width, result.height):
        assert value is None or 1 <= value <= 999999
    assert result.quality is None or 1 <= result.quality <= 100
    assert result.fit is None or isinstance(result.fit, Fit)
    assert result.format is None or isinstance(result.format, FormatChoice)


@given(
    st.integers(min_value=1, max_value=999999),
    st.none() | st.integers(min_value=1, max_value=999999),
    st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=2, max_size=10).filter(
            lambda name: name not in PARAMETERS
        ),
        max_size=4,
    ),
    st.randoms(use_true_random=False),
)
def test_unknown_parameters_and_order_never_change_the_result(
    width: int, height: int | None, extra: list[str], random: random_module.Random
) -> None:
    parts = [f"w={width}"] + ([f"h={height}"] if height is not None else []) + [f"{name}=1" for name in extra]
    random.shuffle(parts)
    assert parse_query("&".join(parts)) == RequestedOptions(width, height, None, None, None)


def test_a_disabled_parameter_is_a_one_line_bad_request_whatever_its_value() -> None:
    allowed = ("w", "h", "fit", "q", "format", "dpr", "preset")
    assert parse_query("w=300&q=60&utm_source=x", allowed_parameters=allowed) == RequestedOptions(300, None, quality=60)
    for query, name in [("w=300&blur=5", "blur"), ("w=300&blur=0", "blur"), ("gravity=x&w=1", "gravity")]:
        with pytest.raises(BadRequest) as caught:
            parse_query(query, allowed_parameters=allowed)
        assert caught.value.reason == f"parameter {name} is not enabled"
    with pytest.raises(BadRequest, match=r"^parameter preset is not enabled$"):
        parse_query("preset=thumb", {"thumb": {"w": "100"}}, allowed_parameters=("w",))
    # Unknown parameters are still ignored, and a query without image parameters is still not an image request.
    assert parse_query("utm_source=x", allowed_parameters=("w",)) is None
