"""edge.errors: statuses, one-line public reasons, cache rules."""

import pytest

from edge.errors import (
    BadRequest,
    ConfigError,
    EdgeError,
    Forbidden,
    ImageTooLarge,
    InvalidImage,
    OriginalNotFound,
    StorageUnavailable,
    UnsupportedImage,
)


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (EdgeError, 500),
        (BadRequest, 400),
        (Forbidden, 403),
        (OriginalNotFound, 404),
        (UnsupportedImage, 415),
        (InvalidImage, 422),
        (ImageTooLarge, 422),
        (StorageUnavailable, 503),
    ],
)
def test_status_and_default_reason(cls: type[EdgeError], status: int) -> None:
    err = cls()
    assert err.status == status
    assert err.reason == cls.default_reason
    assert str(err) == err.reason
    assert err.detail == ""
    assert err.cacheable is (status < 500)


def test_reason_is_always_one_line_and_short() -> None:
    err = BadRequest("first\r\nsecond\nthird" + "x" * 500)
    assert "\n" not in err.reason
    assert "\r" not in err.reason
    assert err.reason.startswith("first  second third")
    assert len(err.reason) == 200


def test_detail_is_kept_apart_from_the_public_reason() -> None:
    err = StorageUnavailable(detail="GetObject photos/cat.png: SlowDown")
    assert err.reason == "storage temporarily unavailable"
    assert "SlowDown" not in str(err)
    assert err.detail == "GetObject photos/cat.png: SlowDown"


def test_every_request_error_is_an_edge_error_and_config_error_is_not() -> None:
    for cls in (BadRequest, Forbidden, OriginalNotFound, UnsupportedImage, InvalidImage, ImageTooLarge):
        assert issubclass(cls, EdgeError)
        assert cls.status < 500
    assert not issubclass(ConfigError, EdgeError)
