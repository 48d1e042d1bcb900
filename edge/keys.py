"""The variant key codec: one canonical key per rendering (pure).

Grammar (the rewritten URI, CloudFront's cache key and, without its leading slash, the variant's S3 key)::

    key   = "/" spec "/" stem "." ext
    spec  = size *( "-" token )             ; tokens in this order, each only where it differs from the default
    size  = W | "x" H | W "x" H             ; W, H: positive decimal integers without leading zeros
    token = fit                             ; only with W and H, and only when not "cover"
          | "q" Q                           ; only for lossy formats, and only when Q is not the format's default
          | crop                            ; only with W and H and fit cover, and only when not centre
          | "bg" RRGGBB                     ; background, lowercase hex; never "bgffffff" with ext "jpg"
          | "gray"                          ; grayscale
          | "blur" R                        ; R one of edge.options.BLUR_RADII
          | "sharpen"
          | "r" ("90" | "180" | "270")      ; clockwise rotation
          | "flop"                          ; mirror left-right (a vertical flip is "r180-flop" of the rest)
    crop  = "north" | "south" | "east" | "west" | "northeast" | "northwest" | "southeast" | "southwest"
          | "entropy" | "attention" | "face"  ; "face" only when the configuration enables faces_enabled
          | "fp" X "x" Y                    ; focal point in percent, multiples of 5 from 0 to 100, no leading
                                            ; zeros, and not a compass point (0|50|100 on both axes)
    ext   = "avif" | "webp" | "jpg" | "png"
    stem  = the original's key without its extension, percent-encoded as ``edge.paths.encode_path`` does

Examples: ``/300/image.avif``, ``/300x200/image.avif``, ``/300x300-contain-q60/image.avif``,
``/300x200-northwest-gray/image.avif``, ``/600x400-q60-fp30x70-bg000000-blur5-r90-flop/image.jpg``.
Invariant: ``encode_key(decode_key(k, c), c) == k`` for every ``k`` that ``decode_key`` accepts, and
``decode_key`` accepts nothing that ``encode_key`` would not produce.
"""

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlencode

from edge.config import Config
from edge.errors import BadRequest
from edge.options import BLUR_RADII, COMPASS_FOCUS, ROTATIONS, Fit, Gravity, OutputFormat, RenderSpec
from edge.paths import decode_path, encode_path

_SIZE_PATTERN = r"(?:(?P<w>[1-9][0-9]{0,5})(?:x(?P<h>[1-9][0-9]{0,5}))?|x(?P<h_only>[1-9][0-9]{0,5}))"
_TOKEN_FIT = {fit.value: fit for fit in Fit if fit is not Fit.COVER}
_TOKEN_GRAVITY = {g.value: g for g in Gravity if g not in (Gravity.CENTRE, Gravity.FOCUS)}
_PERCENT = r"(?:0|5|[1-9][05]|100)"
_FOCUS_PATTERN = rf"fp(?P<x>{_PERCENT})x(?P<y>{_PERCENT})"
_BACKGROUND_PATTERN = r"bg[0-9a-f]{6}"
_QUALITY_PATTERN = r"q[1-9][0-9]{0,2}"
_TOKEN_BLUR = {f"blur{radius}": radius for radius in BLUR_RADII}
_TOKEN_ROTATE = {f"r{angle}": angle for angle in ROTATIONS if angle}
_TOKEN_FLAGS = {"gray": "grayscale", "sharpen": "sharpen", "flop": "flop"}
_COMPASS_POINTS = frozenset(COMPASS_FOCUS.values())
#: JPEG has no alpha: its default background is white, which is therefore never spelled in a JPEG key.
JPEG_DEFAULT_BACKGROUND = "ffffff"
_EXTENSIONS = {fmt.extension: fmt for fmt in OutputFormat}


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The size, focus, background and quality patterns of ``decode_key``, compiled on first use: only
    origin-response decodes keys, so the viewer's cold start compiles none of them."""
    size, focus, background, quality = (
        re.compile(pattern) for pattern in (_SIZE_PATTERN, _FOCUS_PATTERN, _BACKGROUND_PATTERN, _QUALITY_PATTERN)
    )
    return size, focus, background, quality


class InvalidVariantKey(BadRequest):
    """A URI that is not a canonical variant key."""

    default_reason = "not a variant key"


@dataclass(frozen=True, slots=True)
class VariantKey:
    """A decoded variant key: what to render, and the original's key without its extension."""

    spec: RenderSpec
    stem: str


def default_quality(fmt: OutputFormat, config: Config) -> int | None:
    """The quality a format gets when the URL gives none; ``None`` for lossless PNG."""
    return config.default_quality[fmt._value_] if fmt.lossy else None  # _value_: .value without its descriptor


def spec_token(spec: RenderSpec, config: Config) -> str:
    """The ``spec`` path segment of a key (see the module grammar)."""
    # Every request runs this: fields are read once into locals, and ``_value_`` is read instead of ``.value``.
    width, height, gravity = spec.width, spec.height, spec.gravity
    both = width is not None and height is not None
    if both:
        size = f"{width}x{height}"
    elif width is not None:
        size = str(width)
    elif height is not None:
        size = f"x{height}"
    else:
        raise ValueError("a RenderSpec needs a width or a height")
    tokens = [size]
    crops = both and spec.fit is Fit.COVER  # RenderSpec.crops
    if both and not crops:
        tokens.append(spec.fit._value_)
    if spec.quality is not None and spec.quality != default_quality(spec.format, config):
        tokens.append(f"q{spec.quality}")
    if crops and gravity is Gravity.FOCUS and spec.focus is not None:
        tokens.append(f"fp{spec.focus[0]}x{spec.focus[1]}")
    elif crops and gravity not in (Gravity.CENTRE, Gravity.FOCUS):
        tokens.append(gravity._value_)
    if spec.background is not None and not (
        spec.format is OutputFormat.JPEG and spec.background == JPEG_DEFAULT_BACKGROUND
    ):
        tokens.append(f"bg{spec.background}")
    if spec.grayscale:
        tokens.append("gray")
    if spec.blur:
        tokens.append(f"blur{spec.blur}")
    if spec.sharpen:
        tokens.append("sharpen")
    if spec.rotate:
        tokens.append(f"r{spec.rotate}")
    if spec.flop:
        tokens.append("flop")
    return "-".join(tokens)


def encode_key(variant: VariantKey, config: Config) -> str:
    """The canonical key of a variant (see the module grammar)."""
    return f"/{spec_token(variant.spec, config)}{encode_path(variant.stem)}.{variant.spec.format.extension}"


def variant_s3_key(variant: VariantKey, config: Config) -> str:
    """The S3 object key of a variant: its key URI decoded, without the leading slash."""
    return f"{spec_token(variant.spec, config)}/{variant.stem}.{variant.spec.format.extension}"


def decode_key(uri: str, config: Config) -> VariantKey:
    """Parse a canonical variant key.

    Raises ``InvalidVariantKey`` for anything outside the grammar or not in canonical form (default tokens
    spelled out, ``jpeg`` for ``jpg``, tokens out of order, a non-canonical percent-encoding...), so each
    rendering is reachable through exactly one key.
    """
    if not uri.startswith("/"):
        raise InvalidVariantKey()
    spec_text, sep, rest = uri[1:].partition("/")
    base, dot, extension = rest.rpartition(".")
    if not sep or not dot or "/" in extension or extension not in _EXTENSIONS:
        raise InvalidVariantKey()
    fmt = _EXTENSIONS[extension]
    size_text, *tokens = spec_text.split("-")
    size_pattern, focus_pattern, background_pattern, quality_pattern = _patterns()
    size = size_pattern.fullmatch(size_text)
    if size is None:
        raise InvalidVariantKey()
    width = int(size["w"]) if size["w"] else None
    height = int(size["h"] or size["h_only"]) if (size["h"] or size["h_only"]) else None
    fit = Fit.COVER if width is not None and height is not None else Fit.INSIDE
    quality = default_quality(fmt, config)
    extras: dict[str, object] = {}
    for token in tokens:
        focus = focus_pattern.fullmatch(token)
        if token in _TOKEN_FIT:
            fit = _TOKEN_FIT[token]
        elif quality_pattern.fullmatch(token) and int(token[1:]) <= 100 and fmt.lossy:
            quality = int(token[1:])
        elif token in _TOKEN_GRAVITY:
            extras["gravity"] = _TOKEN_GRAVITY[token]
        elif focus is not None and (int(focus["x"]), int(focus["y"])) not in _COMPASS_POINTS:
            extras.update(gravity=Gravity.FOCUS, focus=(int(focus["x"]), int(focus["y"])))
        elif background_pattern.fullmatch(token):
            extras["background"] = token[2:]
        elif token in _TOKEN_FLAGS:
            extras[_TOKEN_FLAGS[token]] = True
        elif token in _TOKEN_BLUR:
            extras["blur"] = _TOKEN_BLUR[token]
        elif token in _TOKEN_ROTATE:
            extras["rotate"] = _TOKEN_ROTATE[token]
        else:
            raise InvalidVariantKey()
    try:
        stem = decode_path("/" + base)
    except BadRequest:
        raise InvalidVariantKey() from None
    variant = VariantKey(RenderSpec(width, height, fit, fmt, quality, **extras), stem)  # type: ignore[arg-type]
    if encode_key(variant, config) != uri:
        raise InvalidVariantKey("variant key is not canonical")
    return variant


def viewer_query(spec: RenderSpec, config: Config) -> str:
    """A canonical viewer query string for ``spec``, with the format spelled out, so that it maps back to the
    same key whatever the viewer's ``Accept`` header says."""
    params: list[tuple[str, str]] = []
    if spec.width is not None:
        params.append(("w", str(spec.width)))
    if spec.height is not None:
        params.append(("h", str(spec.height)))
    if spec.width is not None and spec.height is not None and spec.fit is not Fit.COVER:
        params.append(("fit", spec.fit.value))
    if spec.quality is not None and spec.quality != default_quality(spec.format, config):
        params.append(("q", str(spec.quality)))
    if spec.crops and spec.gravity is Gravity.FOCUS and spec.focus is not None:
        params.append(("focus", f"{spec.focus[0] / 100:g},{spec.focus[1] / 100:g}"))
    elif spec.crops and spec.gravity not in (Gravity.CENTRE, Gravity.FOCUS):
        params.append(("gravity", spec.gravity.value))
    if spec.background is not None:
        params.append(("background", spec.background))
    for name, on in (("grayscale", spec.grayscale), ("sharpen", spec.sharpen)):
        if on:
            params.append((name, "1"))
    if spec.blur:
        params.append(("blur", str(spec.blur)))
    if spec.rotate:
        params.append(("rotate", str(spec.rotate)))
    if spec.flop:
        params.append(("flop", "1"))
    params.append(("format", spec.format.value))
    return urlencode(params)
