"""The watermark origin-response overlays on its variants (``Config.watermark``): a parsed, frozen value.

Apart from ``edge.options`` so that the viewer-request function, which never renders, does not create the class
at its cold start.
"""

from __future__ import annotations

from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from edge.options import Gravity


@dataclass(frozen=True, slots=True)
class Watermark:
    """A watermark to overlay: the image's bytes and ETag (from the bucket) and the configured placement.

    ``position`` is a compass gravity or ``centre``; ``margin`` px; ``opacity`` 1-100 percent; ``width_percent``
    of the output width; outputs narrower than ``min_width`` are left alone.
    """

    image: bytes
    etag: str
    position: Gravity
    margin: int
    opacity: int
    width_percent: int
    min_width: int
