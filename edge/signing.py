"""Signed URLs: the ``s`` parameter, an HMAC-SHA256 over the canonical variant key (pure).

Format: ``s = base64url(HMAC-SHA256(key, message)[:16])`` without padding, so **22 characters**. ``key`` is the
UTF-8 bytes of a key from the secret (see ``parse_secret``). ``message`` is what the URL renders, not how it is
spelled:

- the canonical variant key the request rewrites to (``/300/photos/cat.jpg`` for ``/photos/cat.jpg?w=300&
  format=jpeg``), so parameter order, defaults, snapping and unknown parameters do not matter, and ``s`` never
  enters the key;
- when the URL lets the edge pick the format (``format=auto``, the default), the variant key differs per browser,
  so the message is the keys it can rewrite to for an AVIF browser, a WebP browser and a browser with no
  preference, joined by ``\\n`` (``/300/photos/cat.avif\\n/300/photos/cat.webp\\n/300/photos/cat.jpg``): one
  signed URL serves every browser and pins every output it can produce.

- then the line ``original {uri}``: the original's canonical URI, so a signature binds the original's extension
  (``/photos/cat.jpg`` and ``/photos/cat.png`` share their variant keys, never a signature);
- ``w=auto`` and ``dpr=auto`` (``client_hints``) are never signed: a URL that needs a signature and uses them
  is a 400 (``refuse_auto``), because the width would come from headers the viewer chooses;
- then, when the URL has an ``exp`` parameter (an expiry, Unix seconds), the line ``exp {seconds}``: the expiry is
  signed with the rest, and a request at or after it is a 403 (``SignatureExpired``).

``signing_message`` computes it; ``imgedge sign`` and ``imgedge srcset --sign`` print signed URLs (with
``--expires-in`` adds ``exp``).

Modes (``config.signing.signature_mode``; ``edge.rewrite`` decides which requests need a signature): ``off``
(default); ``required``: every request with image parameters needs a valid ``s`` (403 otherwise);
``outside-presets``: only requests without ``preset=`` need one (presets, and the ``preset_overrides`` the
configuration allows with them, are the unsigned, bounded set). Requests without image parameters (the original,
untouched) never need one. Verification tries every key of the secret with ``hmac.compare_digest`` (constant time).

Secret (AWS Secrets Manager, ``Config.signature_secret_id``, fetched by ``edge.secrets`` and cached per container
for ``signature_secret_ttl`` seconds): either one key as a plain string, or ``{"keys": ["<new>", "<old>"]}``: the
first signs (the CLI), all verify, which is how a key is rotated without broken URLs. Each key has at least 32
characters. A refreshed secret that is not valid (a rotation gone wrong) fails closed: the keys held are
dropped, every signed request gets a 503 (never cached) and the viewer function logs an error-level line, until
a valid secret is fetched again.
"""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import ClassVar
from urllib.parse import unquote_plus

from edge.config import Config
from edge.errors import BadRequest, EdgeError, Forbidden
from edge.hints import AUTO_SIGNED, asks_for_hints
from edge.query import query_values
from edge.rewrite import REFERENCE_ACCEPTS, Rewrite, rewrite
from edge.secrets import get_secret_string

SIGNATURE_PARAMETER = "s"
#: The expiry parameter: Unix time in seconds (at most ``MAX_EXPIRY_DIGITS`` digits), covered by the signature.
EXPIRY_PARAMETER = "exp"
MAX_EXPIRY_DIGITS = 12
SIGNATURE_BYTES = 16
SIGNATURE_LENGTH = 22  # base64url of 16 bytes, without padding
MIN_KEY_LENGTH = 32
MAX_KEYS = 4
__all__ = ["REFERENCE_ACCEPTS"]  # the Accept headers the message's keys are computed for (edge.rewrite)
#: After a failed refresh, keys already held stay in use and the fetch is retried after this many seconds.
RETRY_AFTER_FAILURE_S = 10.0


class SignatureRequired(Forbidden):
    """The request needs an ``s`` parameter and has none."""

    default_reason = "signature required"


class BadSignature(Forbidden):
    """The ``s`` parameter does not match the request."""

    default_reason = "invalid signature"


class SignatureExpired(Forbidden):
    """The URL's signed ``exp`` has passed."""

    default_reason = "signature expired"


class SignatureKeysUnavailable(EdgeError):
    """The signing keys could not be fetched (and none is cached): fail closed, never cached."""

    status: ClassVar[int] = 503
    default_reason = "signature keys unavailable"


class InvalidSecret(ValueError):
    """The secret's value is not a key or ``{"keys": [...]}`` of valid keys."""


def parse_secret(value: str) -> tuple[bytes, ...]:
    """The keys of a secret value: a plain string (one key), or a JSON object ``{"keys": [k1, k2, ...]}`` (1 to
    ``MAX_KEYS``; the first signs). Raises ``InvalidSecret`` for a key shorter than ``MIN_KEY_LENGTH``
    characters, with surrounding whitespace, or a malformed JSON value."""
    text = value
    keys: list[object]
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise InvalidSecret("the secret is not valid JSON") from None
        found = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(found, list) or not 1 <= len(found) <= MAX_KEYS:
            raise InvalidSecret(f'the secret must be a key or {{"keys": [...]}} with 1 to {MAX_KEYS} keys')
        keys = found
    else:
        keys = [text]
    for key in keys:
        if not isinstance(key, str) or len(key) < MIN_KEY_LENGTH or key != key.strip():
            raise InvalidSecret(f"each key must be a string of at least {MIN_KEY_LENGTH} characters, no padding")
    return tuple(str(key).encode("utf-8") for key in keys)


def signature(key: bytes, message: str) -> str:
    """The ``s`` value of ``message`` under ``key`` (22 URL-safe base64 characters)."""
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def verify(keys: Sequence[bytes], message: str, given: str) -> bool:
    """Whether ``given`` is the signature of ``message`` under any of ``keys``. Every key is compared (no early
    exit) with ``hmac.compare_digest``, so the time taken does not depend on where ``given`` differs."""
    given_bytes = given.encode("ascii", errors="replace")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(signature(key, message).encode("ascii"), given_bytes)
    return matched


def signing_message(uri: str, querystring: str, config: Config) -> str | None:
    """The message a URL's signature covers (see the module docs), or ``None`` when the URL has no image
    parameters (nothing to sign). Raises ``BadRequest`` as ``rewrite`` does, and for ``w=auto`` or ``dpr=auto``
    (``refuse_auto``)."""
    refuse_auto(querystring)
    target = rewrite(uri, querystring, "", config, for_signing=True)
    return None if target is None else _message(target, expiry_parameter(querystring))


def _message(target: Rewrite, expires: int | None) -> str:
    assert target.signed_keys is not None  # a rewrite for a request that needs a signature
    lines = [*target.signed_keys, f"original {target.original}"]
    if expires is not None:
        lines.append(f"exp {expires}")
    return "\n".join(lines)


def refuse_auto(querystring: str) -> None:
    """Raise ``BadRequest`` (``edge.hints.AUTO_SIGNED``) when the query has ``w=auto`` or ``dpr=auto``.

    A signature pins what a URL renders; with ``auto`` the width comes from request headers the viewer chooses,
    so one signed URL would render every allowed size (every width up to ``max_dimension`` under ``any``). So a
    URL that needs a signature may not use ``auto`` at all, whatever its ``s``; a request that needs none
    (``outside-presets`` with ``preset=``, e.g. ``preset=hero&dpr=auto``) may, under ``client_hints``.
    """
    if asks_for_hints(query_values(querystring)):
        raise BadRequest(AUTO_SIGNED)


def _single_parameter(querystring: str, parameter: str) -> str | None:
    found: str | None = None
    for part in querystring.split("&"):
        name, _, value = part.partition("=")
        if unquote_plus(name, errors="replace") != parameter:
            continue
        if found is not None:
            raise BadSignature(f"{'signature' if parameter == SIGNATURE_PARAMETER else parameter} given more than once")
        found = unquote_plus(value, errors="replace")
    return found


def signature_parameter(querystring: str) -> str | None:
    """The ``s`` value of a raw query string, or ``None``. Raises ``BadSignature`` when it is given twice."""
    return _single_parameter(querystring, SIGNATURE_PARAMETER)


def expiry_parameter(querystring: str) -> int | None:
    """The ``exp`` value of a raw query string (Unix seconds), or ``None``. Raises ``BadSignature`` when it is
    given twice or is not 1 to ``MAX_EXPIRY_DIGITS`` decimal digits."""
    text = _single_parameter(querystring, EXPIRY_PARAMETER)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_EXPIRY_DIGITS):
        raise BadSignature("exp must be a Unix time in seconds")
    return int(text)


def check(
    target: Rewrite,
    querystring: str,
    keys: Callable[[], Sequence[bytes]],
    clock: Callable[[], float] | None = None,
) -> None:
    """Enforce the signature a viewer request needs: ``target`` is its ``rewrite`` (``target.signed_keys`` says
    whether it needs one and what it covers), ``querystring`` the query it came with (for ``s`` and ``exp``).

    ``keys`` is called only when a signature must be checked; ``clock`` (Unix seconds, default ``time.time``)
    only when the URL has ``exp``. Raises ``SignatureRequired``, ``BadSignature`` or, for a valid signature whose
    ``exp`` is not after ``clock()``, ``SignatureExpired`` (403), or ``SignatureKeysUnavailable`` (503, from
    ``keys``).
    """
    if target.signed_keys is None:
        return
    given = signature_parameter(querystring)
    if not given:
        raise SignatureRequired()
    expires = expiry_parameter(querystring)
    message = _message(target, expires)
    if len(given) != SIGNATURE_LENGTH or not verify(keys(), message, given):
        raise BadSignature()
    if expires is not None and (clock or time.time)() >= expires:
        raise SignatureExpired()


def signed_query(uri: str, querystring: str, key: bytes, config: Config, expires: int | None = None) -> str:
    """``querystring`` with its ``s`` parameter appended (any previous ``s`` and ``exp`` removed), after
    ``exp={expires}`` when ``expires`` (Unix seconds) is given. Raises ``BadRequest`` as ``rewrite`` does, and
    ``ValueError`` when the query has no image parameters (nothing to sign)."""
    kept = "&".join(
        part
        for part in querystring.split("&")
        if part
        and unquote_plus(part.partition("=")[0], errors="replace") not in (SIGNATURE_PARAMETER, EXPIRY_PARAMETER)
    )
    if expires is not None:
        kept = f"{kept}&{EXPIRY_PARAMETER}={expires}"
    message = signing_message(uri, kept, config)
    if message is None:
        raise ValueError("nothing to sign: the URL has no image parameters")
    return f"{kept}&{SIGNATURE_PARAMETER}={signature(key, message)}"


class KeyCache:
    """The signing keys of one secret, fetched on first use and again after ``ttl`` seconds (per container).

    ``fetch`` returns the secret's value (``edge.secrets.get_secret_string`` at the edge). When a fetch fails
    (network, access denied...), keys already held stay in use and the fetch is retried after
    ``RETRY_AFTER_FAILURE_S``. When the fetched value is not a valid secret (``InvalidSecret``: a rotation gone
    wrong), the keys held are dropped: the secret's owner replaced them, so the old ones must not live on. Without
    keys, every call raises ``SignatureKeysUnavailable`` (503, fail closed; its detail names the cause) until the
    retry. ``clock`` is ``time.monotonic`` (injectable).
    """

    def __init__(self, fetch: Callable[[], str], ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._clock = clock
        self._keys: tuple[bytes, ...] = ()
        self._failure = ""
        self._next_refresh = 0.0
        self.fetches = 0

    def __call__(self) -> tuple[bytes, ...]:
        now = self._clock()
        if now < self._next_refresh:
            if self._keys:
                return self._keys
            raise SignatureKeysUnavailable(detail=self._failure)
        self.fetches += 1
        try:
            value = self._fetch()
        except Exception as err:  # any failure of the fetch: keep what we have, else fail closed
            return self._failed(now, f"{type(err).__name__}: {err}")
        try:
            self._keys = parse_secret(value)
        except InvalidSecret as err:
            self._keys = ()  # never the old keys: the secret's owner meant to replace them
            return self._failed(now, f"InvalidSecret: {err}")
        self._failure = ""
        self._next_refresh = now + self._ttl
        return self._keys

    def _failed(self, now: float, failure: str) -> tuple[bytes, ...]:
        self._failure = failure
        self._next_refresh = now + RETRY_AFTER_FAILURE_S
        if self._keys:
            return self._keys
        raise SignatureKeysUnavailable(detail=failure)


@cache
def key_cache(secret_id: str, region: str, ttl: int) -> KeyCache:
    """The container's ``KeyCache`` for a secret, fetching through ``edge.secrets`` (stdlib SigV4 client)."""
    return KeyCache(lambda: get_secret_string(secret_id, region), ttl)


def keys_for(config: Config) -> Callable[[], Sequence[bytes]]:
    """The key source ``check`` uses for ``config``: the cached keys of ``config.signing.signature_secret_id``."""
    if config.signing.signature_secret_id is None:
        return _no_keys
    return key_cache(
        config.signing.signature_secret_id, config.signing.signature_secret_region, config.signing.signature_secret_ttl
    )


def _no_keys() -> tuple[bytes, ...]:
    raise SignatureKeysUnavailable(detail="signature_secret_id is not configured")
