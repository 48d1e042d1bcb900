"""Client hints: ``w=auto`` and ``dpr=auto`` filled in from the viewer's hint headers (pure).

Semantics (WICG "Responsive Image Client Hints", https://wicg.github.io/responsive-image-client-hints/, and MDN):

- ``Sec-CH-Width``: the desired width of the image resource in **physical** pixels (the layout width of the
  ``<img>``, from its ``sizes`` attribute, times the device pixel ratio), rounded up to an integer. Sent only on
  image requests, and only when the ``<img>`` has ``sizes``.
- ``Sec-CH-Viewport-Width``: the width of the layout viewport in **CSS** pixels, rounded up.
- ``Sec-CH-DPR``: the device pixel ratio, physical pixels per CSS pixel (a decimal such as ``2.625``).

The hints fill in a request's values before they are parsed (``resolve``, after a preset is expanded), into
values an ordinary URL could spell, so every rule of ``edge.rewrite`` applies unchanged and the variant key is
the one the spelled-out URL gets (CloudFront's cache key stays the URI):

- ``dpr=auto``: ``Sec-CH-DPR`` clamped to 1-4 and snapped up as any ``dpr`` (1, 1.5, 2, 3, 4); 1 without it.
- ``w=auto`` with ``Sec-CH-Width``: that width, clamped to ``max_dimension``; it already includes the device
  pixel ratio, so it is not multiplied again: it becomes ``w = ceil(width / dpr)`` for the request's ``dpr``
  (explicit, ``auto`` or none, i.e. 1), which ``dpr`` multiplies back to at least ``width`` (and less than
  ``width + dpr``), while ``h`` is still multiplied by ``dpr`` as usual.
- ``w=auto`` without it, with ``Sec-CH-Viewport-Width``: the viewport width (CSS px, clamped to
  ``max_dimension``) times the request's ``dpr``, or when the URL gives none, the ``Sec-CH-DPR`` hint.
- ``w=auto`` without either: ``config.sizing.client_hints_fallback_width``, a CSS width multiplied by ``dpr`` the same
  way (browsers that send no hints, Safari and Firefox, get it).

The width then meets the size policy as any ``w`` (``snap`` rounds it up to an allowed size; ``client_hints``
cannot be combined with ``strict``). A hint that does not parse (not a number, zero, absurdly long) counts as
absent: the viewer cannot fix its browser, so it is never a 400.
"""

from __future__ import annotations

from collections.abc import Mapping

from edge.config import Immutable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from edge.config import Config

AUTO = "auto"
#: The hint headers read, and named in ``Vary`` when ``client_hints`` is on (``edge.variant_headers``).
WIDTH_HINT = "Sec-CH-Width"
VIEWPORT_WIDTH_HINT = "Sec-CH-Viewport-Width"
DPR_HINT = "Sec-CH-DPR"
HINT_HEADERS = (WIDTH_HINT, VIEWPORT_WIDTH_HINT, DPR_HINT)
#: The 400 of a signed request with ``w=auto`` or ``dpr=auto`` (``edge.signing``).
AUTO_SIGNED = "w=auto and dpr=auto are not allowed on URLs that need a signature"
# The allowed device pixel ratios of edge.sizes.DPRS, in thousandths (no fractions import on the hot path).
_DPR_STEPS = ((1000, "1"), (1500, "1.5"), (2000, "2"), (3000, "3"), (4000, "4"))
_MAX_HINT_CHARS = 24


class ClientHints(Immutable):
    """The raw hint header values of a request (the last one of a repeated header), ``None`` when absent.

    An immutable ``__slots__`` record (``edge.config.Immutable``), equal when its three values are."""

    __slots__ = ("dpr", "viewport_width", "width")
    width: str | None
    viewport_width: str | None
    dpr: str | None

    def __init__(self, width: str | None = None, viewport_width: str | None = None, dpr: str | None = None) -> None:
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "viewport_width", viewport_width)
        object.__setattr__(self, "dpr", dpr)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClientHints):
            return NotImplemented
        return (self.width, self.viewport_width, self.dpr) == (other.width, other.viewport_width, other.dpr)

    def __hash__(self) -> int:
        return hash((self.width, self.viewport_width, self.dpr))

    def __repr__(self) -> str:
        return f"ClientHints(width={self.width!r}, viewport_width={self.viewport_width!r}, dpr={self.dpr!r})"


def asks_for_hints(values: Mapping[str, str]) -> bool:
    """Whether decoded query values ask for a hint: ``w=auto`` or ``dpr=auto``."""
    return values.get("w") == AUTO or values.get("dpr") == AUTO


def resolve(values: Mapping[str, str], hints: ClientHints, config: Config) -> dict[str, str]:
    """``values`` with ``w=auto`` and ``dpr=auto`` replaced as the module docs say (a new dict; other values
    kept). Values without ``auto`` are returned as they are. The result parses like a spelled-out URL's."""
    if not asks_for_hints(values):
        return dict(values)
    result = dict(values)
    if values.get("dpr") == AUTO:
        result["dpr"] = snap_dpr_hint(hints.dpr)
    if values.get("w") != AUTO:
        return result
    width = parse_width(hints.width)
    if width is not None:
        halves = _dpr_halves(result.get("dpr"))
        result["w"] = str(-(-2 * min(width, config.sizing.max_dimension) // halves))  # ceil(width / dpr)
        return result
    css_width = parse_width(hints.viewport_width)
    if css_width is None:
        css_width = config.sizing.client_hints_fallback_width
    elif "dpr" not in result and hints.dpr is not None:
        result["dpr"] = snap_dpr_hint(hints.dpr)
    result["w"] = str(min(css_width, config.sizing.max_dimension))
    return result


def parse_width(text: str | None) -> int | None:
    """A width hint (``Sec-CH-Width``, ``Sec-CH-Viewport-Width``: an sf-integer) as a positive int, else ``None``."""
    if text is None:
        return None
    text = text.strip()
    if not (0 < len(text) <= _MAX_HINT_CHARS and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value > 0 else None


def snap_dpr_hint(text: str | None) -> str:
    """A ``Sec-CH-DPR`` value as the ``dpr`` it stands for: clamped to 1-4 and snapped up to 1, 1.5, 2, 3 or 4
    (thousandths first: an sf-decimal has at most 3 fractional digits, and ``1.5000001`` is 1.5); ``"1"`` when
    absent or not a decimal number."""
    thousandths = _thousandths(text)
    for step, spelled in _DPR_STEPS:
        if thousandths <= step:
            return spelled
    return _DPR_STEPS[-1][1]


def _thousandths(text: str | None) -> int:
    if text is None:
        return 1000
    text = text.strip()
    whole, dot, fraction = text.partition(".")
    if not (
        0 < len(text) <= _MAX_HINT_CHARS
        and whole.isascii()
        and whole.isdigit()
        and (not dot or (fraction.isascii() and fraction.isdigit()))
    ):
        return 1000
    return round(float(text) * 1000)


def _dpr_halves(text: str | None) -> int:
    """Twice the snapped ``dpr`` a value spells (2 when absent; an invalid one is refused later by the parser)."""
    return round(2 * float(snap_dpr_hint(text)))
