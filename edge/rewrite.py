"""The whole viewer-request decision: from URI, query and ``Accept`` to a variant key, and what a signature
must cover when the configuration requires one (pure)."""

from collections.abc import Mapping
from dataclasses import dataclass

from edge.config import Config, SignatureMode
from edge.errors import BadRequest, ConfigError, Forbidden
from edge.hints import AUTO_SIGNED, ClientHints, asks_for_hints, resolve
from edge.keys import JPEG_DEFAULT_BACKGROUND, InvalidVariantKey, VariantKey, decode_key, encode_key, is_variant_path
from edge.negotiate import choose_format
from edge.options import COMPASS_FOCUS, Fit, Gravity, OutputFormat, RenderSpec
from edge.paths import MAX_URL_LENGTH, validate_original_path
from edge.query import RequestedOptions, parse_query, query_values
from edge.sizes import FACES_DISABLED, apply_size_policy, scale_dimension, snap_blur, snap_dpr, snap_quality

_FOCUS_GRAVITY = {point: gravity for gravity, point in COMPASS_FOCUS.items()}
#: The Accept headers a signature's variant keys are computed for when the format is negotiated: AVIF, WebP, no
#: preference (``edge.signing``).
REFERENCE_ACCEPTS = ("image/avif,image/webp", "image/webp", "")
#: The 400 reasons for image parameters on a path that names a variant (variant_prefix set, or not).
VARIANT_PATH = "path is under variant_prefix, where only variants live: resize an original, not a variant"
VARIANT_KEY_PATH = (
    "path is a variant key (first folder named like a spec): resize an original, not a variant;"
    " originals in such folders need the variant_prefix setting"
)


class OriginalRefused(Forbidden):
    """A request for an original without image parameters under ``watermark_passthrough: deny``."""

    default_reason = "originals are not served: ask for a size (w or h)"


@dataclass(frozen=True, slots=True)
class Rewrite:
    """Where a request goes: ``uri`` is the canonical variant key, ``original`` the original's canonical URI.

    ``signed_keys`` is ``None`` when the request needs no signature, else the variant keys its signature covers
    (``edge.signing``): the keys the URL rewrites to for each of ``REFERENCE_ACCEPTS``, in that order, without
    repeats (one key when the URL fixes the format).
    """

    uri: str
    original: str
    variant: VariantKey
    signed_keys: tuple[str, ...] | None = None


def rewrite(
    uri: str,
    querystring: str,
    accept: str,
    config: Config,
    hints: ClientHints | None = None,
    *,
    for_signing: bool = False,
) -> Rewrite | None:
    """Decide what a viewer request maps to.

    Returns ``None`` when the query has none of the imgedge parameters and no watermark is configured (serve the
    path untouched), else the ``Rewrite``. With a watermark, a request without image parameters is an
    ``unrendered`` request (see there): the default rendition or an ``OriginalRefused`` (403). Raises
    ``BadRequest`` for an over-long URL, a path that names a variant (``keys.is_variant_path``), an invalid path
    or parameter, or a size, colour, preset or parameter (``allowed_parameters``) the configuration refuses.
    ``dpr`` multiplies ``w`` and ``h``
    before the size policy; width and height snap independently; ``fit`` only matters (and is only kept) with
    both, and the crop position only with ``fit=cover``. Equivalent spellings become one spec: a focal point on
    a compass point is that gravity, a vertical flip is a 180-degree rotation plus a mirror, a white background
    is JPEG's default. Under ``config.sizing.client_hints``, ``hints`` (the request's hint headers) fill in ``w=auto``
    and ``dpr=auto`` (``edge.hints.resolve``); without the setting, or with ``hints`` ``None``, ``auto`` is the
    400 any other non-number is.

    Under ``config.signing.signature_mode`` the result says what a signature must cover (``signed_keys``) when
    the request needs one: every request with image parameters under ``required``, those without ``preset`` in
    the query under ``outside-presets`` (a bare original's default rendition under a watermark included); such
    a request may not use ``w=auto`` or ``dpr=auto`` (``BadRequest``, ``edge.hints.AUTO_SIGNED``: the width
    would come from headers the viewer chooses). ``for_signing`` computes ``signed_keys`` whatever the mode
    (to sign a URL).
    """
    if len(uri) + 1 + len(querystring) >= MAX_URL_LENGTH:
        raise BadRequest("URL too long")
    asked_hints: list[bool] = []
    fill = None
    if hints is not None and config.sizing.client_hints:

        def fill(values: Mapping[str, str]) -> dict[str, str]:
            asked_hints.append(asks_for_hints(values))
            return resolve(values, hints, config)

    policy = config.url
    requested = parse_query(
        querystring, policy.presets, policy.preset_overrides, policy.presets_only, policy.allowed_parameters, fill
    )
    if requested is None:
        return None if config.watermarking.watermark is None else unrendered(uri, accept, config, for_signing)
    target = _rewrite(uri, requested, accept, config)
    if not (for_signing or _needs_signature(requested.preset, config)):
        return target
    if any(asked_hints):
        raise BadRequest(AUTO_SIGNED)
    return _signed(target, uri, requested, config)


def _needs_signature(preset: str | None, config: Config) -> bool:
    mode = config.signing.signature_mode
    return mode is SignatureMode.REQUIRED or (mode is SignatureMode.OUTSIDE_PRESETS and preset is None)


def _signed(target: Rewrite, uri: str, requested: RequestedOptions, config: Config) -> Rewrite:
    keys = dict.fromkeys(_rewrite(uri, requested, accept, config).uri for accept in REFERENCE_ACCEPTS)
    return Rewrite(target.uri, target.original, target.variant, tuple(keys))


def unrendered(uri: str, accept: str, config: Config, for_signing: bool = False) -> Rewrite | None:
    """What a request without image parameters maps to when a watermark is configured: never the original.

    - a path that is a canonical variant key (``/300/photos/cat.avif``: a stored variant, or a redirect target)
      is served as it is (``None``): variants are rendered with the watermark;
    - a path that is not an original (its extension is not one of ``source_extensions``: HTML, ``robots.txt``)
      is served as it is (``None``); an invalid path that ends in such an extension is a ``BadRequest``;
    - an original under ``watermark_passthrough: deny`` is an ``OriginalRefused`` (403);
    - an original under ``rendition`` (the default) rewrites exactly as ``original?{watermark_rendition}``
      would (by default ``w=1280&h=1280&fit=inside``: fit inside 1280 x 1280, never enlarged, metadata
      stripped, format negotiated), so it is a canonical variant key, cached and stored like any other, and
      watermarked by the same rule (``edge.watermarks.Watermark.covers``). Its URL has no ``preset``, so it
      needs a signature under either signing mode (``signed_keys``: the rendition's keys).
    """
    try:
        decode_key(uri, config)
    except InvalidVariantKey:
        pass
    else:
        return None
    try:
        validate_original_path(uri, config.sources.source_extensions)
    except BadRequest:
        _, dot, extension = uri.rpartition("/")[2].rpartition(".")
        if dot and extension.lower() in config.sources.source_extensions:
            raise
        return None
    if config.watermarking.watermark_passthrough == "deny":
        raise OriginalRefused()
    requested = parse_query(
        config.watermarking.watermark_rendition,
        config.url.presets,
        config.url.preset_overrides,
        config.url.presets_only,
        config.url.allowed_parameters,
    )
    if requested is None:  # Config validation refuses such a rendition; never serve the original
        raise OriginalRefused()
    target = _rewrite(uri, requested, accept, config)
    if for_signing or _needs_signature(None, config):
        return _signed(target, uri, requested, config)
    return target


def _rewrite(uri: str, requested: RequestedOptions, accept: str, config: Config) -> Rewrite:
    if requested.gravity is Gravity.FACE and not config.faces.faces_enabled:
        raise BadRequest(FACES_DISABLED)
    if is_variant_path(uri, config):
        # Rendering from a variant would chain variants of variants that outlive their original's purge.
        raise BadRequest(VARIANT_PATH if config.storage.variant_prefix else VARIANT_KEY_PATH)
    original = validate_original_path(uri, config.sources.source_extensions)
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
    fmt = choose_format(requested.format or config.sizing.default_format, accept, original.extension)
    if not fmt.lossy:
        quality = None
    elif requested.quality is None:
        quality = config.sizing.default_quality[fmt._value_]  # _value_: .value without its descriptor
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
        still=not requested.anim and fmt.animates,
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
    if colour not in config.url.backgrounds:
        raise BadRequest(f"background {colour} is not an allowed colour")
    return None if fmt is OutputFormat.JPEG and colour == JPEG_DEFAULT_BACKGROUND else colour


def check_rendition(config: Config) -> None:
    """Raise ``ConfigError`` unless ``config.watermarking.watermark_rendition`` (used when a watermark is set and
    ``watermark_passthrough`` is ``rendition``) is a query with image parameters that viewer-request accepts under
    ``config``. ``Config`` checks each of its fields; this check needs the whole rewrite, so the deploy path (the
    CDK props) and the local tools run it, and a deployed configuration has always passed it."""
    if config.watermarking.watermark is None or config.watermarking.watermark_passthrough != "rendition":
        return
    query = config.watermarking.watermark_rendition
    try:
        target = rewrite("/rendition.jpg", query, "", config) if query_values(query) else None
    except (BadRequest, Forbidden) as err:
        raise ConfigError(f"configuration key 'watermark_rendition': {err.reason}") from None
    if target is None:
        raise ConfigError("configuration key 'watermark_rendition': must give image parameters (w, h or preset)")


def rendition_keys(uri: str, query: str, config: Config) -> tuple[str, ...]:
    """The variant keys (URIs) the viewer URL ``uri?query`` rewrites to for each of ``REFERENCE_ACCEPTS``, in
    that order, without repeats: one key when the query (or ``default_format``) fixes the format, else one per
    format the negotiation can pick (``Rewrite.signed_keys``). Raises ``BadRequest`` or ``Forbidden`` where
    viewer-request would refuse the URL, and ``BadRequest`` when the query has no image parameters."""
    target = rewrite(uri, query, "", config, for_signing=True) if query_values(query) else None
    if target is None or target.signed_keys is None:
        raise BadRequest("must give image parameters (w, h or preset)")
    return target.signed_keys


def warm_rendition_count(config: Config) -> int:
    """How many variants ``config.warming.warm_renditions`` give one original at most: their ``rendition_keys``
    without repeats, for the source extension that gives the most (a ``format=auto`` query falls back to the
    original's own family, so ``w=320&format=png`` repeats a key of ``w=320`` for a PNG original, not a JPEG).
    Raises ``ConfigError`` naming ``warm_renditions`` and the query viewer-request would refuse."""
    most = 0
    for extension in config.sources.source_extensions:
        keys: dict[str, None] = {}
        for query in config.warming.warm_renditions:
            try:
                keys.update(dict.fromkeys(rendition_keys(f"/rendition.{extension}", query, config)))
            except (BadRequest, Forbidden) as err:
                raise ConfigError(f"configuration key 'warm_renditions': {query!r}: {err.reason}") from None
        most = max(most, len(keys))
    return most


def check_warm_renditions(config: Config) -> None:
    """Raise ``ConfigError`` naming ``warm_renditions`` unless each of them is a query with image parameters that
    viewer-request accepts under ``config`` and together they give one original at most
    ``warm_max_renditions`` variants (``warm_rendition_count``). Run where ``check_rendition`` runs."""
    count = warm_rendition_count(config)
    if count > config.warming.warm_max_renditions:
        raise ConfigError(
            f"configuration key 'warm_renditions': gives up to {count} variants per original, more than "
            f"warm_max_renditions ({config.warming.warm_max_renditions}); each format of format=auto counts"
        )
