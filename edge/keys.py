"""The variant key codec: one canonical key per rendering (pure).

Grammar (the rewritten URI, CloudFront's cache key and, without its leading slash, the variant's S3 key)::

    key   = "/" spec "/" stem "." ext
    spec  = size *( "-" token )             ; tokens in this order, each only where it differs from the default
    size  = W | "x" H | W "x" H             ; W, H: positive decimal integers without leading zeros
    token = fit                             ; only with W and H, and only when not "cover"
          | "q" Q                           ; only for lossy formats, and only when Q is not the format's default
    ext   = "avif" | "webp" | "jpg" | "png"
    stem  = the original's key without its extension, percent-encoded as ``edge.paths.encode_path`` does

Examples: ``/300/image.avif``, ``/300x200/image.avif``, ``/300x300-contain-q60/image.avif``.
Invariant: ``encode_key(decode_key(k, c), c) == k`` for every ``k`` that ``decode_key`` accepts, and
``decode_key`` accepts nothing that ``encode_key`` would not produce.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from edge.config import Config
from edge.errors import BadRequest
from edge.options import Fit, OutputFormat, RenderSpec
from edge.paths import decode_path, encode_path

_SIZE = re.compile(r"(?:(?P<w>[1-9][0-9]{0,5})(?:x(?P<h>[1-9][0-9]{0,5}))?|x(?P<h_only>[1-9][0-9]{0,5}))")
_TOKEN_FIT = {fit.value: fit for fit in Fit if fit is not Fit.COVER}
_EXTENSIONS = {fmt.extension: fmt for fmt in OutputFormat}


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
    return config.default_quality[fmt.value] if fmt.lossy else None


def spec_token(spec: RenderSpec, config: Config) -> str:
    """The ``spec`` path segment of a key (see the module grammar)."""
    if spec.width is not None and spec.height is not None:
        size = f"{spec.width}x{spec.height}"
    elif spec.width is not None:
        size = str(spec.width)
    elif spec.height is not None:
        size = f"x{spec.height}"
    else:
        raise ValueError("a RenderSpec needs a width or a height")
    tokens = [size]
    if spec.width is not None and spec.height is not None and spec.fit is not Fit.COVER:
        tokens.append(spec.fit.value)
    if spec.quality is not None and spec.quality != default_quality(spec.format, config):
        tokens.append(f"q{spec.quality}")
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
    size = _SIZE.fullmatch(size_text)
    if size is None:
        raise InvalidVariantKey()
    width = int(size["w"]) if size["w"] else None
    height = int(size["h"] or size["h_only"]) if (size["h"] or size["h_only"]) else None
    fit = Fit.COVER if width is not None and height is not None else Fit.INSIDE
    quality = default_quality(fmt, config)
    for token in tokens:
        if token in _TOKEN_FIT:
            fit = _TOKEN_FIT[token]
        elif re.fullmatch(r"q[1-9][0-9]{0,2}", token) and int(token[1:]) <= 100 and fmt.lossy:
            quality = int(token[1:])
        else:
            raise InvalidVariantKey()
    try:
        stem = decode_path("/" + base)
    except BadRequest:
        raise InvalidVariantKey() from None
    variant = VariantKey(RenderSpec(width, height, fit, fmt, quality), stem)
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
    params.append(("format", spec.format.value))
    return urlencode(params)
