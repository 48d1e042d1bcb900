"""Parsed, frozen values that describe one rendering: fit, output format and the ``RenderSpec``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final


class Fit(StrEnum):
    """How the image fits a ``w x h`` box; the semantics of sharp and CSS ``object-fit``.

    - ``cover``: fill the box exactly, cropping the overflow (centred).
    - ``contain``: fit inside the box, letterboxed to exactly ``w x h`` (transparent, or white for JPEG).
    - ``fill``: stretch to exactly ``w x h``, ignoring the aspect ratio.
    - ``inside``: as large as possible while both sides are <= the box; no padding.
    - ``outside``: as small as possible while both sides are >= the box; no cropping.
    """

    COVER = "cover"
    CONTAIN = "contain"
    FILL = "fill"
    INSIDE = "inside"
    OUTSIDE = "outside"


class OutputFormat(StrEnum):
    """A concrete output format; ``extension`` is what the variant key ends with."""

    AVIF = "avif"
    WEBP = "webp"
    JPEG = "jpeg"
    PNG = "png"

    @property
    def extension(self) -> str:
        return "jpg" if self is OutputFormat.JPEG else self._value_  # _value_: what .value returns, read directly

    @property
    def content_type(self) -> str:
        return f"image/{self.value}"

    @property
    def animates(self) -> bool:
        """WebP and AVIF can hold an animation (``edge.render.animation``); JPEG and PNG outputs are one frame."""
        return self is OutputFormat.WEBP or self is OutputFormat.AVIF

    @property
    def lossy(self) -> bool:
        """PNG is lossless: a quality does not apply to it and never appears in its key."""
        return self is not OutputFormat.PNG

    @classmethod
    def from_extension(cls, extension: str) -> OutputFormat:
        """``jpg``/``jpeg``/``avif``/``webp``/``png`` (case-insensitive) to a format; ``ValueError`` otherwise."""
        name = extension.lower()
        return cls.JPEG if name == "jpg" else cls(name)


class FormatChoice(StrEnum):
    """The ``format`` a URL (or the configuration's default) asks for; ``auto`` negotiates from ``Accept``."""

    AUTO = "auto"
    AVIF = "avif"
    WEBP = "webp"
    JPEG = "jpeg"
    PNG = "png"


class Gravity(StrEnum):
    """Which part of the resized image ``fit=cover`` keeps when it crops.

    The compass values keep that edge or corner (``north`` keeps the top centre, ``northwest`` the top-left
    corner); ``centre`` (the default) keeps the middle. ``entropy`` keeps the busiest part (libvips' entropy
    strategy: repeatedly trim the edge slice with less histogram entropy), ``attention`` the part a viewer looks
    at (libvips' strategy: Sobel edges, skin tones and saturated colours, blurred, and the crop centred on the
    maximum). ``face`` centres the crop on the faces Amazon Rekognition finds (``edge.faces``; only when the
    configuration enables it) and falls back to ``attention`` when there is none or the detection fails.
    ``focus`` means a focal point given as ``RenderSpec.focus``.
    """

    CENTRE = "centre"
    NORTH = "north"
    SOUTH = "south"
    EAST = "east"
    WEST = "west"
    NORTHEAST = "northeast"
    NORTHWEST = "northwest"
    SOUTHEAST = "southeast"
    SOUTHWEST = "southwest"
    ENTROPY = "entropy"
    ATTENTION = "attention"
    FOCUS = "focus"
    FACE = "face"

    @property
    def smart(self) -> bool:
        """True for the strategies that look at the pixels (entropy, attention, face)."""
        return self in (Gravity.ENTROPY, Gravity.ATTENTION, Gravity.FACE)


#: Focal-point coordinates are percentages of the width and height on this grid (0, 5, ..., 100): at most
#: 21 x 21 positions, so a focal point adds a bounded number of variants.
FOCUS_STEP: Final = 5
#: The focal point of each compass gravity, in percent; a ``focus`` on one of these is that gravity.
COMPASS_FOCUS: Final[dict[Gravity, tuple[int, int]]] = {
    Gravity.NORTHWEST: (0, 0),
    Gravity.NORTH: (50, 0),
    Gravity.NORTHEAST: (100, 0),
    Gravity.WEST: (0, 50),
    Gravity.CENTRE: (50, 50),
    Gravity.EAST: (100, 50),
    Gravity.SOUTHWEST: (0, 100),
    Gravity.SOUTH: (50, 100),
    Gravity.SOUTHEAST: (100, 100),
}
#: Allowed blur radii (px of the output); a requested radius snaps up to the next one, capped at the largest.
BLUR_RADII: Final[tuple[int, ...]] = (1, 2, 5, 10, 20)
#: Allowed clockwise rotations in degrees.
ROTATIONS: Final[tuple[int, ...]] = (0, 90, 180, 270)


@dataclass(frozen=True, slots=True)
class RenderSpec:
    """Everything that determines a variant's pixels and bytes.

    Invariants (enforced by ``edge.keys`` and ``edge.rewrite``, not here): at least one of ``width`` and
    ``height`` is set, both positive; ``fit`` is ``inside`` when only one dimension is set (every fit gives the
    same result then); ``quality`` is ``None`` exactly when ``format`` is PNG, otherwise 1-100.

    The fields after ``quality`` default to "no change", so a spec of the first five fields is exactly the
    rendering of the original grammar:

    - ``gravity`` and ``focus``: the crop position of ``fit=cover`` with both dimensions (``centre`` otherwise);
      ``focus`` is ``(x, y)`` in percent on the ``FOCUS_STEP`` grid, set exactly when ``gravity`` is ``focus``,
      and never one of ``COMPASS_FOCUS`` (those are the compass gravities).
    - ``background``: ``rrggbb`` (lowercase hex) or ``None``. When set, alpha is flattened onto it and
      ``contain`` pads with it; ``None`` keeps alpha and pads transparent (white for JPEG). For JPEG,
      ``ffffff`` is the default and is spelled ``None``.
    - ``grayscale``, ``blur`` (a radius of ``BLUR_RADII`` or 0), ``sharpen``.
    - ``rotate`` (clockwise, one of ``ROTATIONS``) then ``flop`` (mirror left-right): the eight orientations;
      a vertical ``flip`` is spelled ``rotate + 180`` with ``flop`` toggled, so each orientation has one form.
    - ``still``: an animated original's first frame only (``anim=0``); set only for formats that animate
      (``OutputFormat.animates``: the others are always the first frame, so it would only split their keys).
    """

    width: int | None
    height: int | None
    fit: Fit
    format: OutputFormat
    quality: int | None
    gravity: Gravity = Gravity.CENTRE
    focus: tuple[int, int] | None = None
    background: str | None = None
    grayscale: bool = False
    blur: int = 0
    sharpen: bool = False
    rotate: int = 0
    flop: bool = False
    still: bool = False

    @property
    def crops(self) -> bool:
        """True when the rendering may crop (``cover`` with both dimensions), so the crop position matters."""
        return self.fit is Fit.COVER and self.width is not None and self.height is not None
