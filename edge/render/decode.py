"""Open an original under byte and pixel limits and decode its first frame, upright.

``decode(data, limits, spec)`` is the only way bytes become pixels in imgedge. In order, it:

1. refuses more than ``limits.max_source_bytes`` bytes (``ImageTooLarge``) and an empty input
   (``UnsupportedImage``);
2. identifies the format with ``Image.open(..., formats=ACCEPTED_FORMATS)``: JPEG (and its MPO flavour), PNG,
   WebP, GIF, AVIF, TIFF and HEIF/HEIC (iPhone photos: through the ``pillow-heif`` plugin, registered on the
   first HEIF original, so no other request pays for its import). Anything else, such as SVG or an HTML page,
   is ``UnsupportedImage`` (415); data that starts with the signature of an accepted format but whose header
   does not parse (truncated or corrupt) is ``InvalidImage`` (422);
3. refuses a header whose ``width * height`` exceeds ``limits.max_source_pixels`` (``ImageTooLarge``) before
   any pixel is decoded, and (after step 4's drafting) one whose render would not fit the memory budget of
   ``limits.memory_mb`` (``edge.render.budget``). Pillow's own bomb check still runs inside ``Image.open`` and
   refuses more than ``2 * PIL.Image.MAX_IMAGE_PIXELS`` (about 179 MP) on its own: that is reported as
   ``ImageTooLarge`` too, so the effective pixel limit is the smaller of the two. Pillow's globals are never changed;
4. for JPEG, asks libjpeg to DCT-scale while decoding (``Image.draft``) to the smallest 1/2, 1/4 or 1/8 scale
   that is still at least ``DRAFT_GAP`` times the size the output needs (computed by ``geometry.plan_for``
   on the displayed size, mapped back through the EXIF orientation). Lossless JPEG (SOF3) cannot be scaled
   and is decoded at full size;
5. decodes the first frame only (animated GIF, WebP and AVIF are never scanned for their frame count) with
   ``ImageFile.LOAD_TRUNCATED_IMAGES`` left off, so a truncated file is ``InvalidImage``;
6. applies the EXIF orientation (``upright``); a missing, malformed or out-of-range orientation counts as 1.

Every exception Pillow or its codecs raise is translated into an ``EdgeError`` by ``pillow_errors``;
``quiet_warnings`` keeps decoder warnings (bomb warnings, corrupt EXIF notes) from escaping.
"""

import io
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageFile, UnidentifiedImageError

from edge.config import Config
from edge.errors import EdgeError, ImageTooLarge, InvalidImage, UnsupportedImage
from edge.options import RenderSpec
from edge.render import budget
from edge.render.geometry import Size, oriented_size, plan_for

#: The formats ``Image.open`` may identify; Pillow's other plugins (BMP, ICO, PSD, EPS...) are never tried.
ACCEPTED_FORMATS: Final = ("JPEG", "PNG", "WEBP", "GIF", "AVIF", "TIFF", "HEIF")
# What Image.open may try for data that does not start like HEIF (the HEIF plugin is registered only for HEIF).
_NOT_HEIF_FORMATS: Final = tuple(fmt for fmt in ACCEPTED_FORMATS if fmt != "HEIF")
#: JPEG files are decoded at no less than this multiple of the size the output needs, so the final
#: high-quality resize still has pixels to filter. libjpeg's DCT-scaled decode aliases fine detail: on the 8 corpus
#: photos at 320, 640 and 1280 px (lossless outputs against a linear-light Lanczos of the full image), a gap of 2
#: (``Image.thumbnail``'s default) left the 2725 px photo-saw at DSSIM 8.95e-3 at 640 px against sharp's 6.41e-3;
#: 3 gives 2.54e-3 there and a lower DSSIM on 23 of the 24 photo x width cells, for 2-13 % more CPU per render at
#: 320-640 px (docs/performance.md, "Resize quality").
DRAFT_GAP: Final = 3.0

_JPEG_FORMATS: Final = frozenset({"JPEG", "MPO"})
# Leading bytes of the accepted formats (AVIF: an ISO-BMFF ``ftyp`` box whose major brand is avif or avis).
_SIGNATURES: Final = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_AVIF_BRANDS: Final = (b"avif", b"avis")
# HEIF: an ISO-BMFF ``ftyp`` box whose major brand is one of HEIF's (HEVC-coded images and sequences, and the
# generic image brands iPhones and libheif write).
_HEIF_BRANDS: Final = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
#: The 422 reason of an AVIF original libavif's parser refuses (see ``open_image``).
AVIF_PARSE_REASON = (
    "AVIF original cannot be parsed: corrupt, or written by an encoder libavif's strict parser rejects"
    " (such as alpha without 'ispe'); re-encode it"
)
_EXIF_ORIENTATION: Final = 0x0112
_TRANSPOSE: Final[dict[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Start-of-frame markers (0xC0-0xCF except DHT 0xC4, JPG 0xC8 and DAC 0xCC) and the lossless ones among them.
_SOF_MARKERS: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_LOSSLESS_SOF_MARKERS: Final = frozenset({0xC3, 0xC7, 0xCB, 0xCF})
_STANDALONE_MARKERS: Final = frozenset({0x01, *range(0xD0, 0xD8)})


@dataclass(frozen=True, slots=True)
class Limits:
    """What an original may weigh before imgedge refuses it (``ImageTooLarge``, 422).

    ``max_source_bytes`` bounds the encoded size, ``max_source_pixels`` the ``width * height`` its header
    declares (checked before decoding), ``memory_mb`` is the function's memory, from which ``edge.render.budget``
    derives what one render may use (also checked before decoding). ``max_frames`` and ``max_animation_pixels``
    (frames x width x height) bound the animations rendered as animations (``edge.render.animation``; over them,
    the first frame is rendered). All must be positive.
    """

    max_source_bytes: int
    max_source_pixels: int
    memory_mb: int = 1536
    max_frames: int = 300
    max_animation_pixels: int = 150_000_000

    def __post_init__(self) -> None:
        if min(self.max_source_bytes, self.max_source_pixels, self.memory_mb, self.max_frames,
               self.max_animation_pixels) < 1:  # fmt: skip
            raise ValueError("limits must be positive")

    @classmethod
    def from_config(cls, config: Config) -> "Limits":
        """The limits of ``config`` (``max_source_bytes``, ``max_source_pixels``, ``memory_mb``, ``max_frames``,
        ``max_animation_pixels``)."""
        return cls(
            max_source_bytes=config.limits.max_source_bytes,
            max_source_pixels=config.limits.max_source_pixels,
            memory_mb=config.limits.memory_mb,
            max_frames=config.limits.max_frames,
            max_animation_pixels=config.limits.max_animation_pixels,
        )


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded original.

    ``image`` is loaded, upright (EXIF orientation applied; unless decoded with ``orient=False``, then in its
    stored orientation) and holds the first frame only; its mode is whatever the decoder produced. For a JPEG
    it may be DCT-reduced, so ``size`` (the original's displayed size) is what geometry must be computed from,
    not ``image.size``. ``orientation`` is the EXIF orientation
    this module applied (1 for TIFF, whose Pillow decoder applies it itself). ``icc_profile`` is the embedded
    profile, if any, exactly as stored.
    """

    image: Image.Image
    source_format: str
    size: Size
    orientation: int
    icc_profile: bytes | None


@contextmanager
def quiet_warnings() -> Iterator[None]:
    """Silence the warnings decoders raise about their input while rendering one image.

    Pillow reports a bomb (``DecompressionBombWarning``, replaced here by our own pixel check), corrupt EXIF or
    malformed MPO data through ``UserWarning``/``RuntimeWarning``; each is about the input, and the outcome is
    either a rendered image or an ``EdgeError``. Deprecation warnings stay visible. Like
    ``warnings.catch_warnings`` it swaps process-wide filters, so it assumes one render at a time per process,
    which is how Lambda runs.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@contextmanager
def pillow_errors(stage: str) -> Iterator[None]:
    """Translate every exception raised in the block into an ``EdgeError``.

    ``EdgeError`` passes through; ``UnidentifiedImageError`` becomes ``UnsupportedImage``; anything else
    (``OSError``, ``ValueError``, ``SyntaxError``, ``struct.error``, ``MemoryError``, a late
    ``DecompressionBombError``...) becomes ``InvalidImage``. ``detail`` names the stage and the internal message.
    """
    try:
        yield
    except EdgeError:
        raise
    except UnidentifiedImageError as exc:
        raise UnsupportedImage(detail=f"{stage}: not a {', '.join(ACCEPTED_FORMATS)} image") from exc
    except Exception as exc:
        raise InvalidImage(detail=f"{stage}: {type(exc).__name__}: {exc}") from exc


def open_image(data: bytes, limits: Limits) -> ImageFile.ImageFile:
    """Identify ``data`` and parse its header, checking the byte and pixel limits; no pixel is decoded.

    Raises ``ImageTooLarge`` (too many bytes or pixels), ``UnsupportedImage`` (empty, or not one of
    ``ACCEPTED_FORMATS``) or ``InvalidImage`` (a recognised format with a broken header).
    """
    if len(data) > limits.max_source_bytes:
        raise ImageTooLarge(detail=f"{len(data)} bytes > max_source_bytes {limits.max_source_bytes}")
    if not data:
        raise UnsupportedImage(detail="empty original")
    heif = is_heif(data)
    if heif:
        _register_heif()
    with quiet_warnings(), pillow_errors("open"):
        try:
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS if heif else _NOT_HEIF_FORMATS)
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge(detail=f"open: {exc}") from exc
        except UnidentifiedImageError as exc:
            if is_avif(data):
                # Pillow's libavif decoder keeps AVIF_STRICT_ALPHA_ISPE_REQUIRED (it relaxes only 'clap' and
                # 'pixi') and offers no switch: files some older encoders wrote (alpha without 'ispe') are refused
                # by the parser, like a truncated file; the reason says both.
                raise InvalidImage(AVIF_PARSE_REASON, detail=f"open: {exc}") from exc
            if has_accepted_signature(data):
                raise InvalidImage(detail="open: the signature of an accepted format, but a broken header") from exc
            raise
        width, height = image.size
        if width < 1 or height < 1:
            raise InvalidImage(detail=f"open: header declares {width}x{height}")
        if width * height > limits.max_source_pixels:
            raise ImageTooLarge(
                detail=f"{width}x{height} = {width * height} px > max_source_pixels {limits.max_source_pixels}"
            )
        return image


def is_heif(data: bytes) -> bool:
    """True when ``data`` starts like a HEIF/HEIC file (an ``ftyp`` box with a HEIF major brand)."""
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


_heif_registered = False


def _register_heif() -> None:
    """Register pillow-heif's HEIF opener with Pillow, once per process (its import costs a cold start only
    when a HEIF original arrives)."""
    global _heif_registered  # noqa: PLW0603 (a once-per-process registration)
    if not _heif_registered:
        from pillow_heif import register_heif_opener  # noqa: PLC0415 (lazy: only HEIF originals load libheif)

        register_heif_opener()
        _heif_registered = True


def is_avif(data: bytes) -> bool:
    """True when ``data`` starts like an AVIF file (an ``ftyp`` box with an AVIF major brand)."""
    return data[4:8] == b"ftyp" and data[8:12] in _AVIF_BRANDS


def has_accepted_signature(data: bytes) -> bool:
    """True when ``data`` starts like a JPEG, PNG, GIF, TIFF, WebP or AVIF file, whether or not the rest parses."""
    if data.startswith(_SIGNATURES):
        return True
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return is_avif(data) or is_heif(data)


def read_orientation(image: Image.Image) -> int:
    """The EXIF orientation of ``image``, 1-8; 1 when absent, out of range or unreadable (never raises).

    For PNG, Pillow loads the pixels to find an ``eXIf`` chunk after the image data, so call it after the pixel
    check (``open_image`` does that check).
    """
    try:
        value = image.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright(image: Image.Image, orientation: int) -> Image.Image:
    """``image`` as displayed under EXIF ``orientation``: mirrored and/or rotated; itself for 1 or unknown."""
    method = _TRANSPOSE.get(orientation)
    return image if method is None else image.transpose(method)


def is_lossless_jpeg(data: bytes) -> bool:
    """True when the first start-of-frame marker of a JPEG stream is a lossless one (SOF3/7/11/15).

    Walks the marker segments from the start; stops at the first SOF, at the scan data or at anything that is
    not a marker. libjpeg cannot DCT-scale such files, so they are never drafted.
    """
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
        elif marker in _STANDALONE_MARKERS:
            pos += 2
        elif marker in _SOF_MARKERS:
            return marker in _LOSSLESS_SOF_MARKERS
        elif marker in (0xD9, 0xDA):
            return False
        else:
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return False


def draft_size(size: Size, spec: RenderSpec, orientation: int) -> Size | None:
    """The stored-orientation size to request from ``Image.draft`` for a JPEG of displayed ``size``.

    It is ``DRAFT_GAP`` times the resize ``spec`` needs; ``None`` when that is not at least half of ``size`` on
    both axes, i.e. when no DCT scale (1/2, 1/4, 1/8) could apply.
    """
    needed = plan_for(*size, spec).resize
    wanted = oriented_size((math.ceil(needed[0] * DRAFT_GAP), math.ceil(needed[1] * DRAFT_GAP)), orientation)
    stored = oriented_size(size, orientation)
    if stored[0] < 2 * wanted[0] or stored[1] < 2 * wanted[1]:
        return None
    return wanted


def output_pixels(size: Size, spec: RenderSpec | None) -> int:
    """The most pixels an output of ``spec`` can have for a source of ``size`` (either orientation: the EXIF
    orientation and ``rotate`` may swap it); the source's own pixels without a spec."""
    if spec is None:
        return size[0] * size[1]
    return max(math.prod(plan_for(*size, spec).canvas), math.prod(plan_for(size[1], size[0], spec).canvas))


def check_memory(image: ImageFile.ImageFile, data: bytes, limits: Limits, spec: RenderSpec | None) -> None:
    """Raise ``ImageTooLarge`` when rendering ``image`` (opened, not loaded; drafted if it will be) as ``spec``
    would not fit the memory budget of ``limits.memory_mb`` (``edge.render.budget``)."""
    source_format = image.format or "unknown"
    width, height = image.size
    need = budget.estimated_peak_bytes(source_format, image.mode, width * height, output_pixels(image.size, spec))
    have = budget.budget_bytes(limits.memory_mb, len(data))
    if need > have:
        raise ImageTooLarge(
            "original image needs more memory than the function has",
            detail=f"{source_format} {image.mode} {width}x{height}: ~{need // budget.MIB} MiB > budget "
            f"{have // budget.MIB} MiB of memory_mb {limits.memory_mb}",
        )


def detached(image: Image.Image) -> Image.Image:
    """The loaded pixels of ``image`` as a plain image that no longer references its decoder.

    Pillow's WebP and AVIF plugins keep the decoder (libwebp's canvas, libavif's YUV planes) and a ``bytes`` copy
    of the decoded pixels on the ``ImageFile`` until it is garbage; the returned image shares the pixel memory
    (no copy), mode, palette and ``info``, and nothing else, so those buffers are freed with the ``ImageFile``.
    """
    return image._new(image.im)


def decode(data: bytes, limits: Limits, spec: RenderSpec | None = None, *, orient: bool = True) -> Decoded:
    """Decode the first frame of ``data`` within ``limits``; upright unless ``orient`` is false.

    With ``spec``, a JPEG is DCT-scaled to no less than ``DRAFT_GAP`` times what ``spec`` needs; without it the
    full resolution is decoded. The memory budget (``check_memory``) is checked after drafting and before any
    pixel is decoded. With ``orient=False`` the image keeps its stored orientation and ``Decoded.orientation``
    says what remains to apply (``upright``), so a caller can apply it to a smaller image. Raises
    ``ImageTooLarge``, ``UnsupportedImage`` or ``InvalidImage`` (see the module docstring) and nothing else.
    """
    image = open_image(data, limits)
    with quiet_warnings(), pillow_errors("decode"):
        source_format = image.format or "unknown"
        jpeg = source_format in _JPEG_FORMATS
        orientation = read_orientation(image) if jpeg else 1
        size = oriented_size(image.size, orientation)
        if jpeg and spec is not None and not is_lossless_jpeg(data):
            request = draft_size(size, spec, orientation)
            if request is not None:
                image.draft(None, request)
        check_memory(image, data, limits, spec)
        image.load()
        if not jpeg:
            orientation = read_orientation(image)
            size = oriented_size(image.size, orientation)
        icc = image.info.get("icc_profile")
        pixels = detached(image)
        del image
        return Decoded(
            image=upright(pixels, orientation) if orient else pixels,
            source_format=source_format,
            size=size,
            orientation=orientation,
            icc_profile=icc if isinstance(icc, bytes) and icc else None,
        )
