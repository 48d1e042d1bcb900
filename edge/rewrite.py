"""The whole viewer-request decision: from URI, query and ``Accept`` to a variant key (pure)."""

from dataclasses import dataclass

from edge.config import Config
from edge.errors import BadRequest
from edge.keys import JPEG_DEFAULT_BACKGROUND, VariantKey, encode_key, is_variant_path
from edge.negotiate import choose_format
from edge.options import COMPASS_FOCUS, Fit, Gravity, OutputFormat, RenderSpec
from edge.paths import MAX_URL_LENGTH, validate_original_path
from edge.query import RequestedOptions, parse_query
from edge.sizes import FACES_DISABLED, apply_size_policy, scale_dimension, snap_blur, snap_dpr, snap_quality

_FOCUS_GRAVITY = {point: gravity for gravity, point in COMPASS_FOCUS.items()}
#: The 400 reasons for image parameters on a path that names a variant (variant_prefix set, or not).
VARIANT_PATH = "path is under variant_prefix, where only variants live: resize an original, not a variant"
VARIANT_KEY_PATH = (
    "path is a variant key (first folder named like a spec): resize an original, not a variant;"
    " originals in such folders need the variant_prefix setting"
)


@dataclass(frozen=True, slots=True)
class Rewrite:
    """Where a request goes: ``uri`` is the canonical variant key, ``original`` the original's canonical URI."""

    uri: str
    original: str
    variant: VariantKey


def rewrite(uri: str, querystring: str, accept: str, config: Config) -> Rewrite | None:
    """Decide what a viewer request maps to.

    Returns ``None`` when the query has none of the imgedge parameters (serve the path untouched), else the
    ``Rewrite``. Raises ``BadRequest`` for an over-long URL, a path that names a variant (``keys.is_variant_path``),
    an invalid path or parameter, or a size, colour,
    preset or parameter (``allowed_parameters``) the configuration refuses. ``dpr`` multiplies ``w`` and ``h``
    before the size policy; width and height snap independently; ``fit`` only matters (and is only kept) with
    both, and the crop position only with ``fit=cover``. Equivalent spellings become one spec: a focal point on
    a compass point is that gravity, a vertical flip is a 180-degree rotation plus a mirror, a white background
    is JPEG's default.
    """
    if len(uri) + 1 + len(querystring) >= MAX_URL_LENGTH:
        raise BadRequest("URL too long")
    requested = parse_query(
        querystring, config.presets, config.preset_overrides, config.presets_only, config.allowed_parameters
    )
    if requested is None:
        return None
    if requested.gravity is Gravity.FACE and not config.faces_enabled:
        raise BadRequest(FACES_DISABLED)
    if is_variant_path(uri, config):
        # Rendering from a variant would chain variants of variants that outlive their original's purge.
        raise BadRequest(VARIANT_PATH if config.variant_prefix else VARIANT_KEY_PATH)
    original = validate_original_path(uri, config.source_extensions)
    dpr = snap_dpr(requested.dpr) if requested.dpr is not None else None
    width = requested.width
    height = requested.height
    if dpr is not None:
        width = None if width is None else scale_dimension(width, dpr, config)
        height = None if height is None else scale_dimension(height, dpr, config)
    width = None if width is None else apply_size_policy("w", width, config)
    height = None if height is None else apply_size_policy("h", height, config)
    both = width is not None and height is not None
    fit = (requested.fit or Fit.COVER) if both else Fit.INSIDE
    fmt = choose_format(requested.format or config.default_format, accept, original.extension)
    if not fmt.lossy:
        quality = None
    elif requested.quality is None:
        quality = config.default_quality[fmt._value_]  # _value_: .value without its descriptor
    else:
        quality = snap_quality(requested.quality, config)
    gravity, focus = _crop_position(requested) if fit is Fit.COVER and both else (Gravity.CENTRE, None)
    rotate, flop = requested.rotate, requested.flop
    if requested.flip:
        rotate, flop = (rotate + 180) % 360, not flop
    spec = RenderSpec(
        width,
        height,
        fit,
        fmt,
        quality,
        gravity=gravity,
        focus=focus,
        background=_background(requested.background, fmt, config),
        grayscale=requested.grayscale,
        blur=snap_blur(requested.blur),
        sharpen=requested.sharpen,
        rotate=rotate,
        flop=flop,
    )
    variant = VariantKey(spec, original.stem)
    return Rewrite(uri=encode_key(variant, config), original=original.uri, variant=variant)


def _crop_position(requested: RequestedOptions) -> tuple[Gravity, tuple[int, int] | None]:
    if requested.focus is not None:
        compass = _FOCUS_GRAVITY.get(requested.focus)
        return (compass, None) if compass is not None else (Gravity.FOCUS, requested.focus)
    return requested.gravity or Gravity.CENTRE, None


def _background(colour: str | None, fmt: OutputFormat, config: Config) -> str | None:
    if colour is None:
        return None
    if colour not in config.backgrounds:
        raise BadRequest(f"background {colour} is not an allowed colour")
    return None if fmt is OutputFormat.JPEG and colour == JPEG_DEFAULT_BACKGROUND else colour
