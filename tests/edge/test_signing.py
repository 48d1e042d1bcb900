"""``edge.signing``: signature format, the signed message, modes, key rotation and the per-container key cache."""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence

import pytest

from edge.config import Config, SignatureMode
from edge.errors import BadRequest, ConfigError, UnsignedMiss
from edge.hints import AUTO_SIGNED, ClientHints
from edge.rewrite import REFERENCE_ACCEPTS, rewrite
from edge.signing import (
    SIGNATURE_LENGTH,
    BadSignature,
    InvalidSecret,
    KeyCache,
    SignatureExpired,
    SignatureKeysUnavailable,
    SignatureRequired,
    expiry_parameter,
    parse_secret,
    signature,
    signature_parameter,
    signed_query,
    signing_message,
    verify,
)
from edge.signing import check as check_signature


def check(
    uri: str,
    query: str,
    config: Config,
    keys: Callable[[], Sequence[bytes]],
    clock: Callable[[], float] | None = None,
) -> None:
    """A viewer request's signature decision, as viewer-request makes it: ``rewrite`` (with the request's hint
    headers, here none) says what a signature must cover, then ``edge.signing.check`` enforces it."""
    target = rewrite(uri, query, REFERENCE_ACCEPTS[0], config, ClientHints())
    if target is not None:
        check_signature(target, query, keys, clock)


KEY = b"k" * 32
OLD = b"o" * 32
REQUIRED = Config.of(signature_mode=SignatureMode.REQUIRED, signature_secret_id="imgedge/signing")
PRESETS = Config.of(
    signature_mode=SignatureMode.OUTSIDE_PRESETS,
    signature_secret_id="imgedge/signing",
    presets={"thumb": {"w": "200", "h": "200"}},
)


def keys() -> tuple[bytes, ...]:
    return (KEY, OLD)


def test_signature_is_22_urlsafe_characters_of_the_truncated_hmac() -> None:
    value = signature(KEY, "/300/photos/cat.jpg")
    assert len(value) == SIGNATURE_LENGTH == 22
    digest = hmac.new(KEY, b"/300/photos/cat.jpg", hashlib.sha256).digest()[:16]
    assert base64.urlsafe_b64decode(value + "==") == digest
    assert set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_message_is_the_variant_key_for_an_explicit_format() -> None:
    config = Config()
    message = "/300/photos/cat.jpg\noriginal /photos/cat.jpg"
    assert signing_message("/photos/cat.jpg", "w=300&format=jpeg", config) == message
    # Spelling does not matter: order, defaults, snapping and unknown parameters give the same message.
    assert signing_message("/photos/cat.jpg", "format=jpg&w=290&utm=x&fit=inside", config) == message
    assert signing_message("/photos/cat.jpg", "", config) is None


def test_message_for_a_negotiated_format_covers_every_browser() -> None:
    config = Config()
    assert signing_message("/photos/cat.png", "w=300", config) == (
        "/300/photos/cat.avif\n/300/photos/cat.webp\n/300/photos/cat.png\noriginal /photos/cat.png"
    )
    # q unspecified and q=50 give the same AVIF but different WebP variants: the messages differ.
    assert signing_message("/a.jpg", "w=300", config) != signing_message("/a.jpg", "w=300&q=50", config)


def test_the_signature_never_enters_the_key() -> None:
    config = Config()
    signed = signed_query("/photos/cat.jpg", "w=300", KEY, config)
    assert signed.startswith("w=300&s=")
    plain = rewrite("/photos/cat.jpg", "w=300", "image/avif", config)
    with_s = rewrite("/photos/cat.jpg", signed, "image/avif", config)
    assert plain is not None
    assert with_s is not None
    assert with_s.uri == plain.uri == "/300/photos/cat.avif"
    assert signed_query("/photos/cat.jpg", signed, KEY, config) == signed  # re-signing replaces s
    with pytest.raises(ValueError, match="nothing to sign"):
        signed_query("/photos/cat.jpg", "utm=x", KEY, config)


def test_verify_accepts_any_key_of_the_ring_and_nothing_else() -> None:
    message = "/300/photos/cat.jpg"
    assert verify((KEY, OLD), message, signature(OLD, message))
    assert verify((KEY, OLD), message, signature(KEY, message))
    assert not verify((KEY,), message, signature(OLD, message))
    assert not verify((KEY, OLD), message + "x", signature(KEY, message))
    assert not verify((KEY,), message, "é" * 22)


def test_required_mode() -> None:
    query = signed_query("/photos/cat.jpg", "w=300", KEY, REQUIRED)
    check("/photos/cat.jpg", query, REQUIRED, keys)
    check("/photos/cat.jpg", "utm=1&" + query, REQUIRED, keys)  # other parameters do not matter
    with pytest.raises(SignatureRequired):
        check("/photos/cat.jpg", "w=300", REQUIRED, keys)
    with pytest.raises(BadSignature):
        check("/photos/cat.jpg", query.replace("w=300", "w=600"), REQUIRED, keys)  # tampered width
    with pytest.raises(BadSignature):
        check("/photos/dog.jpg", query, REQUIRED, keys)  # another original
    with pytest.raises(BadSignature):
        check("/photos/cat.jpg", query + "&s=x", REQUIRED, keys)  # given twice
    with pytest.raises(BadSignature):
        check("/photos/cat.jpg", query[:-1], REQUIRED, keys)  # truncated
    with pytest.raises(BadRequest):
        check("/photos/cat.jpg", "w=abc&s=x", REQUIRED, keys)


def test_off_mode_never_asks_for_keys() -> None:
    def no_keys() -> tuple[bytes, ...]:
        raise AssertionError("keys fetched")

    check("/photos/cat.jpg", "w=300", Config(), no_keys)
    check("/photos/cat.jpg", "w=300&s=garbage", Config(), no_keys)


def test_outside_presets_mode() -> None:
    check("/photos/cat.jpg", "preset=thumb", PRESETS, keys)
    check("/photos/cat.jpg", "preset=thumb&dpr=2", PRESETS, keys)  # an allowed override
    with pytest.raises(SignatureRequired):
        check("/photos/cat.jpg", "w=200&h=200", PRESETS, keys)
    check("/photos/cat.jpg", signed_query("/photos/cat.jpg", "w=640", KEY, PRESETS), PRESETS, keys)


def test_signature_parameter() -> None:
    assert signature_parameter("w=1&s=abc") == "abc"
    assert signature_parameter("w=1") is None
    with pytest.raises(BadSignature):
        signature_parameter("s=a&s=b")


def test_parse_secret() -> None:
    assert parse_secret("k" * 32) == (KEY,)
    assert parse_secret('{"keys": ["' + "k" * 32 + '", "' + "o" * 32 + '"]}') == (KEY, OLD)
    for bad in ["short", '{"keys": []}', '{"keys": "x"}', "{not json", " " + "k" * 32, '{"keys": [1]}']:
        with pytest.raises(InvalidSecret):
            parse_secret(bad)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_key_cache_fetches_once_per_ttl_and_rotates() -> None:
    clock = Clock()
    values = iter(["k" * 32, '{"keys": ["' + "n" * 32 + '", "' + "k" * 32 + '"]}'])
    cache = KeyCache(lambda: next(values), ttl=300, clock=clock)
    assert cache() == (KEY,)
    clock.now += 299
    assert cache() == (KEY,)
    assert cache.fetches == 1
    clock.now += 2
    assert cache() == (b"n" * 32, KEY)
    assert cache.fetches == 2


def test_key_cache_keeps_old_keys_when_a_refresh_fails_and_fails_closed_without_any() -> None:
    clock = Clock()
    answers: list[object] = ["k" * 32, OSError("down"), "n" * 32]

    def fetch() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    cache = KeyCache(fetch, ttl=60, clock=clock)
    assert cache() == (KEY,)
    clock.now += 61
    assert cache() == (KEY,)  # refresh failed: the old keys stay in use
    clock.now += 5
    assert cache() == (KEY,)  # no retry before RETRY_AFTER_FAILURE_S
    clock.now += 6
    assert cache() == (b"n" * 32,)
    empty = KeyCache(lambda: "short", ttl=60, clock=clock)
    with pytest.raises(SignatureKeysUnavailable) as raised:
        empty()
    assert raised.value.status == 503
    assert not raised.value.cacheable


def test_unsigned_miss_is_a_403_never_cached() -> None:
    assert UnsignedMiss().status == 403
    assert not UnsignedMiss().cacheable


def test_config_validates_the_signature_keys() -> None:
    with pytest.raises(ConfigError, match="'signature_mode'"):
        Config.from_mapping({"signature_mode": "sometimes"})
    with pytest.raises(ConfigError, match="'signature_secret_id'"):
        Config.from_mapping({"signature_mode": "required"})
    with pytest.raises(ConfigError, match="'signature_secret_ttl'"):
        Config.from_mapping({"signature_secret_ttl": 0})
    config = Config.from_mapping({"signature_mode": "required", "signature_secret_id": "imgedge/signing"})
    assert Config.from_mapping(json.loads(config.to_json())) == config


# --- issue 12 §6: the extension is bound, an expiry is signed, a bad rotation fails closed ----------------------


def test_a_signature_binds_the_originals_extension() -> None:
    # Both URLs render the same variant key /300/photos/cat.webp, from different originals.
    jpg = signed_query("/photos/cat.jpg", "w=300&format=webp", KEY, REQUIRED)
    check("/photos/cat.jpg", jpg, REQUIRED, keys)
    with pytest.raises(BadSignature):
        check("/photos/cat.png", jpg, REQUIRED, keys)
    message = hmac.new(KEY, b"/300/photos/cat.webp", hashlib.sha256).digest()[:16]
    key_only = "w=300&format=webp&s=" + base64.urlsafe_b64encode(message).decode().rstrip("=")
    with pytest.raises(BadSignature):  # a signature over the variant key alone (the old message) is refused
        check("/photos/cat.jpg", key_only, REQUIRED, keys)


def test_an_expiry_is_signed_and_enforced() -> None:
    query = signed_query("/photos/cat.jpg", "w=300", KEY, REQUIRED, expires=2_000_000_000)
    assert query.startswith("w=300&exp=2000000000&s=")
    # The message covers the expiry as its own line (HMAC computed here, independently of signed_query).
    expected = (
        "/300/photos/cat.avif\n/300/photos/cat.webp\n/300/photos/cat.jpg\noriginal /photos/cat.jpg\nexp 2000000000"
    )
    assert signing_message("/photos/cat.jpg", query, REQUIRED) == expected
    digest = hmac.new(KEY, expected.encode(), hashlib.sha256).digest()[:16]
    assert query.endswith("s=" + base64.urlsafe_b64encode(digest).decode().rstrip("="))
    check("/photos/cat.jpg", query, REQUIRED, keys, clock=lambda: 1_999_999_999.5)
    for now in (2_000_000_000, 2_100_000_000):
        with pytest.raises(SignatureExpired) as raised:
            check("/photos/cat.jpg", query, REQUIRED, keys, clock=Clock(float(now)))
        assert raised.value.status == 403
        assert raised.value.reason == "signature expired"
    extended = query.replace("exp=2000000000", "exp=2100000000")
    with pytest.raises(BadSignature):  # moving the expiry breaks the signature
        check("/photos/cat.jpg", extended, REQUIRED, keys, clock=lambda: 0.0)
    dropped = query.replace("exp=2000000000&", "")
    with pytest.raises(BadSignature):  # so does removing it
        check("/photos/cat.jpg", dropped, REQUIRED, keys, clock=lambda: 0.0)
    # Re-signing replaces both s and exp.
    assert signed_query("/photos/cat.jpg", query, KEY, REQUIRED).startswith("w=300&s=")


@pytest.mark.parametrize("value", ["", "-1", "1e9", "12345678901234", "\uff12\uff10\uff10\uff10", "1.5"])
def test_a_malformed_expiry_is_a_bad_signature(value: str) -> None:
    with pytest.raises(BadSignature):
        expiry_parameter(f"w=300&exp={value}")
    with pytest.raises(BadSignature):
        expiry_parameter("w=300&exp=1&exp=2")
    assert expiry_parameter("w=300") is None


def test_key_cache_drops_its_keys_when_a_rotated_secret_is_invalid() -> None:
    clock = Clock()
    answers = iter(["k" * 32, '{"keys": []}', "n" * 32])
    cache = KeyCache(lambda: next(answers), ttl=60, clock=clock)
    assert cache() == (KEY,)
    clock.now += 61
    with pytest.raises(SignatureKeysUnavailable) as raised:  # the old key is not kept: fail closed
        cache()
    assert raised.value.status == 503
    assert "InvalidSecret" in raised.value.detail
    clock.now += 5
    with pytest.raises(SignatureKeysUnavailable):  # still closed until the retry
        cache()
    clock.now += 6
    assert cache() == (b"n" * 32,)


def test_auto_is_refused_on_urls_that_need_a_signature() -> None:
    hinted = Config.of(
        signature_mode=SignatureMode.OUTSIDE_PRESETS,
        signature_secret_id="imgedge/signing",
        client_hints=True,
        presets={"thumb": {"w": "200"}},
    )
    for query in ("w=auto", "w=300&dpr=auto", f"w=auto&s={'A' * 22}"):
        with pytest.raises(BadRequest) as raised:
            check("/a.jpg", query, hinted, lambda: [KEY])
        assert raised.value.reason == AUTO_SIGNED
        with pytest.raises(BadRequest, match="not allowed on URLs that need a signature"):
            signed_query("/a.jpg", query, KEY, hinted)
    check("/a.jpg", "preset=thumb&dpr=auto", hinted, lambda: [KEY])  # needs no signature: allowed
