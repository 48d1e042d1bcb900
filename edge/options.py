"""Parsed, frozen values that describe one rendering: fit, output format and the ``RenderSpec``."""

from dataclasses import dataclass
from enum import StrEnum


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
        return "jpg" if self is OutputFormat.JPEG else self.value

    @property
    def content_type(self) -> str:
        return f"image/{self.value}"

    @property
    def lossy(self) -> bool:
        """PNG is lossless: a quality does not apply to it and never appears in its key."""
        return self is not OutputFormat.PNG

    @classmethod
    def from_extension(cls, extension: str) -> "OutputFormat":
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


@dataclass(frozen=True, slots=True)
class RenderSpec:
    """Everything that determines a variant's pixels and bytes.

    Invariants (enforced by ``edge.keys`` and ``edge.rewrite``, not here): at least one of ``width`` and
    ``height`` is set, both positive; ``fit`` is ``inside`` when only one dimension is set (every fit gives the
    same result then); ``quality`` is ``None`` exactly when ``format`` is PNG, otherwise 1-100.
    """

    width: int | None
    height: int | None
    fit: Fit
    format: OutputFormat
    quality: int | None
