"""The viewer-request -> origin-response marker: a header naming the original a variant is rendered from.

``/300/image.avif`` alone does not say whether the original is ``image.png`` or ``image.jpg``; viewer-request
sets this header to the original's canonical (percent-encoded) path, the CDK app's origin request policy
allow-lists it so it reaches S3 and the origin-response event, and origin-response checks it agrees with the
variant key. viewer-request always removes a marker sent by the viewer itself.
"""

from edge.config import Config
from edge.errors import BadRequest
from edge.keys import VariantKey
from edge.paths import OriginalPath, validate_original_path

MARKER_HEADER = "x-imgedge-original"


def verify(marker: str, variant: VariantKey, config: Config) -> OriginalPath:
    """The original a marker names, checked against the variant key it travelled with.

    Raises ``BadRequest`` when the marker is not a valid original path or names another folder or stem than
    the key (``/300/a/b.avif`` accepts ``/a/b.png`` or ``/a/b.JPG``, never ``/a/c.png``).
    """
    original = validate_original_path(marker, config.source_extensions)
    if original.stem != variant.stem:
        raise BadRequest("marker does not match the variant key")
    return original
