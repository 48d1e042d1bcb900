"""Where ``fit=cover`` crops: the compass gravities and focal points (``geometry.focus_crop``) and the two smart
strategies of libvips' ``smartcrop``, in pure Pillow.

- ``entropy``: while the window is larger than the crop, cut a slice (an eighth of the excess, at least 1 px)
  off the side, left or right then top or bottom, whose slice has the lower grey-histogram entropy; the libvips
  algorithm, run on a copy at most ``ANALYSIS_SIZE`` px on its long side for speed.
- ``attention``: libvips' saliency: in CIELAB, Sobel edges of L, plus a mask of skin tones (a in 3-22, b in
  4-31, L >= 15) and of saturated colours (chroma > 60), summed, shrunk to 32 x 32, blurred with a Gaussian
  of sigma ``hypot(crop_w / hshrink, crop_h / vshrink) / 6``; the crop is centred on the maximum.
- ``face``: centred on the union of the faces Rekognition found (``edge.render.faces``), else ``attention``.

Both look at the resized image before the crop, as libvips does, and return a box of exactly the crop's size.
"""

import functools
import math
from typing import Final

from PIL import Image, ImageChops, ImageCms, ImageFilter, ImageMath

from edge.faces import RatioBox
from edge.options import COMPASS_FOCUS, Gravity, RenderSpec
from edge.render.faces import face_box
from edge.render.geometry import Box, Size, focus_crop

#: The smart strategies analyse a copy at most this large on its long side: on the corpus photos 256 px agreed
#: with libvips a little less (entropy mean IoU 0.79 vs 0.82) and 1024 px no better than 512 for entropy.
ANALYSIS_SIZE: Final = 512
#: libvips' skin-tone box in CIELAB a, b (trained on humanae) and its lightness floor.
SKIN_A: Final = (3, 22)
SKIN_B: Final = (4, 31)
SKIN_MIN_L: Final = 15
#: libvips' chroma threshold for "saturated".
MIN_CHROMA: Final = 60
_SOBEL_X: Final = (-1, 0, 1, -2, 0, 2, -1, 0, 1)
_SOBEL_Y: Final = (-1, -2, -1, 0, 0, 0, 1, 2, 1)


def crop_box(image: Image.Image, cropped: Size, spec: RenderSpec | None, faces: RatioBox | None = None) -> Box | None:
    """The box to crop out of the resized ``image`` for ``spec``'s crop position; ``None`` for the centre (the
    plan's own box). ``gravity=face`` centres on ``faces`` (ratios of ``image``) and falls back to ``attention``
    when it is ``None`` (no face found, detection failed or not available)."""
    if spec is None or spec.gravity is Gravity.CENTRE or cropped == image.size:
        return None
    if spec.gravity is Gravity.FOCUS and spec.focus is not None:
        return focus_crop(image.size, cropped, spec.focus)
    if spec.gravity in COMPASS_FOCUS:
        return focus_crop(image.size, cropped, COMPASS_FOCUS[spec.gravity])
    if spec.gravity is Gravity.ENTROPY:
        return entropy_box(image, cropped)
    if spec.gravity is Gravity.FACE and faces is not None:
        return face_box(image.size, cropped, faces)
    if spec.gravity in (Gravity.ATTENTION, Gravity.FACE):
        return attention_box(image, cropped)
    return None


def _analysis_copy(image: Image.Image) -> tuple[Image.Image, float]:
    """A copy at most ``ANALYSIS_SIZE`` px on its long side, and the factor from its pixels to the image's."""
    scale = max(image.size) / ANALYSIS_SIZE
    if scale <= 1:
        return image, 1.0
    size = (max(1, round(image.width / scale)), max(1, round(image.height / scale)))
    return image.resize(size, Image.Resampling.BOX), scale


def _scale_box(box: tuple[float, float], cropped: Size, full: Size) -> Box:
    left = min(max(0, round(box[0])), full[0] - cropped[0])
    top = min(max(0, round(box[1])), full[1] - cropped[1])
    return left, top, left + cropped[0], top + cropped[1]


def entropy_box(image: Image.Image, cropped: Size) -> Box:
    """libvips' entropy smart crop (see the module docstring)."""
    small, scale = _analysis_copy(image)
    grey = small.convert("L")
    target_w = max(1, min(grey.width, round(cropped[0] / scale)))
    target_h = max(1, min(grey.height, round(cropped[1] / scale)))
    left, top, width, height = 0, 0, grey.width, grey.height
    while width > target_w or height > target_h:
        slice_w = math.ceil((width - target_w) / 8) if width > target_w else 0
        slice_h = math.ceil((height - target_h) / 8) if height > target_h else 0
        if slice_w:
            left_score = grey.crop((left, top, left + slice_w, top + height)).entropy()
            right_score = grey.crop((left + width - slice_w, top, left + width, top + height)).entropy()
            width -= slice_w
            if left_score < right_score:
                left += slice_w
        if slice_h:
            top_score = grey.crop((left, top, left + width, top + slice_h)).entropy()
            bottom_score = grey.crop((left, top + height - slice_h, left + width, top + height)).entropy()
            height -= slice_h
            if top_score < bottom_score:
                top += slice_h
    return _scale_box((left * scale, top * scale), cropped, image.size)


@functools.cache
def _lab_transform() -> ImageCms.ImageCmsTransform:
    srgb = ImageCms.createProfile("sRGB")
    lab = ImageCms.createProfile("LAB")
    return ImageCms.buildTransform(srgb, lab, "RGB", "LAB")


def _positive(channel: Image.Image, kernel: tuple[int, ...]) -> Image.Image:
    """The positive part of a 3x3 convolution of an ``L`` image, divided by 8 so that it never clips."""
    return channel.filter(ImageFilter.Kernel((3, 3), kernel, scale=8, offset=0))


def saliency(image: Image.Image) -> Image.Image:
    """libvips' attention map of ``image`` (any mode), as an ``F`` image of the same size: the Sobel edge
    magnitude ``|gx| + |gy|`` of L (L on libvips' 0-100 scale), plus 255 where the colour is a skin tone, plus
    255 where it is saturated (libvips' booleans are 0/255)."""
    lab = ImageCms.applyTransform(image.convert("RGB"), _lab_transform())
    assert lab is not None
    lightness, a_band, b_band = lab.split()
    # Pillow's LAB has L scaled to 0-255 and a, b stored offset by 128.
    parts = [_positive(lightness, k) for k in (_SOBEL_X, _negated(_SOBEL_X), _SOBEL_Y, _negated(_SOBEL_Y))]
    light = lightness.point(lambda v: 255 if v * 100 / 255 >= SKIN_MIN_L else 0)
    skin_a = a_band.point(lambda v: 255 if SKIN_A[0] <= v - 128 <= SKIN_A[1] else 0)
    skin_b = b_band.point(lambda v: 255 if SKIN_B[0] <= v - 128 <= SKIN_B[1] else 0)
    skin = ImageChops.darker(ImageChops.darker(skin_a, skin_b), light)
    a_sq = a_band.point(lambda v: min(255, (v - 128) ** 2 // 64))
    b_sq = b_band.point(lambda v: min(255, (v - 128) ** 2 // 64))
    # chroma^2 = a^2 + b^2 > 60^2, with both squares stored divided by 64 (3600 / 64 = 56.25).
    saturated = ImageChops.add(a_sq, b_sq).point(lambda v: 255 if v > MIN_CHROMA**2 / 64 else 0)
    edge_scale = 8 * 100 / 255
    result = ImageMath.lambda_eval(
        lambda args: (args["p"] + args["q"] + args["r"] + args["s"]) * edge_scale + args["skin"] + args["sat"],
        p=parts[0].convert("F"),
        q=parts[1].convert("F"),
        r=parts[2].convert("F"),
        s=parts[3].convert("F"),
        skin=skin.convert("F"),
        sat=saturated.convert("F"),
    )
    assert isinstance(result, Image.Image)
    return result


def _negated(kernel: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-k for k in kernel)


def attention_box(image: Image.Image, cropped: Size) -> Box:
    """libvips' attention smart crop (see the module docstring)."""
    small, _ = _analysis_copy(image)
    hshrink = image.width / 32
    vshrink = image.height / 32
    grid = saliency(small).resize((32, 32), Image.Resampling.BOX)
    sigma = math.hypot(cropped[0] / hshrink, cropped[1] / vshrink) / 6
    blurred = _gaussian(grid, sigma)
    values = blurred.tobytes()
    best = max(range(len(values)), key=values.__getitem__)
    x_pos, y_pos = best % 32, best // 32
    return _scale_box((hshrink * x_pos - cropped[0] / 2, vshrink * y_pos - cropped[1] / 2), cropped, image.size)


def _gaussian(image: Image.Image, sigma: float) -> Image.Image:
    """A Gaussian blur of an ``F`` image (Pillow's GaussianBlur takes only 8-bit modes): normalised to 0-255,
    blurred, and returned as ``L`` (only the position of the maximum matters)."""
    low, high = image.getextrema()
    assert isinstance(low, float | int)
    assert isinstance(high, float | int)
    span = (high - low) or 1
    normalised = image.point(lambda v: (v - low) * 255 / span).convert("L")
    return normalised.filter(ImageFilter.GaussianBlur(sigma)) if sigma > 0 else normalised
