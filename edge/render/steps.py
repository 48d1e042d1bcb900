"""The transform pipeline: small named steps from a decoded, upright image to the image to encode.

Every step has the signature ``step(image, context) -> image``, never mutates its input and returns the
input itself when it has nothing to do. ``STEPS`` runs them in this order:

1. ``normalise_mode``: any decoder mode to one of L, LA, RGB, RGBA or CMYK (16-bit scaled down to 8 bits,
   palettes and transparency keys expanded, 1-bit to L).
2. ``resize``: to ``plan.resize`` turned back to the source's stored orientation (``Context.stored_size``), with
   Lanczos; ``Image.resize`` premultiplies LA/RGBA, so soft alpha edges keep their colour instead of darkening.
3. ``filters.orient``: the EXIF orientation, ``rotate`` clockwise, then ``flop`` (the plan is computed on the
   oriented size). Turning the resized image instead of the full decode saves a full-size copy per transpose;
   Lanczos is separable and symmetric, so the pixels equal turning first up to rounding: at most
   ``ORIENT_TOLERANCE`` levels apart (``tests/edge/render/test_steps.py``).
4. ``crop``: to ``plan.crop`` (``cover``), moved to the spec's gravity or focal point (``edge.render.crop``).
4. ``to_srgb``: an embedded ICC profile that is not sRGB (Display P3, Adobe RGB, CMYK, grey...) is converted to
   sRGB with LittleCMS (perceptual intent); CMYK always ends as RGB. It runs after the resize because the
   transform costs per pixel (0.56 s on the 15 MP corpus PNG, 80 ms on a 4 MP photo) and both spaces are
   gamma-encoded, so resizing in either is equally (in)exact. A profile LittleCMS cannot use falls back to a
   plain conversion: a bad profile never fails a request.
5. ``filters.grayscale``, ``filters.blur``, ``filters.sharpen``: on the image, not on the padding.
6. ``pad``: places the image on a ``plan.canvas`` (``contain``) of the spec's background, else transparent.
7. ``flatten``: composites alpha over the spec's background (any format), else over white for JPEG, which has
   no alpha; other formats keep it.
8. ``overlay.apply_watermark``: the configured overlay, on every output above thumbnail resolution.
9. ``strip_metadata``: drops ``info`` (EXIF, XMP, IPTC, ICC, comments, transparency keys), so the encoder
   writes none of it: the output is sRGB and carries no metadata.

The result is L, LA, RGB or RGBA (L or RGB for JPEG); ``edge.render.encode`` adapts it to what each encoder
accepts. Steps raise whatever Pillow raises; ``edge.render.render`` translates that into ``InvalidImage``.
"""

import functools
import io
from typing import Final

from PIL import Image, ImageCms

from edge.options import OutputFormat
from edge.render import crop as crop_position
from edge.render import filters
from edge.render.context import Context, Step
from edge.render.overlay import apply_watermark

#: Resampling filter of the final resize.
RESAMPLE: Final = Image.Resampling.LANCZOS
#: ``Image.resize`` first box-reduces by an integer factor while the image stays at least this many times the
#: target, then resamples with ``RESAMPLE``. On the 5120x2880 corpus PNG, to 300 px: 136 ms without it, 24 ms at
#: 3.0, 19 ms at 2.0; to 1280 px: 154, 146 and 62 ms. The mean difference from the exact resize was 0.15 levels
#: (of 255) at most, so 2.0, the same gap JPEG drafting keeps.
REDUCING_GAP: Final = 2.0
#: Largest difference (levels of 255) between resizing then turning and turning then resizing, measured over the
#: eight orientations on noise and edges, every mode and both reducing paths (``test_steps``).
ORIENT_TOLERANCE: Final = 1
#: Rendering intent of ICC conversions; matrix/TRC profiles treat it as relative colorimetric.
INTENT: Final = ImageCms.Intent.PERCEPTUAL
#: A profile whose transform moves no probe colour by more than this (0-255 levels) counts as sRGB.
SRGB_TOLERANCE: Final = 2

_ALPHA_MODES: Final = frozenset({"LA", "RGBA"})
_GREY_MODES: Final = frozenset({"L", "LA"})
_SIXTEEN_BIT_MODES: Final = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
_PROBE_LEVELS: Final = (0, 48, 96, 160, 208, 255)


def has_alpha(image: Image.Image) -> bool:
    """True for the modes with an alpha band that the pipeline produces (LA, RGBA)."""
    return image.mode in _ALPHA_MODES


def normalise_mode(image: Image.Image, context: Context) -> Image.Image:
    """Bring any decoder mode to L, LA, RGB, RGBA or CMYK.

    - 16-bit grey (I;16, I;16B, I;16L, and I, which Pillow also uses for 16-bit data) is scaled by 1/257 to
      L, rounding half up, so 65535 maps to 255 and nothing clips (``convert("L")`` would clip at 255);
    - P and PA become RGBA when they carry transparency, RGB otherwise; 1 becomes L; F is clipped to L;
    - L and RGB with a transparency key (PNG ``tRNS``) become LA and RGBA;
    - La (premultiplied grey) becomes LA; any other mode (YCbCr, LAB, HSV, RGBX, RGBa...) becomes RGBA if it has
      an alpha band (LAB's A is a colour axis), RGB otherwise.
    """
    mode = image.mode
    if mode in _SIXTEEN_BIT_MODES:
        return image.convert("I").point(lambda value: value / 257 + 0.5).convert("L")
    if mode in ("L", "RGB"):
        if "transparency" in image.info:
            return image.convert("LA" if mode == "L" else "RGBA")
        return image
    if mode in ("LA", "RGBA", "CMYK"):
        return image
    if mode in ("P", "PA"):
        return image.convert("RGBA" if mode == "PA" or "transparency" in image.info else "RGB")
    if mode in ("1", "F"):
        return image.convert("L")
    if mode == "La":  # premultiplied grey: Pillow converts it to LA only
        return image.convert("LA")
    # LAB's "A" band is a colour axis, not alpha: has_transparency_data knows the alpha modes (RGBa, ...).
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def resize(image: Image.Image, context: Context) -> Image.Image:
    """Resize to ``context.stored_size`` with ``RESAMPLE`` and ``REDUCING_GAP`` (alpha premultiplied)."""
    size = context.stored_size
    if image.size == size:
        return image
    return image.resize(size, RESAMPLE, reducing_gap=REDUCING_GAP)


def crop(image: Image.Image, context: Context) -> Image.Image:
    """Cut ``context.plan.crop`` out of the resized image, moved to the spec's crop position."""
    box = context.plan.crop
    size = (box[2] - box[0], box[3] - box[1])
    box = crop_position.crop_box(image, size, context.spec, context.faces) or box
    if box == (0, 0, *image.size):
        return image
    return image.crop(box)


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _rgb_probe() -> Image.Image:
    levels = _PROBE_LEVELS
    grid = bytes(v for r in levels for g in levels for b in levels for v in (r, g, b))
    return Image.frombytes("RGB", (len(levels) ** 3, 1), grid)


@functools.lru_cache(maxsize=16)
def srgb_transform(icc_profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached LittleCMS transform from ``icc_profile`` (image ``mode`` L, RGB or CMYK) to sRGB RGB.

    ``None`` when the profile is sRGB already: an RGB profile whose transform moves no probe colour (a
    6x6x6 grid) by more than ``SRGB_TOLERANCE``; grey and CMYK profiles always convert. Raises
    ``ImageCms.PyCMSError`` or ``OSError`` for a profile LittleCMS cannot parse or that does not fit ``mode``.
    """
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
    transform = ImageCms.buildTransform(source, _srgb_profile(), mode, "RGB", renderingIntent=INTENT)
    if mode == "RGB":
        probe = _rgb_probe()
        converted = transform.apply(probe)
        moved = max(abs(a - b) for a, b in zip(probe.tobytes(), converted.tobytes(), strict=True))
        if moved <= SRGB_TOLERANCE:
            return None
    return transform


def _transform_for(icc_profile: bytes | None, mode: str) -> ImageCms.ImageCmsTransform | None:
    if icc_profile is None or mode not in ("L", "RGB", "CMYK"):
        return None
    try:
        return srgb_transform(icc_profile, mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None


def to_srgb(image: Image.Image, context: Context) -> Image.Image:
    """Convert from the embedded ICC profile to sRGB; CMYK always ends as RGB, grey stays grey.

    With alpha, only the colour bands go through the transform and the alpha band is put back unchanged.
    Without a profile, or when the profile is sRGB already, only CMYK changes (a plain conversion). A profile
    LittleCMS cannot use (corrupt, or for another colour space than the image) falls back to the same.
    """
    alpha = has_alpha(image)
    colour_mode = image.mode[:-1] if alpha else image.mode
    transform = _transform_for(context.icc_profile, colour_mode)
    if transform is None:
        return image.convert("RGB") if image.mode == "CMYK" else image
    converted = transform.apply(image.convert(colour_mode) if alpha else image)
    if not alpha:
        return converted.convert("L") if colour_mode == "L" else converted
    merged = converted.convert("LA" if colour_mode == "L" else "RGBA")
    merged.putalpha(image.getchannel("A"))
    return merged


def pad(image: Image.Image, context: Context) -> Image.Image:
    """Centre the image on a canvas of ``context.plan.canvas`` when it does not fill it.

    With a background, the canvas is that opaque colour (RGBA) and the image is pasted through its alpha.
    Otherwise the canvas is transparent, LA for grey images and RGBA otherwise; ``flatten`` later turns it white
    for JPEG.
    """
    plan = context.plan
    if image.size == plan.canvas:
        return image
    background = context.background
    if background is not None:
        canvas = Image.new("RGBA", plan.canvas, (*background, 255))
        rgba = image.convert("RGBA")
        canvas.alpha_composite(rgba, plan.offset)
        return canvas
    mode = "LA" if image.mode in _GREY_MODES else "RGBA"
    canvas = Image.new(mode, plan.canvas, (0, 0) if mode == "LA" else (0, 0, 0, 0))
    canvas.paste(image.convert(mode), plan.offset)
    return canvas


def flatten(image: Image.Image, context: Context) -> Image.Image:
    """Composite LA/RGBA over the spec's background (to RGB) in every format, else over white (to L/RGB) for
    JPEG; other formats without a background keep their alpha."""
    if not has_alpha(image):
        return image
    colour = context.background
    if colour is not None:
        flat = Image.new("RGB", image.size, colour)
        flat.paste(image.convert("RGB"), mask=image.getchannel("A"))
        return flat
    if context.format is not OutputFormat.JPEG:
        return image
    mode = image.mode[:-1]
    background = Image.new(mode, image.size, 255 if mode == "L" else (255, 255, 255))
    background.paste(image.convert(mode), mask=image.getchannel("A"))
    return background


def strip_metadata(image: Image.Image, context: Context) -> Image.Image:
    """A copy of the pixels without ``info``: no EXIF, XMP, IPTC, ICC profile, comment or transparency key.

    The savers in ``edge.render.encode`` read ICC profiles and comments from ``info`` when not told otherwise,
    so emptying it (and passing empty ``exif``/``xmp``) is what keeps metadata out of every output format.
    """
    stripped = image.copy()
    stripped.info = {}
    return stripped


#: The pipeline, in order.
STEPS: Final[tuple[Step, ...]] = (
    normalise_mode,
    resize,
    filters.orient,
    crop,
    to_srgb,
    filters.grayscale,
    filters.blur,
    filters.sharpen,
    pad,
    flatten,
    apply_watermark,
    strip_metadata,
)


def apply_steps(image: Image.Image, context: Context, steps: tuple[Step, ...] = STEPS) -> Image.Image:
    """Run ``steps`` in order and return the image to encode."""
    for step in steps:
        image = step(image, context)
    return image
