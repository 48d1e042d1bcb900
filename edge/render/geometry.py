"""Output geometry for each fit: pure integer arithmetic from a source size and a ``RenderSpec``, no Pillow.

Sizes are ``(width, height)`` in pixels of the *upright* image, i.e. after EXIF orientation (``oriented_size``
maps between stored and displayed sizes; orientations 5-8 swap the axes). ``sw x sh`` is the source, ``w`` and
``h`` the requested box. Three rules hold for every fit: the image is never enlarged (``scale <= 1``), every
side is at least 1 px, and a fractional size rounds half up (exactly, with fractions, never with floats).

Output dimensions per fit (``round`` = round half up, minimum 1):

| fit              | scale ``s``                 | output size (width x height)                          |
|------------------|-----------------------------|-------------------------------------------------------|
| only ``w`` given | ``min(w/sw, 1)``            | ``min(w, sw)`` x ``round(sh*s)``                      |
| only ``h`` given | ``min(h/sh, 1)``            | ``round(sw*s)`` x ``min(h, sh)``                      |
| ``inside``       | ``min(w/sw, h/sh, 1)``      | ``round(sw*s)`` x ``round(sh*s)``; both <= the box    |
| ``outside``      | ``min(max(w/sw, h/sh), 1)`` | ``round(sw*s)`` x ``round(sh*s)``; both >= the box    |
| ``cover``        | ``min(max(w/sw, h/sh), 1)`` | ``min(w, round(sw*s))`` x ``min(h, round(sh*s))``     |
| ``contain``      | ``min(w/sw, h/sh, 1)``      | ``w`` x ``h`` (the ``inside`` image, padded), capped  |
| ``fill``         | per axis, each <= 1         | ``min(w, sw)`` x ``min(h, sh)``                       |

``outside`` is only ">= the box" when the source is large enough: it is never enlarged. ``cover`` resizes as
``outside`` and then crops the centre, so it is exactly ``w x h`` whenever the source covers the box.
``contain`` centres the ``inside`` image on a canvas of ``w x h``, transparent for PNG, WebP and AVIF and white for
JPEG (the padding is the only way an output can exceed the source); when that canvas would hold more than
``CONTAIN_MAX_PADDING`` (4) times the image's pixels and more than ``CONTAIN_FREE_PIXELS`` (1 MP), it is scaled
down to that area, aspect ratio kept, never below the image (``contain_canvas``). ``fill`` ignores the aspect
ratio.

When only one of ``w`` and ``h`` is given, every fit behaves as ``inside`` (the ``RenderSpec`` invariant says the
fit is then ``inside`` anyway). Centring puts the odd pixel on the right/bottom (offsets round down).
"""

from dataclasses import dataclass
from fractions import Fraction
from math import isqrt

from edge.options import Fit, RenderSpec

Size = tuple[int, int]
Box = tuple[int, int, int, int]

#: ``contain`` pads to the requested box only while the box holds at most this many times the image's pixels...
CONTAIN_MAX_PADDING = 4
#: ... or at most this many pixels (1024 x 1024), whichever is larger (``contain_canvas``).
CONTAIN_FREE_PIXELS = 1024 * 1024
#: EXIF orientations that transpose the image (swap width and height) when applied.
TRANSPOSING_ORIENTATIONS = frozenset({5, 6, 7, 8})


@dataclass(frozen=True, slots=True)
class Plan:
    """How to turn an upright source into the output, in three moves.

    1. Resize the whole upright source to ``resize``.
    2. Crop ``crop`` (left, top, right, bottom; within ``resize``) out of the result.
    3. Place the crop at ``offset`` on a canvas of ``canvas`` (the output size); for every fit but ``contain``
       the canvas is exactly the crop and the offset is ``(0, 0)``.
    """

    resize: Size
    crop: Box
    canvas: Size
    offset: Size

    @property
    def size(self) -> Size:
        """The output size: the canvas."""
        return self.canvas

    @property
    def padded(self) -> bool:
        """True when the image does not fill the canvas (``contain`` with a different aspect ratio)."""
        return self.canvas != (self.crop[2] - self.crop[0], self.crop[3] - self.crop[1])


def oriented_size(size: Size, orientation: int) -> Size:
    """The size after applying EXIF ``orientation`` (1-8): swapped for 5-8, unchanged otherwise.

    The mapping is its own inverse, so it also turns a displayed size back into the stored one. Values outside
    1-8 (such as 0, seen in the wild) mean "no orientation" and leave the size unchanged.
    """
    return (size[1], size[0]) if orientation in TRANSPOSING_ORIENTATIONS else size


def _round_half_up(value: Fraction) -> int:
    """``floor(value + 1/2)``, at least 1."""
    return max(1, (2 * value.numerator + value.denominator) // (2 * value.denominator))


def _scaled(src_w: int, src_h: int, scale: Fraction) -> Size:
    return _round_half_up(src_w * scale), _round_half_up(src_h * scale)


def _centred(outer: Size, inner: Size) -> Size:
    return (outer[0] - inner[0]) // 2, (outer[1] - inner[1]) // 2


def _plain(size: Size) -> Plan:
    return Plan(resize=size, crop=(0, 0, *size), canvas=size, offset=(0, 0))


def plan_for(src_w: int, src_h: int, spec: RenderSpec) -> Plan:
    """The ``Plan`` that renders an upright ``src_w x src_h`` source as ``spec`` asks (see the module table).

    Raises ``ValueError`` when a size is not positive or the spec gives neither width nor height (a broken
    ``RenderSpec`` invariant, i.e. a programming error, not bad input).
    """
    if src_w < 1 or src_h < 1:
        raise ValueError(f"source size must be positive, got {src_w}x{src_h}")
    w, h = spec.width, spec.height
    if (w is not None and w < 1) or (h is not None and h < 1):
        raise ValueError(f"requested size must be positive, got {w}x{h}")
    one = Fraction(1)
    if h is None:
        if w is None:
            raise ValueError("a RenderSpec needs a width or a height")
        return _plain(_scaled(src_w, src_h, min(Fraction(w, src_w), one)))
    if w is None:
        return _plain(_scaled(src_w, src_h, min(Fraction(h, src_h), one)))

    sx, sy = Fraction(w, src_w), Fraction(h, src_h)
    if spec.fit is Fit.FILL:
        return _plain((min(w, src_w), min(h, src_h)))
    if spec.fit in (Fit.INSIDE, Fit.CONTAIN):
        resized = _scaled(src_w, src_h, min(sx, sy, one))
        if spec.fit is Fit.INSIDE:
            return _plain(resized)
        canvas = contain_canvas((w, h), resized)
        return Plan(resize=resized, crop=(0, 0, *resized), canvas=canvas, offset=_centred(canvas, resized))
    resized = _scaled(src_w, src_h, min(max(sx, sy), one))
    if spec.fit is Fit.OUTSIDE:
        return _plain(resized)
    cropped = (min(w, resized[0]), min(h, resized[1]))
    left, top = _centred(resized, cropped)
    return Plan(resize=resized, crop=(left, top, left + cropped[0], top + cropped[1]), canvas=cropped, offset=(0, 0))


def contain_canvas(box: Size, image: Size) -> Size:
    """The canvas ``contain`` pads ``image`` (the ``inside`` size) onto for a requested ``box``.

    It is ``box`` while its area is at most ``CONTAIN_MAX_PADDING`` times the image's area or
    ``CONTAIN_FREE_PIXELS``, whichever is larger; beyond that, the box scaled down (aspect ratio kept, each side
    rounded down) to that area, but never smaller than the image on either side. The padding is the only way
    an output can cost more than its source, so this bounds the cost by the source: a 2x2 original asked for
    ``contain`` at 3840x3840 gets a 1024x1024 canvas, not 14.7 MP of padding.
    """
    limit = max(CONTAIN_MAX_PADDING * image[0] * image[1], CONTAIN_FREE_PIXELS)
    w, h = box
    if w * h <= limit:
        return box
    # The largest (cw, ch) with cw / ch ~ w / h and cw * ch <= limit: cw = floor(sqrt(limit * w / h)).
    cw = max(1, min(w, isqrt(limit * w // h)))
    ch = max(1, min(h, limit // cw))
    return max(cw, image[0]), max(ch, image[1])


def focus_crop(resized: Size, cropped: Size, focus: tuple[int, int]) -> Box:
    """The ``cropped``-sized box of a ``resized`` image whose centre is as close as possible to ``focus``.

    ``focus`` is ``(x, y)`` in percent of the resized image. The left edge is ``floor(x% * rw - cw / 2)``
    clamped to ``0 .. rw - cw`` (the top edge likewise), exactly, with fractions. So 0 keeps the left (top)
    edge, 100 the right (bottom) one and 50 is the centred crop of ``plan_for``: the nine compass gravities are
    the focal points with coordinates 0, 50 and 100.
    """
    origin = []
    for full, part, percent in zip(resized, cropped, focus, strict=True):
        start = Fraction(percent * full, 100) - Fraction(part, 2)
        origin.append(min(max(0, start.__floor__()), full - part))
    left, top = origin
    return left, top, left + cropped[0], top + cropped[1]
