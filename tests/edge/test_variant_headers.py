"""Headers of variant responses: Vary and the validators of inline renders."""

from email.utils import formatdate

from hypothesis import given
from hypothesis import strategies as st

from edge.config import Config
from edge.variant_headers import http_date, inline_headers, with_vary_accept


@given(st.floats(min_value=0, max_value=253_402_300_799, allow_nan=False))
def test_http_date_is_the_imf_fixdate_of_the_standard_library(epoch: float) -> None:
    assert http_date(epoch) == formatdate(epoch, usegmt=True)


def test_inline_headers_follow_vary_accept() -> None:
    assert inline_headers(b"", 0, Config()) == {
        "ETag": '"d41d8cd98f00b204e9800998ecf8427e"',  # the MD5 of nothing (RFC 1321, appendix A.5)
        "Last-Modified": "Thu, 01 Jan 1970 00:00:00 GMT",
        "Vary": "Accept",
    }
    assert "Vary" not in inline_headers(b"", 0, Config.of(vary_accept=False))


def test_with_vary_accept_leaves_the_input_unchanged_and_respects_a_star() -> None:
    response = {"status": "200", "headers": {"vary": [{"key": "Vary", "value": "*"}]}}
    assert with_vary_accept(response, Config())["headers"]["vary"] == [{"key": "Vary", "value": "*"}]
    bare: dict[str, object] = {"status": "200", "headers": {}}
    assert with_vary_accept(bare, Config())["headers"] == {"vary": [{"key": "Vary", "value": "Accept"}]}
    assert bare["headers"] == {}


def test_client_hints_add_the_hint_headers_to_every_vary() -> None:
    hinted = Config.of(client_hints=True)
    expected = "Accept, Sec-CH-Width, Sec-CH-Viewport-Width, Sec-CH-DPR"
    assert inline_headers(b"", 0, hinted)["Vary"] == expected
    assert (
        inline_headers(b"", 0, Config.of(client_hints=True, vary_accept=False))["Vary"] == expected[len("Accept, ") :]
    )
    response = {"status": "200", "headers": {"vary": [{"key": "Vary", "value": "Origin, sec-ch-dpr"}]}}
    assert with_vary_accept(response, hinted)["headers"]["vary"] == [
        {"key": "Vary", "value": "Origin, sec-ch-dpr, Accept, Sec-CH-Width, Sec-CH-Viewport-Width"}
    ]
