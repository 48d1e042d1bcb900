"""The Pillow half of ``gravity=face``: the JPEG sent to the face locator, and the crop centred on the faces.

``detection_jpeg`` encodes the decoded, upright image (EXIF orientation applied, before ``rotate``/``flop``) at
most ``edge.faces.DETECTION_SIZE`` px on its long side as an RGB JPEG without metadata; the ratio box the
locator answers is therefore a box of the upright original. ``face_box`` centres the crop on that box (turned
with the spec's ``rotate``/``flop`` by ``edge.faces.oriented_box``) in the resized image, with the same
geometry as the other gravities: exactly the crop's size, kept inside the image, centred on the union even
when the union is larger than the crop.
"""

import io

from PIL import Image

from edge.faces import DETECTION_QUALITY, DETECTION_SIZE, MIN_DETECTION_SIDE, RatioBox
from edge.render.geometry import Box, Size


def detection_jpeg(image: Image.Image) -> bytes | None:
    """``image`` as an RGB JPEG at most ``DETECTION_SIZE`` px on its long side (never enlarged); ``None`` when
    it is smaller than ``MIN_DETECTION_SIDE`` on a side (Rekognition refuses such images)."""
    if min(image.size) < MIN_DETECTION_SIDE:
        return None
    scale = max(image.size) / DETECTION_SIZE
    if scale > 1:
        size = (max(1, round(image.width / scale)), max(1, round(image.height / scale)))
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=1.0)
    if image.mode in ("LA", "RGBA", "PA", "P"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode != "RGB":
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=DETECTION_QUALITY)
    return out.getvalue()


def face_box(resized: Size, cropped: Size, box: RatioBox) -> Box:
    """The ``cropped``-sized box of a ``resized`` image centred on the ratio ``box``, kept inside the image."""
    centre_x = (box[0] + box[2]) / 2 * resized[0]
    centre_y = (box[1] + box[3]) / 2 * resized[1]
    left = min(max(0, round(centre_x - cropped[0] / 2)), resized[0] - cropped[0])
    top = min(max(0, round(centre_y - cropped[1] / 2)), resized[1] - cropped[1])
    return left, top, left + cropped[0], top + cropped[1]
