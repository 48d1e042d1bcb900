"""The one error hierarchy of imgedge.

Every error a request can meet is an ``EdgeError`` carrying the HTTP status the viewer gets and a short public
reason (one line, no internals). Details for operators go in ``detail``, which is logged and never sent.
Handlers turn an ``EdgeError`` into a response in exactly one place (``edge.responses.error``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar


class EdgeError(Exception):
    """Base of all request errors: ``status`` and ``reason`` are public, ``detail`` is for the log only."""

    status: ClassVar[int] = 500
    default_reason: ClassVar[str] = "internal error"
    #: Seconds a client should wait before retrying (the ``Retry-After`` header of the response), when set.
    retry_after: ClassVar[int | None] = None

    def __init__(self, reason: str | None = None, *, detail: str = "") -> None:
        self.reason = (reason or self.default_reason).replace("\r", " ").replace("\n", " ")[:200]
        self.detail = detail
        super().__init__(self.reason)

    @property
    def cacheable(self) -> bool:
        """A 4xx may be cached briefly; a 5xx never is (it would pin an outage in the CDN)."""
        return self.status < 500


class BadRequest(EdgeError):
    """The viewer's URL is invalid: bad parameter, bad path, size outside the policy."""

    status = 400
    default_reason = "bad request"


class Forbidden(EdgeError):
    """The request is well formed but not allowed (a spoofed or mismatched marker)."""

    status = 403
    default_reason = "forbidden"


class UnsignedMiss(Forbidden):
    """origin-response: a missing variant requested without viewer-request's marker while signatures are on
    (someone asked for a variant key directly, skipping the signature check). Never cached: the same cache key
    serves the legitimate, signed request."""

    default_reason = "signature required"

    @property
    def cacheable(self) -> bool:
        return False


class OriginalNotFound(EdgeError):
    """No original exists for the requested variant."""

    status = 404
    default_reason = "original image not found"


class NamespaceConflict(EdgeError):
    """An original and a variant meet at one key (``edge.keys``, "The two layouts"): an object without variant
    metadata at a variant key, or a variant used as an original. 409 (the key's state conflicts with the
    request; not 404, which means a missing original, nor a 5xx, since retrying cannot help); never cached, so
    the answer changes as soon as the operator moves the object or sets ``variant_prefix``."""

    status = 409
    default_reason = "an original and a variant share this key: set variant_prefix"

    @property
    def cacheable(self) -> bool:
        return False


class UnsupportedImage(EdgeError):
    """The original is not an image format imgedge can decode (HTML, SVG, HEIC, empty file...)."""

    status = 415
    default_reason = "original is not a supported image"


class InvalidImage(EdgeError):
    """The original claims to be an image but cannot be decoded (corrupt, truncated)."""

    status = 422
    default_reason = "original image is corrupt or truncated"


class ImageTooLarge(EdgeError):
    """The original exceeds the configured byte, pixel or frame limits (decompression-bomb guard)."""

    status = 422
    default_reason = "original image exceeds the size limits"


class OutputTooLarge(EdgeError):
    """The requested output is larger than its format can encode (WebP: 16383 px a side); the original is fine.

    The reason names the format and its limit; ``edge.render.render`` builds it."""

    status = 422
    default_reason = "output exceeds the format's size limit"


class StorageUnavailable(EdgeError):
    """S3 could not be reached or kept failing after bounded retries."""

    status = 503
    default_reason = "storage temporarily unavailable"


class ConfigError(ValueError):
    """The bundled configuration is invalid; the message names the bad key. Raised at load, never per request."""
