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
    of the output width; ``min_width`` the thumbnail bound of ``covers`` (``Config.watermark_min_width``).
    """

    image: bytes
    etag: str
    position: Gravity
    margin: int
    opacity: int
    width_percent: int
    min_width: int

    def covers(self, whole_source: tuple[int, int]) -> bool:
        """Whether an output gets the watermark, from ``whole_source``: the size the *whole* upright source has at
        the output's scale (``edge.render.geometry.Plan.resize``: per axis for ``fill``, before any crop and
        without ``contain``'s padding).

        An output is left alone only when it shows the source at thumbnail resolution: ``whole_source`` is
        narrower *and* shorter than ``min_width``. Then every pixel it shows (all of the source, or a crop of it)
        is also in a whole-source thumbnail under ``min_width`` px, so no number of such outputs reveals any
        region of the original at a higher resolution. Every other output is watermarked, whatever its own size:
        a 96 px wide full-resolution strip of a 1600 px source is a crop of the source at 1600 px, so it is.
        """
        return whole_source[0] >= self.min_width or whole_source[1] >= self.min_width
