"""What every transform step receives besides the image (``Context``), and a step's type (``Step``).

Its own module so that ``edge.render.steps`` and the step modules it composes (``filters``, ``watermark``) import
it without importing each other.
"""

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from edge.faces import RatioBox
from edge.options import OutputFormat, RenderSpec
from edge.render.geometry import TRANSPOSING_ORIENTATIONS, Plan
from edge.watermarks import Watermark


@dataclass(frozen=True, slots=True)
class Context:
    """What the steps need besides the image: the geometry, the output format and the source's ICC profile;
    ``spec`` for the crop position, background and filters (``None``: none of them), ``watermark`` to overlay;
    ``faces`` the union box of the faces (ratios of the oriented image) for ``gravity=face``, ``None`` when none
    was found (the crop then falls back to ``attention``); ``orientation`` the EXIF orientation the image still
    needs (``decode(..., orient=False)``; 1 when it is upright)."""

    plan: Plan
    format: OutputFormat
    icc_profile: bytes | None
    spec: RenderSpec | None = None
    watermark: Watermark | None = None
    faces: RatioBox | None = None
    orientation: int = 1

    @property
    def stored_size(self) -> tuple[int, int]:
        """``plan.resize`` in the orientation the image has before ``filters.orient``: swapped when the EXIF
        ``orientation`` (5-8) and the spec's rotation (90, 270) together turn it by a quarter."""
        turns = (self.orientation in TRANSPOSING_ORIENTATIONS) != (
            self.spec is not None and self.spec.rotate in (90, 270)
        )
        width, height = self.plan.resize
        return (height, width) if turns else (width, height)

    @property
    def background(self) -> tuple[int, int, int] | None:
        """The spec's background as RGB, or ``None``."""
        if self.spec is None or self.spec.background is None:
            return None
        colour = self.spec.background
        return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


Step = Callable[[Image.Image, Context], Image.Image]
