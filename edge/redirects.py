"""Where origin-response sends a viewer whose variant is too large to return inline (Lambda@Edge's 1 MB
generated-response limit): a URL that reaches the stored variant, never one that leads back to the same miss.
"""

from __future__ import annotations

from typing import Any

from edge import responses
from edge.config import Config
from edge.errors import BadRequest
from edge.keys import VariantKey, viewer_query
from edge.origins import origin_for
from edge.rewrite import rewrite


class VariantTooLarge(BadRequest):
    """A variant key requested directly whose variant is too large to return inline and whose stored copy no URL
    viewer-request accepts can reach (a prefixed origin's key, its viewer URL refused)."""

    default_reason = "variant too large to return inline: request it through its original's URL"


def redirect_without_marker(uri: str, variant: VariantKey, original_uri: str, config: Config) -> dict[str, Any]:
    """The redirect for an oversize variant whose request carries no usable marker (see the caller)."""
    query = viewer_query(variant.spec, config)
    if _viewer_accepts(original_uri, query, config):
        return responses.redirect(f"{original_uri}?{query}")
    # The viewer URL would need a signature origin-response does not have, or viewer-request would refuse it (no
    # preset under presets_only, a parameter allowed_parameters disables); the variant key itself is the same
    # cache entry and, the variant being stored, is served by S3 -- when CloudFront fetches the key from the
    # bucket it was stored in. A key's path matches no /<prefix>* behavior, so the key of a prefixed origin's
    # variant comes back to this same miss: the original's URL (its behavior) without the refused format goes to
    # the right bucket instead (edge.origins).
    if origin_for(config.sources.origins, uri) == origin_for(config.sources.origins, variant.stem):
        return responses.redirect(uri)
    return responses.redirect(f"{original_uri}?{accepted_query(original_uri, query, config)}")


def _viewer_accepts(original_uri: str, query: str, config: Config) -> bool:
    """Whether viewer-request rewrites ``original_uri?query`` without refusing it or asking for a signature."""
    try:
        target = rewrite(original_uri, query, "", config)
    except BadRequest:
        return False
    return target is not None and target.signed_keys is None


def accepted_query(original_uri: str, query: str, config: Config) -> str:
    """``query``, or ``query`` without ``format``, whichever viewer-request accepts for ``original_uri`` (without
    ``format`` the browser's negotiation picks the format, a variant it can display). Raises ``VariantTooLarge``
    when neither is accepted (no URL reaches this variant's bucket)."""
    for candidate in (query, "&".join(part for part in query.split("&") if not part.startswith("format="))):
        try:
            if rewrite(original_uri, candidate, "", config) is not None:
                return candidate
        except BadRequest:
            continue
    raise VariantTooLarge()
