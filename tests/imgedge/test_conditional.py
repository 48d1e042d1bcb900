"""Conditional and range requests at the emulator's edge: the rules, then end to end against the real handlers."""

import time
from email.utils import formatdate

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imgedge.conditional import byte_range, not_modified
from imgedge.emulator import Emulator
from tests.imgedge.conftest import fetch

ETAG = '"0cc175b9c0f1b6a831c399e269772661"'
MODIFIED = "Sun, 06 Dec 2026 10:00:00 GMT"


@pytest.mark.parametrize(
    ("if_none_match", "expected"),
    [
        (ETAG, True),
        ("W/" + ETAG, True),  # weak comparison
        (f'"other", {ETAG}', True),
        (f'"other",W/{ETAG} ', True),
        ("*", True),
        ('"other"', False),
        ('"other", W/"another"', False),
        ("0cc175b9c0f1b6a831c399e269772661", False),  # not a quoted entity tag
        ("", False),
    ],
)
def test_if_none_match(if_none_match: str, expected: bool) -> None:
    assert not_modified(if_none_match, None, ETAG, MODIFIED) is expected
    assert not_modified(if_none_match, None, "W/" + ETAG, MODIFIED) is expected


@pytest.mark.parametrize(
    ("if_modified_since", "expected"),
    [
        (MODIFIED, True),
        ("Sun, 06 Dec 2026 10:00:01 GMT", True),
        ("Sun, 06 Dec 2026 09:59:59 GMT", False),
        ("Sunday, 06-Dec-26 10:00:00 GMT", True),  # the obsolete RFC 850 form
        ("yesterday", False),
        (formatdate(time.time() + 86_400, usegmt=True), False),  # a date in the future is ignored
    ],
)
def test_if_modified_since(if_modified_since: str, expected: bool) -> None:
    assert not_modified(None, if_modified_since, ETAG, MODIFIED) is expected


def test_if_none_match_wins_over_if_modified_since() -> None:
    assert not_modified('"other"', MODIFIED, ETAG, MODIFIED) is False
    assert not_modified(ETAG, "Sun, 06 Dec 2026 09:00:00 GMT", ETAG, MODIFIED) is True


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", "bytes 0-9/100"),
        ("bytes=90-", "bytes 90-99/100"),
        ("bytes=-10", "bytes 90-99/100"),
        ("bytes=-500", "bytes 0-99/100"),
        ("bytes=95-500", "bytes 95-99/100"),
        ("bytes=100-", "bytes */100"),
        ("bytes=-0", "bytes */100"),
        ("bytes=0-9,20-29", None),  # several ranges: the whole object
        ("bytes=9-0", None),
        ("bytes=a-b", None),
        ("items=0-9", None),
        ("bytes=-", None),
    ],
)
def test_byte_range(header: str, expected: str | None) -> None:
    wanted = byte_range(header, None, ETAG, MODIFIED, 100)
    assert (None if wanted is None else wanted.content_range) == expected


def test_if_range_needs_a_strong_match() -> None:
    assert byte_range("bytes=0-9", ETAG, ETAG, MODIFIED, 100) is not None
    assert byte_range("bytes=0-9", MODIFIED, ETAG, MODIFIED, 100) is not None
    assert byte_range("bytes=0-9", '"other"', ETAG, MODIFIED, 100) is None
    assert byte_range("bytes=0-9", "W/" + ETAG, ETAG, MODIFIED, 100) is None
    assert byte_range("bytes=0-9", "Sun, 06 Dec 2026 09:00:00 GMT", ETAG, MODIFIED, 100) is None


@given(st.integers(0, 300), st.integers(0, 400), st.integers(0, 400))
def test_a_satisfiable_range_is_exactly_the_bytes_it_names(length: int, first: int, last: int) -> None:
    body = bytes(range(256)) * 2
    body = body[:length]
    wanted = byte_range(f"bytes={first}-{last}", None, None, None, length)
    if last < first:
        assert wanted is None
        return
    assert wanted is not None
    if first >= length:
        assert not wanted.satisfiable
        return
    assert body[wanted.first : wanted.last + 1] == body[first : last + 1]


# --- end to end ---------------------------------------------------------------------------------------------

URL = "/photos/landscape.jpg?w=320&format=webp"


def test_a_fresh_render_and_its_cached_copy_revalidate_alike(emulator: Emulator) -> None:
    first = fetch(emulator.url, URL)
    assert first.status == 200
    etag, modified = first.header("etag"), first.header("last-modified")
    assert etag
    assert modified
    assert first.header("vary") == "Accept"
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"x", W/{etag}'}, {"If-None-Match": "*"},
                    {"If-Modified-Since": modified}):  # fmt: skip
        reply = fetch(emulator.url, URL, headers=headers)
        assert (reply.status, reply.body, reply.header("etag")) == (304, b"", etag), headers
        assert reply.header("content-length") is None
        assert reply.header("vary") == "Accept"
    assert fetch(emulator.url, URL, headers={"If-None-Match": '"other"'}).status == 200
    head = fetch(emulator.url, URL, method="HEAD", headers={"If-None-Match": etag})
    assert head.status == 304


def test_the_variant_served_back_from_s3_has_the_validators_of_the_render(emulator: Emulator) -> None:
    rendered = fetch(emulator.url, "/photos/landscape.jpg?w=640&format=jpeg")
    emulator.cache.clear()  # the next request reaches S3, which now has the variant
    from_s3 = fetch(emulator.url, "/photos/landscape.jpg?w=640&format=jpeg")
    assert from_s3.header("x-imgedge-cache") == "Miss"
    assert from_s3.body == rendered.body
    assert from_s3.header("etag") == rendered.header("etag")
    assert from_s3.header("vary") == "Accept"
    revalidated = fetch(emulator.url, "/photos/landscape.jpg?w=640&format=jpeg",
                        headers={"If-None-Match": str(rendered.header("etag")),
                                 "If-Modified-Since": str(rendered.header("last-modified"))})  # fmt: skip
    assert revalidated.status == 304


def test_range_requests_are_honoured(emulator: Emulator) -> None:
    whole = fetch(emulator.url, URL).body
    part = fetch(emulator.url, URL, headers={"Range": "bytes=10-19"})
    assert (part.status, part.body, part.header("content-range")) == (206, whole[10:20], f"bytes 10-19/{len(whole)}")
    tail = fetch(emulator.url, URL, headers={"Range": "bytes=-5"})
    assert (tail.status, tail.body) == (206, whole[-5:])
    beyond = fetch(emulator.url, URL, headers={"Range": f"bytes={len(whole)}-"})
    assert (beyond.status, beyond.header("content-range"), beyond.body) == (416, f"bytes */{len(whole)}", b"")
    several = fetch(emulator.url, URL, headers={"Range": "bytes=0-1,5-6"})
    assert (several.status, several.body) == (200, whole)
    stale = fetch(emulator.url, URL, headers={"Range": "bytes=0-1", "If-Range": '"other"'})
    assert (stale.status, stale.body) == (200, whole)
