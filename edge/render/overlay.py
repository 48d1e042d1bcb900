"""The watermark step: a logo from the bucket overlaid on every output that shows the source above thumbnail
resolution (``Watermark.covers``: the whole source at the output's scale reaches ``min_width`` on either side).

The overlay arrives as ``edge.watermarks.Watermark`` (its bytes, fetched once per container by origin-response,
and the configured placement). It is decoded once per distinct bytes (cached), scaled to ``width_percent`` of
the output's width (never enlarged), its alpha multiplied by ``opacity``, and composited at ``position`` with
``margin`` px from the edges it is placed against. It goes on after the background/flatten steps, so it is never
hidden by the padding and JPEG outputs stay without alpha.
"""

import functools
import io
from typing import TYPE_CHECKING

from PIL import Image

from edge.options import COMPASS_FOCUS
from edge.watermarks import Watermark

if TYPE_CHECKING:
    from edge.render.context import Context


@functools.lru_cache(maxsize=4)
def _logo(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        return opened.convert("RGBA")


def overlay_box(output: tuple[int, int], logo: tuple[int, int], mark: Watermark) -> tuple[int, int, int, int]:
    """Where the scaled logo goes on an ``output``-sized image: ``(left, top, width, height)`` (pure arithmetic).

    The logo is scaled to ``mark.width_percent`` of the output width (never enlarged, at least 1 px) and kept
    inside the margins where it fits.
    """
    width = max(1, min(logo[0], output[0] * mark.width_percent // 100))
    height = max(1, round(logo[1] * width / logo[0]))
    fx, fy = COMPASS_FOCUS[mark.position]
    left = mark.margin + (output[0] - width - 2 * mark.margin) * fx // 100
    top = mark.margin + (output[1] - height - 2 * mark.margin) * fy // 100
    return max(0, left), max(0, top), width, height


def apply_watermark(image: Image.Image, context: "Context") -> Image.Image:
    """Composite ``context.watermark`` onto ``image`` unless the output shows the source only at thumbnail
    resolution (``Watermark.covers`` of ``context.plan.resize``, the whole source at the output's scale).

    The logo is sized and placed on the part of the output that shows the source: with ``contain``, the image
    inside the padding, so that it never lands on the padding alone."""
    mark = context.watermark
    plan = context.plan
    if mark is None or not mark.covers(plan.resize):
        return image
    logo = _logo(mark.image)
    # Placed on the image itself, not on contain's padding (where it would cover none of the source).
    shown = (plan.crop[2] - plan.crop[0], plan.crop[3] - plan.crop[1]) if image.size == plan.canvas else image.size
    offset = plan.offset if image.size == plan.canvas else (0, 0)
    left, top, width, height = overlay_box(shown, logo.size, mark)
    left, top = left + offset[0], top + offset[1]
    scaled = logo.resize((width, height), Image.Resampling.LANCZOS) if (width, height) != logo.size else logo
    if mark.opacity < 100:
        alpha = scaled.getchannel("A").point(lambda v: v * mark.opacity // 100)
        scaled = scaled.copy()
        scaled.putalpha(alpha)
    alpha_mode = image.mode in ("LA", "RGBA")
    base = image.convert("RGBA")
    base.alpha_composite(scaled, (left, top))
    return base if alpha_mode else base.convert("RGB")
