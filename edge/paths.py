"""Validation and canonical spelling of an original's path (the viewer URI without the query string)."""

from dataclasses import dataclass
from urllib.parse import quote, unquote

from edge.errors import BadRequest

# CloudFront: "the URI plus the query string must be under 8,192 characters".
MAX_URL_LENGTH = 8192
# S3 keys are at most 1,024 bytes of UTF-8; a variant key adds "/{spec}/" and a new extension to the original's
# stem, so originals are held to a shorter length that leaves room for the longest spec token.
MAX_ORIGINAL_KEY_BYTES = 960

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
# What ``quote(key, safe="/")`` leaves as it is: a key made only of these is its own encoding.
_UNRESERVED_AND_SLASH = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~/"
_FORBIDDEN_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")


@dataclass(frozen=True, slots=True)
class OriginalPath:
    """A validated original: ``key`` is the decoded S3 key (no leading slash), split into ``stem`` and
    ``extension`` (as written, case kept) at the last dot of the last segment."""

    key: str
    stem: str
    extension: str

    @property
    def uri(self) -> str:
        """The canonical percent-encoded URI of the original, with its leading slash."""
        return encode_path(self.key)


def encode_path(key: str) -> str:
    """The canonical URI of an S3 key: ``/`` plus the key with everything but unreserved characters and ``/``
    percent-encoded (UTF-8). Two spellings of the same key always give the same URI."""
    if not key.rstrip(_UNRESERVED_AND_SLASH):  # nothing to encode (the common case), as quote would find
        return "/" + key
    return "/" + quote(key, safe="/")


def decode_path(uri: str) -> str:
    """The S3 key a percent-encoded URI names (leading slash removed), validated by ``validate_key``.

    Raises ``BadRequest`` for a URI that does not start with ``/``, a malformed ``%`` escape, bytes that are not
    UTF-8, or a key ``validate_key`` refuses.
    """
    if not uri.startswith("/"):
        raise BadRequest("path must start with /")
    if "%" not in uri:
        key = uri[1:]  # nothing to decode
    else:
        if _bad_percent(uri):
            raise BadRequest("malformed percent-encoding in path")
        try:
            key = unquote(uri[1:], errors="strict")
        except UnicodeDecodeError:
            raise BadRequest("path is not valid UTF-8") from None
    validate_key(key)
    return key


def validate_key(key: str) -> None:
    """Refuse keys that could escape their folder or confuse S3, CloudFront or a log reader.

    Raises ``BadRequest`` for: an empty key, more than ``MAX_ORIGINAL_KEY_BYTES`` bytes, control or format
    characters (NUL, CR, LF, DEL, bidi overrides...), a backslash, empty segments (``//``, trailing ``/``), and
    ``.`` or ``..`` segments.
    """
    if not key:
        raise BadRequest("empty path")
    if key.isascii():
        if len(key) > MAX_ORIGINAL_KEY_BYTES:
            raise BadRequest("path too long")
        # Printable ASCII has none of the forbidden categories (ASCII's only ones are the Cc controls).
        forbidden = not key.isprintable()
    else:
        if len(key.encode("utf-8")) > MAX_ORIGINAL_KEY_BYTES:
            raise BadRequest("path too long")
        import unicodedata  # noqa: PLC0415 (only for non-ASCII keys)

        forbidden = any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in key)
    if forbidden or "\\" in key:
        raise BadRequest("path contains forbidden characters")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise BadRequest("path contains an empty, '.' or '..' segment")


def _bad_percent(uri: str) -> bool:
    """Whether a ``%`` is not followed by two hex digits."""
    return any(len(rest) < 2 or rest[0] not in _HEX_DIGITS or rest[1] not in _HEX_DIGITS for rest in uri.split("%")[1:])


def validate_original_path(uri: str, source_extensions: tuple[str, ...]) -> OriginalPath:
    """Parse the viewer URI of an original image.

    ``source_extensions`` are the allowed extensions (lowercase); the URI's extension is matched
    case-insensitively. Raises ``BadRequest`` as ``decode_path`` does, and when the last segment has no
    extension from ``source_extensions`` or nothing before it, or only ``.`` or ``..`` before it (``..png``:
    its stem would end in a ``..`` segment, which no variant key may contain).
    """
    key = decode_path(uri)
    folder, _, name = key.rpartition("/")
    base, dot, extension = name.rpartition(".")
    if not dot or base in ("", ".", "..") or extension.lower() not in source_extensions:
        raise BadRequest("path must end in an image extension: " + ", ".join(source_extensions))
    stem = f"{folder}/{base}" if folder else base
    return OriginalPath(key=key, stem=stem, extension=extension)
