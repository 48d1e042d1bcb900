"""Parsing of the viewer's query string into ``RequestedOptions`` (pure)."""

from dataclasses import dataclass
from urllib.parse import unquote_plus

from edge.errors import BadRequest
from edge.options import Fit, FormatChoice

PARAMETERS = ("w", "h", "fit", "q", "format")
_FORMAT_ALIASES = {"jpg": FormatChoice.JPEG}
# Sizes are checked against the policy later; this only keeps absurd digit strings out of int().
_MAX_DIGITS = 6


@dataclass(frozen=True, slots=True)
class RequestedOptions:
    """What the URL asked for, before the size policy and format negotiation. ``None`` means not given."""

    width: int | None
    height: int | None
    fit: Fit | None
    quality: int | None
    format: FormatChoice | None


def parse_query(querystring: str) -> RequestedOptions | None:
    """Parse a raw query string (no leading ``?``).

    Returns ``None`` when none of ``w``, ``h``, ``fit``, ``q``, ``format`` is present (the original is served
    untouched). Unknown parameters are ignored, so they never reach the cache key. Raises ``BadRequest`` with a
    one-line reason for: a known parameter given twice or empty, a value outside its grammar (``w``/``h``
    positive decimal integers, ``q`` 1-100, ``fit`` one of ``Fit``, ``format`` auto|avif|webp|jpeg|jpg|png), or
    ``fit``/``q``/``format`` without ``w`` or ``h``.
    """
    values: dict[str, str] = {}
    for part in querystring.split("&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition("=")
        name = unquote_plus(raw_name, errors="replace")
        if name not in PARAMETERS:
            continue
        if name in values:
            raise BadRequest(f"parameter {name} given more than once")
        try:
            values[name] = unquote_plus(raw_value, errors="strict")
        except UnicodeDecodeError:
            raise BadRequest(f"parameter {name} is not valid UTF-8") from None
    if not values:
        return None
    width = _dimension(values, "w")
    height = _dimension(values, "h")
    if width is None and height is None:
        raise BadRequest("w or h is required")
    return RequestedOptions(
        width=width,
        height=height,
        fit=_fit(values.get("fit")),
        quality=_quality(values.get("q")),
        format=_format(values.get("format")),
    )


def _digits(name: str, text: str) -> int:
    if not text:
        raise BadRequest(f"{name} is empty")
    if not (text.isascii() and text.isdigit()):
        raise BadRequest(f"{name} must be a positive integer")
    if len(text.lstrip("0")) > _MAX_DIGITS:
        raise BadRequest(f"{name} is too large")
    return int(text)


def _dimension(values: dict[str, str], name: str) -> int | None:
    if name not in values:
        return None
    value = _digits(name, values[name])
    if value < 1:
        raise BadRequest(f"{name} must be a positive integer")
    return value


def _quality(text: str | None) -> int | None:
    if text is None:
        return None
    value = _digits("q", text)
    if not 1 <= value <= 100:
        raise BadRequest("q must be from 1 to 100")
    return value


def _fit(text: str | None) -> Fit | None:
    if text is None:
        return None
    try:
        return Fit(text)
    except ValueError:
        raise BadRequest("fit must be one of " + "|".join(f.value for f in Fit)) from None


def _format(text: str | None) -> FormatChoice | None:
    if text is None:
        return None
    if text in _FORMAT_ALIASES:
        return _FORMAT_ALIASES[text]
    try:
        return FormatChoice(text)
    except ValueError:
        raise BadRequest("format must be one of auto|avif|webp|jpeg|png") from None
