"""The size and quality policy: the guard that keeps the number of variants per original bounded (pure)."""

from __future__ import annotations

from bisect import bisect_left
from functools import cache

from edge.config import Config, SizePolicy
from edge.errors import BadRequest
from edge.keys import JPEG_DEFAULT_BACKGROUND
from edge.negotiate import choose_format
from edge.options import BLUR_RADII, COMPASS_FOCUS, FOCUS_STEP, ROTATIONS, Fit, Gravity, OutputFormat, RenderSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from fractions import Fraction
    from typing import Final

    #: Allowed device pixel ratios (1, 3/2, 2, 3, 4); a requested ``dpr`` snaps up to the next one. Built on
    #: first use (``__getattr__``), so that ``fractions`` stays out of the viewer's cold start.
    DPRS: tuple[Fraction, ...]
#: Crop positions of ``cover`` with the default configuration: the named gravities (centre, 8 compass, entropy,
#: attention; not ``face``, which only ``faces_enabled`` adds) plus the focal points of the ``FOCUS_STEP`` grid
#: that are not compass points.
CROP_POSITIONS: Final = (len(Gravity) - 2) + (100 // FOCUS_STEP + 1) ** 2 - len(COMPASS_FOCUS)
#: The 400 for ``gravity=face`` (a URL or a variant key) when ``faces_enabled`` is off.
FACES_DISABLED: Final = "gravity=face is not enabled"
#: Filter combinations: grayscale x (no blur + each radius) x sharpen x the 8 orientations (rotate, flop).
FILTER_COMBINATIONS: Final = 2 * (1 + len(BLUR_RADII)) * 2 * len(ROTATIONS) * 2


def apply_size_policy(name: str, value: int, config: Config) -> int:
    """The width or height (``name`` is ``w`` or ``h``, for the message) to render for a requested ``value``.

    Every policy refuses values above ``config.sizing.max_dimension`` (400). ``snap`` rounds up to the next allowed
    size, capped at the largest; ``strict`` refuses sizes not in ``config.sizing.sizes``; ``any`` keeps the value.
    """
    if value > config.sizing.max_dimension:
        raise BadRequest(f"{name} must be at most {config.sizing.max_dimension}")
    sizes = config.sizing.sizes
    if config.sizing.size_policy is SizePolicy.ANY:
        return value
    if config.sizing.size_policy is SizePolicy.STRICT:
        if value not in sizes:
            raise BadRequest(f"{name}={value} is not an allowed size")
        return value
    index = bisect_left(sizes, value)
    return sizes[min(index, len(sizes) - 1)]


def snap_quality(value: int, config: Config) -> int:
    """The allowed quality for a requested ``q``: the next allowed value up, capped at the largest."""
    qualities = config.sizing.qualities
    return qualities[min(bisect_left(qualities, value), len(qualities) - 1)]


@cache
def _dprs() -> tuple[Fraction, ...]:
    from fractions import Fraction  # noqa: PLC0415 (loaded by the first dpr, see DPRS)

    return (Fraction(1), Fraction(3, 2), Fraction(2), Fraction(3), Fraction(4))


def __getattr__(name: str) -> object:
    if name == "DPRS":
        return _dprs()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def snap_dpr(value: Fraction) -> Fraction:
    """The allowed device pixel ratio for a requested one (1-4): the next in ``DPRS`` up."""
    dprs = _dprs()
    return dprs[min(bisect_left(dprs, value), len(dprs) - 1)]


def scale_dimension(value: int, dpr: Fraction, config: Config) -> int:
    """``value`` times ``dpr`` (rounded half up), capped at ``config.sizing.max_dimension``, before the size policy.

    A ``value`` above ``max_dimension`` is refused by ``apply_size_policy`` as before; only the product is
    capped, so a srcset's ``3x`` of a large image asks for the largest size instead of failing.
    """
    if value > config.sizing.max_dimension:
        return value
    scaled = value * dpr
    return min(config.sizing.max_dimension, (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator))


def snap_blur(value: int) -> int:
    """The allowed blur radius for a requested one: 0 stays 0 (no blur), else the next of ``BLUR_RADII`` up."""
    if value == 0:
        return 0
    return BLUR_RADII[min(bisect_left(BLUR_RADII, value), len(BLUR_RADII) - 1)]


def is_allowed_size(value: int, config: Config) -> bool:
    """Whether a width or height may appear in a variant key under the policy (what origin-response re-checks)."""
    if config.sizing.size_policy is SizePolicy.ANY:
        return 1 <= value <= config.sizing.max_dimension
    return value in config.sizing.sizes


def variant_bound(config: Config) -> int:
    """The most distinct variants one original can have under ``config``: exactly the number of keys the
    grammar and the policy allow, because the key's token groups vary independently::

        shapes  = 2n + n^2 (4 + P + F)          n sizes (max_dimension under any), P = CROP_POSITIONS (443),
                                                F = 1 with faces_enabled (gravity=face), else 0
        filters = 2 (1 + R) 2 x 8               grayscale, blur (R = len(BLUR_RADII)), sharpen, 8 orientations
        colours = Q ((2A + 1)(1 + B) - W) + (1 + B)   Q qualities, B = len(backgrounds), W = 1 if white is one
                                                      of them, A = 2 with anim (all frames or the first), else 1
        bound   = shapes x filters x colours

    ``shapes``: width-only and height-only keys, and per ``n*n`` box the four fits that do not crop plus
    ``cover`` at each crop position. ``colours``: AVIF and WebP at each quality with no background or one of
    ``B``, each animating or its first frame (A); JPEG the same but white is its default (W), one frame; PNG without
    quality, one frame. dpr and presets add no variants (they only choose among these). With the defaults (36 sizes,
    8 qualities, 2 backgrounds, anim enabled) that is 579,384 x 192 x 115 = 12,792,798,720.

    A parameter that ``config.url.allowed_parameters`` disables contributes only its default: no ``w`` (or ``h``)
    leaves the height-only (width-only) keys; no ``fit`` leaves ``cover``; no ``gravity``/``focus`` removes
    their crop positions (a focal point on a compass point still reaches that gravity; ``face`` counts only with
    ``faces_enabled``); no ``q`` leaves each format's default quality; no ``background`` none; no ``format`` the
    formats ``default_format`` negotiates to
    from ``Accept`` and ``source_extensions``; a disabled filter stays off, and the orientations are those that
    ``rotate``, ``flip`` and ``flop`` still reach.
    """
    return _shapes(config) * _filters(config) * _colours(config)


def _shapes(config: Config) -> int:
    enabled = set(config.url.allowed_parameters)
    n = config.sizing.max_dimension if config.sizing.size_policy is SizePolicy.ANY else len(config.sizing.sizes)
    # centre, + 8 compass, entropy, attention, and face when enabled (focus is counted below)
    positions = 1 + (len(Gravity) - 3 + config.faces.faces_enabled if "gravity" in enabled else 0)
    if "focus" in enabled:  # the grid's points not counted yet (a compass point is its gravity)
        positions += (100 // FOCUS_STEP + 1) ** 2 - (len(COMPASS_FOCUS) if "gravity" in enabled else 1)
    fits = len(Fit) - 1 if "fit" in enabled else 0
    boxes = n * n * (fits + positions) if {"w", "h"} <= enabled else 0
    return n * ("w" in enabled) + n * ("h" in enabled) + boxes


def _filters(config: Config) -> int:
    enabled = set(config.url.allowed_parameters)
    switch = (False, True)
    orientations = {
        ((rotate + 180 * flip) % 360, flop != flip)  # a vertical flip is rotate + 180 with flop toggled
        for rotate in (ROTATIONS if "rotate" in enabled else (0,))
        for flip in (switch if "flip" in enabled else (False,))
        for flop in (switch if "flop" in enabled else (False,))
    }
    grayscale, sharpen = (2 if name in enabled else 1 for name in ("grayscale", "sharpen"))
    blur = 1 + len(BLUR_RADII) if "blur" in enabled else 1
    return grayscale * blur * sharpen * len(orientations)


def _colours(config: Config) -> int:
    enabled = set(config.url.allowed_parameters)
    if "format" in enabled:
        formats = set(OutputFormat)
    else:
        formats = {
            choose_format(config.sizing.default_format, accept, extension)
            for accept in ("image/avif", "image/webp", "")
            for extension in config.sources.source_extensions
        }
    qualities = len(config.sizing.qualities) if "q" in enabled else 1
    backgrounds = set(config.url.backgrounds) if "background" in enabled else set()
    total = 0
    frames = 2 if "anim" in enabled else 1  # an animating format: every frame, or the first (anim=0)
    for fmt in formats:
        spelled = backgrounds - {JPEG_DEFAULT_BACKGROUND} if fmt is OutputFormat.JPEG else backgrounds
        total += (qualities if fmt.lossy else 1) * (1 + len(spelled)) * (frames if fmt.animates else 1)
    return total


def base_variant_bound(config: Config) -> int:
    """The bound of the original grammar (size, fit, quality, format only): ``(2n + 5n^2) (3Q + 1)``."""
    n = config.sizing.max_dimension if config.sizing.size_policy is SizePolicy.ANY else len(config.sizing.sizes)
    return (2 * n + len(Fit) * n * n) * (3 * len(config.sizing.qualities) + 1)


def check_spec(spec: RenderSpec, config: Config) -> None:
    """Re-check a decoded variant against the policy: every dimension allowed, the quality an allowed one.

    Raises ``BadRequest``; origin-response renders nothing the viewer-request function would not have produced.
    """
    for name, value in (("w", spec.width), ("h", spec.height)):
        if value is not None and not is_allowed_size(value, config):
            raise BadRequest(f"{name}={value} is not an allowed size")
    if spec.quality is not None and spec.quality not in config.sizing.qualities:
        raise BadRequest(f"q={spec.quality} is not an allowed quality")
    if spec.background is not None and spec.background not in config.url.backgrounds:
        raise BadRequest(f"background={spec.background} is not an allowed colour")
    if spec.blur not in (0, *BLUR_RADII):
        raise BadRequest(f"blur={spec.blur} is not an allowed radius")
    if spec.gravity is Gravity.FACE and not config.faces.faces_enabled:
        raise BadRequest(FACES_DISABLED)
