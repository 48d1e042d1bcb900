"""The whole viewer-request decision: from URI, query and ``Accept`` to a variant key (pure)."""

from dataclasses import dataclass

from edge.config import Config
from edge.errors import BadRequest
from edge.keys import VariantKey, encode_key
from edge.negotiate import choose_format
from edge.options import Fit, RenderSpec
from edge.paths import MAX_URL_LENGTH, validate_original_path
from edge.query import parse_query
from edge.sizes import apply_size_policy, snap_quality


@dataclass(frozen=True, slots=True)
class Rewrite:
    """Where a request goes: ``uri`` is the canonical variant key, ``original`` the original's canonical URI."""

    uri: str
    original: str
    variant: VariantKey


def rewrite(uri: str, querystring: str, accept: str, config: Config) -> Rewrite | None:
    """Decide what a viewer request maps to.

    Returns ``None`` when the query has none of the imgedge parameters (serve the path untouched), else the
    ``Rewrite``. Raises ``BadRequest`` for an over-long URL, an invalid path or parameter, or a size the policy
    refuses. Width and height snap independently; ``fit`` only matters (and is only kept) with both.
    """
    if len(uri) + 1 + len(querystring) >= MAX_URL_LENGTH:
        raise BadRequest("URL too long")
    requested = parse_query(querystring)
    if requested is None:
        return None
    original = validate_original_path(uri, config.source_extensions)
    width = None if requested.width is None else apply_size_policy("w", requested.width, config)
    height = None if requested.height is None else apply_size_policy("h", requested.height, config)
    both = width is not None and height is not None
    fit = (requested.fit or Fit.COVER) if both else Fit.INSIDE
    fmt = choose_format(requested.format or config.default_format, accept, original.extension)
    if not fmt.lossy:
        quality = None
    elif requested.quality is None:
        quality = config.default_quality[fmt.value]
    else:
        quality = snap_quality(requested.quality, config)
    variant = VariantKey(RenderSpec(width, height, fit, fmt, quality), original.stem)
    return Rewrite(uri=encode_key(variant, config), original=original.uri, variant=variant)
