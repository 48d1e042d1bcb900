"""The filter steps: orientation (EXIF orientation, rotate, flop) and grayscale, blur, sharpen, all after the resize.

Each is a ``steps.Step`` (``step(image, context) -> image``) that returns its input unchanged when the spec does
not ask for it. Blur and sharpen work on the output-sized image, so ``blur5`` is 5 output pixels whatever the
original's size. With alpha, the colour is filtered with premultiplied alpha (Pillow's filters do not know
alpha), so transparent pixels do not bleed their hidden colour into the edges.
"""

from typing import TYPE_CHECKING, Final

from PIL import Image, ImageFilter

from edge.render.decode import upright

if TYPE_CHECKING:
    from edge.render.context import Context

#: Clockwise rotations as Pillow transposes (Pillow's ROTATE_90 turns counter-clockwise).
_ROTATIONS: Final = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}
#: Unsharp mask of ``sharpen``: radius 1 px, 80 %, threshold 2 levels (a light output sharpening).
SHARPEN: Final = ImageFilter.UnsharpMask(radius=1, percent=80, threshold=2)


def orient(image: Image.Image, context: "Context") -> Image.Image:
    """Apply the source's EXIF ``context.orientation`` (1 when the decoder applied it already), then rotate
    clockwise by ``spec.rotate``, then mirror left-right when ``spec.flop``.

    It runs after the resize (which sized the image in its stored orientation, ``Context.stored_size``), so
    each transpose copies an output-sized image, never the full decode.
    """
    image = upright(image, context.orientation)
    spec = context.spec
    if spec is None:
        return image
    if spec.rotate:
        image = image.transpose(_ROTATIONS[spec.rotate])
    if spec.flop:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return image


def grayscale(image: Image.Image, context: "Context") -> Image.Image:
    """To L (LA with alpha) by ITU-R 601-2 luma, so R = G = B in every output format."""
    if context.spec is None or not context.spec.grayscale or image.mode in ("L", "LA"):
        return image
    return image.convert("LA" if image.mode == "RGBA" else "L")


def _filtered(image: Image.Image, kernel: ImageFilter.Filter) -> Image.Image:
    if image.mode not in ("LA", "RGBA"):
        return image.filter(kernel)
    premultiplied = image.convert("La" if image.mode == "LA" else "RGBa")
    colour_mode = premultiplied.mode[:-1]
    bands = premultiplied.split()
    colour = Image.merge(colour_mode, bands[:-1]).filter(kernel)
    alpha = bands[-1].filter(kernel) if isinstance(kernel, ImageFilter.GaussianBlur) else bands[-1]
    return Image.merge(premultiplied.mode, (*colour.split(), alpha)).convert(image.mode)


def blur(image: Image.Image, context: "Context") -> Image.Image:
    """Gaussian blur of radius ``spec.blur`` output pixels."""
    if context.spec is None or not context.spec.blur:
        return image
    return _filtered(image, ImageFilter.GaussianBlur(context.spec.blur))


def sharpen(image: Image.Image, context: "Context") -> Image.Image:
    """``SHARPEN`` (an unsharp mask) on the colour bands."""
    if context.spec is None or not context.spec.sharpen:
        return image
    return _filtered(image, SHARPEN)
