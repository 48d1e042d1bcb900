"""The viewer-request -> origin-response marker: a header naming the original a variant is rendered from.

``/300/image.avif`` alone does not say whether the original is ``image.png`` or ``image.jpg``; viewer-request
sets this header to the original's canonical (percent-encoded) path followed by the viewer's own query string
(``/photos/cat.png?w=300&s=...``), the CDK app's origin request policy allow-lists it so it reaches S3 and the
origin-response event, and origin-response checks it agrees with the variant key. The query lets origin-response
send a viewer whose variant is too large to inline back to exactly the URL it asked for (signature, preset and
all), which its own cache behavior routes to the right origin. viewer-request always removes a marker sent by
the viewer itself.
"""

from urllib.parse import quote

from edge.config import Config
from edge.errors import BadRequest
from edge.keys import VariantKey
from edge.paths import OriginalPath, validate_original_path

MARKER_HEADER = "x-imgedge-original"
# Characters a query keeps as they are in the marker; everything else (spaces, controls, non-ASCII) is
# percent-encoded, which parses to the same parameters and can never break the header line.
_QUERY_SAFE = "&=%+;,/:@!$'()*-._~"
# Everything quote() keeps with that ``safe``: a query made only of these is its own encoding.
_QUERY_KEPT = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + _QUERY_SAFE


def marker_value(original_uri: str, querystring: str) -> str:
    """The marker for a rewrite: the original's canonical URI, then ``?`` and the viewer's query when it has one."""
    if not querystring:
        return original_uri
    if querystring.rstrip(_QUERY_KEPT):  # something to encode (quote's own fast path, without its call)
        querystring = quote(querystring, safe=_QUERY_SAFE)
    return f"{original_uri}?{querystring}"


def verify(marker: str, variant: VariantKey, config: Config) -> OriginalPath:
    """The original a marker names, checked against the variant key it travelled with.

    Raises ``BadRequest`` when the marker is not a valid original path or names another folder or stem than
    the key (``/300/a/b.avif`` accepts ``/a/b.png`` or ``/a/b.JPG``, never ``/a/c.png``).
    """
    original = validate_original_path(marker.partition("?")[0], config.sources.source_extensions)
    if original.stem != variant.stem:
        raise BadRequest("marker does not match the variant key")
    return original
