"""Which variant keys a viewer URL can reach: origin-response's mirror of every viewer-request guard (pure).

A variant key requested directly (``/300/photos/cat.avif``, no query) skips viewer-request's checks. origin-response
therefore renders a key only when some URL that viewer-request accepts under the same configuration rewrites to it;
otherwise a hand-written key could render (and store) variants the configuration forbids, and the number of
variants per original would exceed ``edge.sizes.variant_bound``.

A viewer URL is ``/{stem}.{ext}?{query}`` with ``ext`` one of ``source_extensions`` (any letter case) and any
``Accept`` header. The rules below are exactly what ``edge.rewrite.rewrite`` (with ``edge.query`` and
``edge.sizes``) lets through, read backwards from the key:

========================  ==============================================================================
key part                  reachable when
========================  ==============================================================================
size                      ``w`` enabled for a width, ``h`` for a height; the value allowed by the size
                          policy (``edge.sizes.check_spec``); ``dpr`` reaches no other size
fit (not ``cover``)       ``fit`` enabled
quality                   the format's default, or ``q`` enabled and the value one of ``qualities``
format                    ``format`` enabled (any format), else one that ``default_format`` negotiates to
                          for some ``Accept`` and some source extension (``edge.negotiate``)
crop: compass point       ``gravity`` or ``focus`` enabled (a focal point on a compass point is that point)
crop: entropy, attention  ``gravity`` enabled; ``face`` also needs ``faces_enabled``
crop: focal point         ``focus`` enabled
background                ``background`` enabled and the colour one of ``backgrounds``
gray / blur / sharpen     ``grayscale`` / ``blur`` (a radius of ``BLUR_RADII``) / ``sharpen`` enabled
orientation (r, flop)     produced by the enabled ``rotate``, ``flip`` and ``flop`` (a flip is r180 + flop)
stem                      ``{stem}.{ext}`` a valid original path for some such ``ext`` (``edge.paths``)
========================  ==============================================================================

The URL length never decides: an original's key is at most ``MAX_ORIGINAL_KEY_BYTES`` (960) bytes, so its URI is
at most 2,880 characters percent-encoded and the longest canonical query is a few hundred, far under the 8,192 of
``MAX_URL_LENGTH``. Presets add no key (a preset and its overrides may only use enabled parameters, so the URL that
spells them out is accepted too); ``presets_only`` is enforced by the marker instead (``edge.origin_flow``), because a
key alone cannot say whether a preset produced it.
"""

from __future__ import annotations

from edge.config import Config
from edge.errors import BadRequest
from edge.keys import VariantKey
from edge.negotiate import choose_format
from edge.options import COMPASS_FOCUS, ROTATIONS, Fit, Gravity
from edge.paths import encode_path, validate_original_path
from edge.rewrite import REFERENCE_ACCEPTS
from edge.sizes import check_spec


class UnreachableVariant(BadRequest):
    """A variant key no viewer URL accepted under the configuration rewrites to (400, cached ``error_max_age``)."""

    default_reason = "no URL maps to this variant key"


def check_reachable(variant: VariantKey, config: Config) -> None:
    """Raise ``UnreachableVariant`` (or ``check_spec``'s ``BadRequest``) unless a URL that viewer-request accepts
    under ``config`` rewrites to ``variant``'s key; return ``None`` otherwise. See the module table."""
    check_spec(variant.spec, config)
    spec = variant.spec
    enabled = frozenset(config.url.allowed_parameters)
    missing: list[str] = []

    def need(parameter: str) -> None:
        if parameter not in enabled:
            missing.append(parameter)

    if spec.width is not None:
        need("w")
    if spec.height is not None:
        need("h")
    if spec.width is not None and spec.height is not None and spec.fit is not Fit.COVER:
        need("fit")
    if spec.format.lossy and spec.quality != config.sizing.default_quality[spec.format.value]:
        need("q")
    if spec.crops:
        if spec.gravity is Gravity.FOCUS:
            need("focus")
        elif spec.gravity in COMPASS_FOCUS and spec.gravity is not Gravity.CENTRE:
            if not {"gravity", "focus"} & enabled:
                missing.append("gravity")
        elif spec.gravity is not Gravity.CENTRE:
            need("gravity")
    if spec.background is not None:
        need("background")
    if spec.grayscale:
        need("grayscale")
    if spec.blur:
        need("blur")
    if spec.sharpen:
        need("sharpen")
    if spec.still:
        need("anim")
    if missing:
        raise UnreachableVariant(f"parameter {missing[0]} is not enabled")
    if (spec.rotate, spec.flop) not in _orientations(enabled):
        raise UnreachableVariant("orientation not reachable with the enabled parameters")
    extensions = [ext for ext in config.sources.source_extensions if _is_original_path(variant.stem, ext, config)]
    if not extensions:
        raise UnreachableVariant("no original path maps to this variant key")
    if "format" not in enabled and not any(
        choose_format(config.sizing.default_format, accept, ext) is spec.format
        for accept in REFERENCE_ACCEPTS  # one Accept header per outcome of format=auto: AVIF, WebP, neither
        for ext in extensions
    ):
        raise UnreachableVariant(f"format {spec.format.value} is not reachable (parameter format is not enabled)")


def _orientations(enabled: frozenset[str]) -> set[tuple[int, bool]]:
    """The (rotate, flop) pairs the enabled ``rotate``, ``flip`` and ``flop`` produce (see ``edge.rewrite``)."""
    switch = (False, True)
    return {
        ((rotate + 180 * flip) % 360, flop != flip)
        for rotate in (ROTATIONS if "rotate" in enabled else (0,))
        for flip in (switch if "flip" in enabled else (False,))
        for flop in (switch if "flop" in enabled else (False,))
    }


def _is_original_path(stem: str, extension: str, config: Config) -> bool:
    try:
        validate_original_path(encode_path(f"{stem}.{extension}"), config.sources.source_extensions)
    except BadRequest:
        return False
    return True
