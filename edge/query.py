"""Parsing of the viewer's query string into ``RequestedOptions`` (pure).

Each parameter has a small typed parser (``_PARSERS``); ``parse_query`` splits the query, expands a ``preset``
and hands the values to ``options_from_values``, which config validation also uses for the presets themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from edge.errors import BadRequest
from edge.options import FOCUS_STEP, ROTATIONS, Fit, FormatChoice, Gravity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from fractions import Fraction
    from typing import Any

#: Every image parameter, in the order of the table in docs/url-api.md; any other parameter is dropped.
PARAMETERS = (
    "w",
    "h",
    "fit",
    "q",
    "format",
    "dpr",
    "gravity",
    "focus",
    "background",
    "grayscale",
    "blur",
    "sharpen",
    "rotate",
    "flip",
    "flop",
    "anim",
    "preset",
)
_PARAMETER_SET = frozenset(PARAMETERS)
#: Parameters a preset may set (all but ``preset`` itself).
PRESET_PARAMETERS = PARAMETERS[:-1]
_FORMAT_ALIASES = {"jpg": FormatChoice.JPEG}
_GRAVITY_ALIASES = {"center": Gravity.CENTRE}
# Sizes are checked against the policy later; this only keeps absurd digit strings out of int().
_MAX_DIGITS = 6
# The grammar of decimals (``[0-9](\.[0-9]{1,4})?``) and colours (``#?`` and 3 or 6 hex digits), checked with str
# methods: no regex to compile at the cold start.
_DIGITS = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_TRUE = frozenset({"1", "true"})
_FALSE = frozenset({"0", "false"})
#: Preset names: what may follow ``preset=`` and appear as a key of the ``presets`` configuration.
PRESET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@dataclass(frozen=True, slots=True)
class RequestedOptions:
    """What the URL asked for, before the size policy and format negotiation. ``None`` means not given.

    ``dpr`` is the requested device pixel ratio (1-4, not yet snapped); ``focus`` is ``(x, y)`` in percent,
    already snapped to the ``FOCUS_STEP`` grid; ``background`` is ``rrggbb`` lowercase; ``blur`` is a radius
    (0 = none, not yet snapped); ``preset`` names the preset the values came from.
    """

    width: int | None
    height: int | None
    fit: Fit | None = None
    quality: int | None = None
    format: FormatChoice | None = None
    dpr: Fraction | None = None
    gravity: Gravity | None = None
    focus: tuple[int, int] | None = None
    background: str | None = None
    grayscale: bool = False
    blur: int = 0
    sharpen: bool = False
    rotate: int = 0
    flip: bool = False
    flop: bool = False
    anim: bool = True
    preset: str | None = None


def query_values(querystring: str) -> dict[str, str]:
    """The image parameters of a raw query string (no leading ``?``), decoded; other parameters are dropped.

    Raises ``BadRequest`` for a parameter given twice or not valid UTF-8.
    """
    values: dict[str, str] = {}
    for part in querystring.split("&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition("=")
        # unquote_plus changes nothing without "%" or "+": skip its call then (most names and values).
        name = unquote_plus(raw_name, errors="replace") if "%" in raw_name or "+" in raw_name else raw_name
        if name not in _PARAMETER_SET:
            continue
        if name in values:
            raise BadRequest(f"parameter {name} given more than once")
        if "%" not in raw_value and "+" not in raw_value:
            values[name] = raw_value
            continue
        try:
            values[name] = unquote_plus(raw_value, errors="strict")
        except UnicodeDecodeError:
            raise BadRequest(f"parameter {name} is not valid UTF-8") from None
    return values


def parse_query(
    querystring: str,
    presets: Mapping[str, Mapping[str, str]] | None = None,
    preset_overrides: Collection[str] = (),
    presets_only: bool = False,
    allowed_parameters: Collection[str] = PARAMETERS,
    fill: Callable[[Mapping[str, str]], dict[str, str]] | None = None,
) -> RequestedOptions | None:
    """Parse a raw query string (no leading ``?``).

    Returns ``None`` when none of ``PARAMETERS`` is present (the original is served untouched). Unknown
    parameters are ignored, so they never reach the cache key. ``preset=NAME`` starts from the values of
    ``presets[NAME]``; the URL may add or change only the parameters in ``preset_overrides``. With
    ``presets_only``, a request without ``preset`` is refused. A parameter not in ``allowed_parameters`` is
    refused, whatever its value. ``fill`` (``edge.hints.resolve`` under ``client_hints``) may replace values
    after the preset is expanded and before they are validated (``w=auto`` and ``dpr=auto``).

    Raises ``BadRequest`` with a one-line reason for: a parameter not enabled, given twice or empty, a value
    outside its grammar (see ``options_from_values``), an unknown preset, a parameter a preset does not let the
    URL override, no preset under ``presets_only``, or other parameters without ``w`` or ``h``.
    """
    values = query_values(querystring)
    if not values:
        return None
    for name in values:
        if name not in allowed_parameters:
            raise BadRequest(f"parameter {name} is not enabled")
    preset = values.pop("preset", None)
    if preset is not None:
        if presets is None or preset not in presets:
            raise BadRequest("unknown preset")
        for name in values:
            if name not in preset_overrides:
                raise BadRequest(f"parameter {name} cannot be combined with a preset")
        values = {**presets[preset], **values}
    elif presets_only:
        raise BadRequest("only presets are allowed: use preset=NAME")
    if fill is not None:
        values = fill(values)
    return options_from_values(values, preset)


def options_from_values(values: Mapping[str, str], preset: str | None = None) -> RequestedOptions:
    """Validate decoded parameter values (names from ``PRESET_PARAMETERS``).

    Grammar: ``w``/``h`` positive decimal integers; ``q`` 1-100; ``fit`` one of ``Fit``; ``format``
    auto|avif|webp|jpeg|jpg|png; ``dpr`` a decimal from 1 to 4; ``gravity`` centre|center, a compass direction,
    entropy, attention or face (``edge.rewrite`` refuses face unless enabled); ``focus`` ``x,y`` decimal
    fractions from 0 to 1 (not with ``gravity``);
    ``background`` ``rgb`` or ``rrggbb`` hex, optionally after ``#``; ``blur`` an integer from 0 to 1000;
    ``rotate`` 0|90|180|270; ``grayscale``/``sharpen``/``flip``/``flop``/``anim`` 1|true|0|false. At least one of ``w``
    and ``h`` is required. Raises ``BadRequest``.
    """
    width = _dimension(values, "w")
    height = _dimension(values, "h")
    if width is None and height is None:
        raise BadRequest("w or h is required")
    if len(values) == (width is not None) + (height is not None):  # only w and h (the usual request)
        return RequestedOptions(width=width, height=height, preset=preset)
    parsed = {_FIELD.get(name, name): _PARSERS[name](name, values[name]) for name in _PARSERS if name in values}
    if "gravity" in values and "focus" in values:
        raise BadRequest("give gravity or focus, not both")
    return RequestedOptions(width=width, height=height, preset=preset, **parsed)


def _digits(name: str, text: str) -> int:
    if not text:
        raise BadRequest(f"{name} is empty")
    if not (text.isascii() and text.isdigit()):
        raise BadRequest(f"{name} must be a positive integer")
    significant = text.lstrip("0")
    if len(significant) > _MAX_DIGITS:
        raise BadRequest(f"{name} is too large")
    # Leading zeros are dropped before int(): Python refuses strings of more than 4,300 digits (ValueError).
    return int(significant or "0")


def _dimension(values: Mapping[str, str], name: str) -> int | None:
    if name not in values:
        return None
    value = _digits(name, values[name])
    if value < 1:
        raise BadRequest(f"{name} must be a positive integer")
    return value


def _quality(name: str, text: str) -> int:
    value = _digits(name, text)
    if not 1 <= value <= 100:
        raise BadRequest("q must be from 1 to 100")
    return value


def _fit(name: str, text: str) -> Fit:
    try:
        return Fit(text)
    except ValueError:
        raise BadRequest("fit must be one of " + "|".join(f.value for f in Fit)) from None


def _format(name: str, text: str) -> FormatChoice:
    if text in _FORMAT_ALIASES:
        return _FORMAT_ALIASES[text]
    try:
        return FormatChoice(text)
    except ValueError:
        raise BadRequest("format must be one of auto|avif|webp|jpeg|png") from None


def _fraction(name: str, text: str) -> Fraction:
    size = len(text)
    if not (
        (size == 1 and text in _DIGITS)
        or (3 <= size <= 6 and text[0] in _DIGITS and text[1] == "." and all(c in _DIGITS for c in text[2:]))
    ):
        raise BadRequest(f"{name} must be a decimal number")
    # Loaded on the first dpr or focus: fractions (and decimal, which it imports) stay out of the cold start.
    from fractions import Fraction  # noqa: PLC0415

    return Fraction(text)


def _dpr(name: str, text: str) -> Fraction:
    value = _fraction(name, text)
    if not 1 <= value <= 4:
        raise BadRequest("dpr must be from 1 to 4")
    return value


def _gravity(name: str, text: str) -> Gravity:
    if text in _GRAVITY_ALIASES:
        return _GRAVITY_ALIASES[text]
    try:
        gravity = Gravity(text)
    except ValueError:
        gravity = Gravity.FOCUS
    if gravity is Gravity.FOCUS:
        choices = "|".join(g.value for g in Gravity if g is not Gravity.FOCUS)
        raise BadRequest(f"gravity must be one of {choices}")
    return gravity


def _snap_percent(value: Fraction) -> int:
    """A fraction 0-1 as a percentage on the ``FOCUS_STEP`` grid (nearest point, halves rounded up)."""
    steps = value * 100 / FOCUS_STEP  # exact; rounded half up below, in integers (value is from 0 to 1)
    return (2 * steps.numerator + steps.denominator) // (2 * steps.denominator) * FOCUS_STEP


def _focus(name: str, text: str) -> tuple[int, int]:
    parts = text.split(",")
    if len(parts) != 2:
        raise BadRequest("focus must be x,y (fractions from 0 to 1)")
    x, y = (_fraction(name, part) for part in parts)
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise BadRequest("focus must be x,y (fractions from 0 to 1)")
    return _snap_percent(x), _snap_percent(y)


def _background(name: str, text: str) -> str:
    digits = text[1:] if text.startswith("#") else text
    if len(digits) not in (3, 6) or not all(c in _HEX_DIGITS for c in digits):
        raise BadRequest("background must be a hex colour (rgb or rrggbb)")
    digits = digits.lower()
    return "".join(c * 2 for c in digits) if len(digits) == 3 else digits


def _flag(name: str, text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadRequest(f"{name} must be 1, true, 0 or false")


def _blur(name: str, text: str) -> int:
    value = _digits(name, text)
    if value > 1000:
        raise BadRequest("blur must be from 0 to 1000")
    return value


def _rotate(name: str, text: str) -> int:
    value = _digits(name, text) if text.isascii() and text.isdigit() else -1
    if value not in ROTATIONS:
        raise BadRequest("rotate must be 0, 90, 180 or 270")
    return value


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "fit": _fit,
    "q": _quality,
    "format": _format,
    "dpr": _dpr,
    "gravity": _gravity,
    "focus": _focus,
    "background": _background,
    "grayscale": _flag,
    "blur": _blur,
    "sharpen": _flag,
    "rotate": _rotate,
    "flip": _flag,
    "flop": _flag,
    "anim": _flag,
}
_FIELD = {"q": "quality"}
