"""The variant key codec: one canonical key per rendering (pure).

Grammar (the rewritten URI, CloudFront's cache key and, without its leading slash, the variant's S3 key)::

    key   = "/" spec "/" stem "." ext                   ; Config.variant_prefix empty (the default layout)
          | "/" prefix "/" stem "/" spec "." ext        ; Config.variant_prefix set: prefix is that folder name
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
          | "still"                         ; an animation's first frame only (anim=0); only with ext avif, webp
    crop  = "north" | "south" | "east" | "west" | "northeast" | "northwest" | "southeast" | "southwest"
          | "entropy" | "attention" | "face"  ; "face" only when the configuration enables faces_enabled
          | "fp" X "x" Y                    ; focal point in percent, multiples of 5 from 0 to 100, no leading
                                            ; zeros, and not a compass point (0|50|100 on both axes)
    ext   = "avif" | "webp" | "jpg" | "png"
    stem  = the original's key without its extension, percent-encoded as ``edge.paths.encode_path`` does

Examples: ``/300/image.avif``, ``/300x200/image.avif``, ``/300x300-contain-q60/image.avif``,
``/300x200-northwest-gray/image.avif``, ``/600x400-q60-fp30x70-bg000000-blur5-r90-flop/image.jpg``; with
``variant_prefix="_v"``: ``/_v/image/300.avif``, ``/_v/photos/cat/300x300-contain-q60.avif``.
Invariant: ``encode_key(decode_key(k, c), c) == k`` for every ``k`` that ``decode_key`` accepts, and
``decode_key`` accepts nothing that ``encode_key`` would not produce.

The two layouts (``variant_prefix``):

- Default: a variant sits under a top-level folder named by its spec, so an original whose first folder is
  spec-shaped (``2024/``, ``300/``, ``12345/``: ``is_spec_shaped``) shares the variants' namespace:
  ``2024/beach.jpg`` *is* the key of the 2024-px JPEG variant of ``beach``. Such an original is refused as a
  source and as a variant (viewer-request 400, origin-response 409) and purge never deletes it (it lacks the
  variant metadata), and ``namespace_warning`` tells the operator to set ``variant_prefix``. An original's
  variants are spread over every spec folder: finding them takes one listing per spec folder.
- ``variant_prefix``: every variant lives under the one reserved folder, which no original may use
  (``decode_key`` refuses a stem under it), so no original key is ever a variant key; and all the variants of
  ``photos/cat`` are the direct children of ``{prefix}/photos/cat/``: one listing (``Delimiter='/'``, which
  leaves out the variants of ``photos/cat/...`` originals) finds them all. A spec token has no ``.`` and no
  ``/``, so the last segment splits into spec and extension at its only dot.
"""

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote, urlencode

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
_TOKEN_FLAGS = {"gray": "grayscale", "sharpen": "sharpen", "flop": "flop", "still": "still"}
_COMPASS_POINTS = frozenset(COMPASS_FOCUS.values())
#: JPEG has no alpha: its default background is white, which is therefore never spelled in a JPEG key.
JPEG_DEFAULT_BACKGROUND = "ffffff"
_EXTENSIONS = {fmt.extension: fmt for fmt in OutputFormat}
_SPEC_FIRST = frozenset("123456789x")
#: The S3 user-metadata name (``x-amz-meta-imgedge-source``) origin-response writes on every variant it stores
#: (``edge.store.S3Store.put_variant``): the original's key, percent-encoded as a URI path (without its ``/``).
#: Only variants carry it; it is what proves an object is a variant (purge, origin-response).
SOURCE_METADATA = "imgedge-source"


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
    return config.sizing.default_quality[fmt._value_] if fmt.lossy else None  # _value_: .value without its descriptor


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
    if spec.still and spec.format.animates:
        tokens.append("still")
    return "-".join(tokens)


def encode_key(variant: VariantKey, config: Config) -> str:
    """The canonical key of a variant (see the module grammar)."""
    if config.storage.variant_prefix:
        spec = spec_token(variant.spec, config)
        return f"/{config.storage.variant_prefix}{encode_path(variant.stem)}/{spec}.{variant.spec.format.extension}"
    return f"/{spec_token(variant.spec, config)}{encode_path(variant.stem)}.{variant.spec.format.extension}"


def variant_s3_key(variant: VariantKey, config: Config) -> str:
    """The S3 object key of a variant: its key URI decoded, without the leading slash."""
    if config.storage.variant_prefix:
        spec = spec_token(variant.spec, config)
        return f"{config.storage.variant_prefix}/{variant.stem}/{spec}.{variant.spec.format.extension}"
    return f"{spec_token(variant.spec, config)}/{variant.stem}.{variant.spec.format.extension}"


def variants_folder(stem: str, config: Config) -> str | None:
    """With ``variant_prefix``: the S3 key prefix whose direct children are exactly the variant keys of ``stem``
    (``_v/photos/cat/``); ``None`` in the default layout, where they are spread over the spec folders."""
    return f"{config.storage.variant_prefix}/{stem}/" if config.storage.variant_prefix else None


def in_variant_prefix(key: str, config: Config) -> bool:
    """Whether an S3 key (no leading slash) lies under ``variant_prefix``: where, with one set, variants and only
    variants live. Always ``False`` in the default layout."""
    return bool(config.storage.variant_prefix) and key.startswith(config.storage.variant_prefix + "/")


def source_stem(source_metadata: str) -> str:
    """The stem (key without extension) of the original a variant's ``SOURCE_METADATA`` value names."""
    key = unquote(source_metadata)
    folder, slash, name = key.rpartition("/")
    base, dot, _ = name.rpartition(".")
    return f"{folder}{slash}{base if dot else name}"


def is_spec_shaped(folder: str, config: Config) -> bool:
    """Whether a folder name is a canonical spec token for some output format (``300``, ``x200``, ``2024``,
    ``12345``, ``300x200-gray``): in the default layout, the name of a folder variants are stored under."""
    if not folder or folder[0] not in _SPEC_FIRST:  # every spec starts with a size: a digit or "x"
        return False
    for fmt in _EXTENSIONS.values():
        try:
            spec = _decode_spec(folder, fmt, config)
        except InvalidVariantKey:
            continue
        if spec_token(spec, config) == folder:
            return True
    return False


def namespace_warning(key: str, config: Config) -> str | None:
    """The one-line warning for an original at ``key`` (an S3 key) under a spec-shaped top-level folder while
    ``variant_prefix`` is unset (``None`` otherwise): used by ``imgedge upload``, ``ls`` and ``serve``."""
    if config.storage.variant_prefix:
        return None
    first, slash, _ = key.partition("/")
    if not slash or not is_spec_shaped(first, config):
        return None
    return (
        f"warning: {key!r} is under {first + '/'!r}, a folder named like a variant spec, where variants are stored:"
        " set variant_prefix (docs/url-api.md, Variant keys) or such originals cannot be served or resized"
    )


def is_variant_path(uri: str, config: Config) -> bool:
    """Whether a viewer URI (percent-encoded, leading ``/``) names a variant, never an original: any path under
    ``variant_prefix`` when one is set, else a canonical variant key. Cheap for ordinary paths: only a first
    segment starting with a digit or ``x`` is decoded."""
    if config.storage.variant_prefix:
        return uri.startswith(f"/{config.storage.variant_prefix}/")
    if uri[1:2] not in _SPEC_FIRST:
        return False
    try:
        decode_key(uri, config)
    except InvalidVariantKey:
        return False
    return True


def decode_key(uri: str, config: Config) -> VariantKey:
    """Parse a canonical variant key.

    Raises ``InvalidVariantKey`` for anything outside the grammar or not in canonical form (default tokens
    spelled out, ``jpeg`` for ``jpg``, tokens out of order, a non-canonical percent-encoding...), so each
    rendering is reachable through exactly one key.
    """
    if not uri.startswith("/"):
        raise InvalidVariantKey()
    prefix = config.storage.variant_prefix
    if prefix:
        if not uri.startswith(f"/{prefix}/"):
            raise InvalidVariantKey()
        base, sep, last = uri[len(prefix) + 2 :].rpartition("/")
        spec_text, dot, extension = last.rpartition(".")
    else:
        spec_text, sep, rest = uri[1:].partition("/")
        base, dot, extension = rest.rpartition(".")
    if not sep or not dot or "/" in extension or extension not in _EXTENSIONS:
        raise InvalidVariantKey()
    fmt = _EXTENSIONS[extension]
    spec = _decode_spec(spec_text, fmt, config)
    try:
        stem = decode_path("/" + base)
    except BadRequest:
        raise InvalidVariantKey() from None
    if in_variant_prefix(stem, config):
        raise InvalidVariantKey("variant key names a variant as its original")
    variant = VariantKey(spec, stem)
    if encode_key(variant, config) != uri:
        raise InvalidVariantKey("variant key is not canonical")
    return variant


def _decode_spec(spec_text: str, fmt: OutputFormat, config: Config) -> RenderSpec:
    """The ``RenderSpec`` a spec token stands for with output ``fmt`` (not checked for canonical form: callers
    compare ``spec_token`` of the result). Raises ``InvalidVariantKey``."""
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
    return RenderSpec(width, height, fit, fmt, quality, **extras)  # type: ignore[arg-type]


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
    if spec.still:
        params.append(("anim", "0"))
    params.append(("format", spec.format.value))
    return urlencode(params)
