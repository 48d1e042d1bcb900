"""URL dialects: other services' URL spellings, translated into imgedge's own (pure).

``translate(uri, querystring, config)`` returns the native ``(uri, querystring)`` a dialect URL means; viewer-request
calls it before ``edge.rewrite.rewrite`` and ``edge.signing.check``, so every guard (signatures, ``presets_only``,
the size policy, ``allowed_parameters``, ``backgrounds``) applies to the translation exactly as to the native URL,
and a dialect URL and its native spelling share one variant key. Each dialect is off unless
``Config.url_dialects`` names it; a URL no enabled dialect recognises is returned unchanged. Parameters the
translation does not own (``s``, ``exp``, ``utm_*``) stay in the query, after the translated ones.

Dialects (docs/url-api.md, "URL dialects", lists every form and every refusal with its reason):

- ``query_aliases`` (AWS Dynamic Image Transformation v7+, aws-samples image-optimization): ``width`` -> ``w``,
  ``height`` -> ``h``, ``quality`` -> ``q``, ``greyscale`` -> ``grayscale``; ``width=0``/``height=0`` mean "not
  given" (as in DIT). ``format``, ``fit``, ``rotate``, ``flip``, ``flop`` and ``grayscale`` are already native.
- ``thumbor`` (thumbor, and SIH's thumbor mapping, ``thumbor-mapper.ts``): leading path segments in thumbor's
  order ``[unsafe/][meta/][trim/][AxB:CxD/][fit-in/][-W x -H/][halign/][valign/][smart/][filters:.../]`` then the
  image path. A path is a thumbor path only when one of crop, fit-in, size or filters is present, so an original
  in a folder named ``top/`` or ``smart/`` stays an original.
- ``sih`` (SIH's default request): ``/<base64 of {"bucket", "key", "edits", "outputFormat"}>``; a ``bucket`` other
  than the one imgedge reads ``key`` from is a ``Forbidden`` (403), as in SIH.

Invariant: the translation never widens what a URL can ask for: every output is a native query that
``edge.query.parse_query`` then validates. Constructs without an imgedge equivalent raise ``BadRequest`` (400)
naming the construct. A path that is already a canonical variant key (``edge.keys``) is never translated: stored
variants and the redirects to them stay reachable.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from urllib.parse import quote, unquote, unquote_plus

from edge.config import Config
from edge.errors import BadRequest, Forbidden
from edge.keys import InvalidVariantKey, decode_key
from edge.query import query_values

#: ``query_aliases``: the alias and the native parameter it spells.
QUERY_ALIASES: Mapping[str, str] = {"width": "w", "height": "h", "quality": "q", "greyscale": "grayscale"}
_ZERO_MEANS_ABSENT = frozenset({"width", "height"})

_CROP = re.compile(r"\d+x\d+:\d+x\d+")
_SIZE = re.compile(r"(-)?(\d+|orig)?x(-)?(\d+|orig)?")
_FILTER_NAME = re.compile(r"[a-z_]+")
_INT = re.compile(r"\d{1,6}")
_HEX = re.compile(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{6}")
_BASE64 = re.compile(r"ey[A-Za-z0-9+/_-]+={0,2}")

# Thumbor's option order (thumbor/url.py): each option at most once, in this order; filters may repeat.
_UNSAFE, _META, _TRIM, _CROP_RANK, _FIT_IN, _SIZE_RANK, _HALIGN, _VALIGN, _SMART, _FILTERS = range(10)
_HALIGNS = ("left", "center", "right")
_VALIGNS = ("top", "middle", "bottom")
_ALIGN_GRAVITY = {
    ("left", "top"): "northwest",
    ("center", "top"): "north",
    ("right", "top"): "northeast",
    ("left", "middle"): "west",
    ("center", "middle"): "centre",
    ("right", "middle"): "east",
    ("left", "bottom"): "southwest",
    ("center", "bottom"): "south",
    ("right", "bottom"): "southeast",
}
#: Thumbor segments that are recognised and refused, with the reason.
_REFUSED_SEGMENTS = {
    "meta": "thumbor meta/ (JSON metadata) is not supported",
    "trim": "thumbor trim is not supported",
    "full-fit-in": "thumbor full-fit-in is not supported: use fit-in (inside) or the native fit=outside",
    "adaptive-fit-in": "thumbor adaptive-fit-in is not supported: use fit-in",
    "adaptive-full-fit-in": "thumbor adaptive-full-fit-in is not supported: use fit-in",
}
#: Thumbor filters that do nothing in imgedge: it never enlarges, and always strips EXIF and converts to sRGB.
_NO_OP_FILTERS = frozenset({"no_upscale", "strip_exif", "strip_icc"})
#: Thumbor filters with no imgedge equivalent, with the reason.
REFUSED_FILTERS = {
    "upscale": "imgedge never enlarges",
    "watermark": "the watermark is a deployment setting (watermark), not a URL option",
    "proportion": "give the scaled size instead",
    "focal": "use the native focus=x,y",
    "convolution": "no imgedge equivalent",
    "equalize": "no imgedge equivalent",
    "rgb": "no imgedge equivalent",
    "brightness": "no imgedge equivalent",
    "contrast": "no imgedge equivalent",
    "saturation": "no imgedge equivalent",
    "noise": "no imgedge equivalent",
    "round_corner": "no imgedge equivalent",
    "max_bytes": "no imgedge equivalent",
    "animated": "no per-URL switch: animations stay animated in WebP and AVIF",
    "smart_crop": "use smart/ (gravity=attention)",
}
_COLOUR_NAMES = {"white": "ffffff", "black": "000000"}
_FORMATS = {"webp": "webp", "jpeg": "jpeg", "jpg": "jpeg", "png": "png", "avif": "avif"}

# SIH: the sharp ``position`` strings and gravities imgedge has, as its gravity names.
_SHARP_POSITIONS = {
    "centre": "centre",
    "center": "centre",
    "top": "north",
    "right top": "northeast",
    "right": "east",
    "right bottom": "southeast",
    "bottom": "south",
    "left bottom": "southwest",
    "left": "west",
    "left top": "northwest",
    "north": "north",
    "northeast": "northeast",
    "east": "east",
    "southeast": "southeast",
    "south": "south",
    "southwest": "southwest",
    "west": "west",
    "northwest": "northwest",
    "entropy": "entropy",
    "attention": "attention",
}
_SIH_FIELDS = frozenset({"bucket", "key", "edits", "outputFormat"})
_SIH_FORMAT_OPTIONS = ("jpeg", "png", "webp", "avif")
_SIH_REFUSED_EDITS = {
    "smartCrop": "SIH smartCrop crops to the face box: use the native gravity=face",
    "overlayWith": "the watermark is a deployment setting (watermark), not a URL option",
    "roundCrop": "no imgedge equivalent",
    "contentModeration": "no imgedge equivalent",
    "crop": "no imgedge equivalent",
    "extract": "no imgedge equivalent",
    "tint": "no imgedge equivalent",
    "normalize": "no imgedge equivalent",
    "normalise": "no imgedge equivalent",
    "animated": "no per-URL switch: animations stay animated in WebP and AVIF",
}


def translate(uri: str, querystring: str, config: Config) -> tuple[str, str]:
    """The native ``(uri, querystring)`` of a viewer request under ``config.url.url_dialects``.

    Applies ``query_aliases`` to the query first, then the ``sih`` or ``thumbor`` path dialect when the path is
    one. Returns the input unchanged when no enabled dialect recognises it. Raises ``BadRequest`` for a construct
    a dialect recognises but imgedge cannot render, and ``Forbidden`` for a SIH request naming another bucket.
    """
    dialects = config.url.url_dialects
    if "query_aliases" in dialects:
        querystring = translate_query_aliases(querystring)
    if "sih" in dialects and _BASE64.fullmatch(uri, 1):
        return translate_sih(uri, querystring, config)
    if "thumbor" in dialects:
        return translate_thumbor(uri, querystring, config)
    return uri, querystring


def translate_query_aliases(querystring: str) -> str:
    """``querystring`` with each alias of ``QUERY_ALIASES`` renamed to its native parameter (order kept);
    ``width=0`` and ``height=0`` are dropped."""
    if not querystring:
        return querystring
    parts = []
    for part in querystring.split("&"):
        raw_name, eq, value = part.partition("=")
        name = unquote_plus(raw_name, errors="replace") if "%" in raw_name or "+" in raw_name else raw_name
        native = QUERY_ALIASES.get(name)
        if native is None:
            parts.append(part)
        elif not (name in _ZERO_MEANS_ABSENT and value.lstrip("0") == "" and value):
            parts.append(f"{native}{eq}{value}")
    return "&".join(parts)


def _join(native: list[tuple[str, str]], querystring: str) -> str:
    """The native parameters, then the viewer's query (refused if it has image parameters of its own)."""
    if query_values(querystring):
        raise BadRequest("a dialect URL takes no image parameters in the query")
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in native)
    return f"{query}&{querystring}" if query and querystring else query or querystring


def _is_variant_key(uri: str, config: Config) -> bool:
    try:
        decode_key(uri, config)
    except InvalidVariantKey:
        return False
    return True


# --- thumbor ---------------------------------------------------------------------------------------------------


def translate_thumbor(uri: str, querystring: str, config: Config) -> tuple[str, str]:
    """A thumbor path (see the module docs) as the image path and a native query; anything else unchanged.

    Mapping (SIH's ``thumbor-mapper.ts`` where SIH maps a construct): ``WxH`` -> ``w``/``h`` (0 or empty: not
    given), ``-W`` -> ``flop``, ``-H`` -> ``flip``; no ``fit-in`` with both sizes -> ``fit=cover`` (the default);
    ``fit-in`` -> ``fit=inside`` (nothing without a size: ``/fit-in/cat.jpg`` is the original);
    ``halign``/``valign`` -> the compass ``gravity``; ``smart`` -> ``gravity=attention``; filters: ``format``,
    ``quality``, ``grayscale``, ``blur(r[,sigma])`` (SIH: sigma, else r/2 rounded up), ``fill(colour)`` ->
    ``fit=contain`` + ``background`` (``transparent``: no background), ``background_color`` -> ``background``,
    ``rotate``, ``sharpen(...)`` -> ``sharpen``, ``stretch`` -> ``fit=fill`` (not with ``fit-in``), ``autojpg`` ->
    ``format=jpeg``; ``no_upscale``, ``strip_exif``, ``strip_icc`` change nothing (imgedge never enlarges and
    always strips). Raises ``BadRequest``.
    """
    segments = uri[1:].split("/")
    rank = -1
    marker = False  # crop, fit-in, size or filters: what makes a path a thumbor path
    fit_in = smart = False
    size: re.Match[str] | None = None
    halign = valign = None
    filters: dict[str, str] = {}
    refusal: str | None = None
    index = 0
    for index, raw in enumerate(segments[:-1]):  # the last segment is always the image's name
        segment = unquote(raw) if "%" in raw else raw
        found, kind = _segment_rank(segment, index)
        if found is None or found < rank or (found == rank and found != _FILTERS):
            break
        rank = found
        if kind == "refuse":
            # Refused only once the path is known to be a thumbor path (below): /meta/cat.jpg is an original.
            refusal = refusal or _REFUSED_SEGMENTS.get(segment, _REFUSED_SEGMENTS["trim"])
        elif kind == "crop":
            marker = True
            refusal = refusal or "thumbor manual crop (AxB:CxD) is not supported: no imgedge equivalent"
        elif kind == "fit-in":
            marker = fit_in = True
        elif kind == "size":
            marker = True
            size = _SIZE.fullmatch(segment)
        elif kind == "halign":
            halign = segment
        elif kind == "valign":
            valign = segment
        elif kind == "smart":
            smart = True
        elif kind == "filters":
            marker = True
            _parse_filters(segment, filters)
    else:
        index = len(segments) - 1
    if not marker or _is_variant_key(uri, config):
        return uri, querystring
    if refusal is not None:
        raise BadRequest(refusal)
    native = _thumbor_native(size, fit_in, halign, valign, smart, filters)
    return "/" + "/".join(segments[index:]), _join(native, querystring)


def _segment_rank(segment: str, index: int) -> tuple[int | None, str]:
    if segment == "unsafe" and index == 0:
        return _UNSAFE, "unsafe"
    if segment == "meta":
        return _META, "refuse"
    if segment == "trim" or segment.startswith("trim:"):
        return _TRIM, "refuse"
    if _CROP.fullmatch(segment):
        return _CROP_RANK, "crop"
    if segment == "fit-in":
        return _FIT_IN, "fit-in"
    if segment in _REFUSED_SEGMENTS:
        return _FIT_IN, "refuse"
    if _SIZE.fullmatch(segment):
        return _SIZE_RANK, "size"
    if segment in _HALIGNS:
        return _HALIGN, "halign"
    if segment in _VALIGNS:
        return _VALIGN, "valign"
    if segment == "smart":
        return _SMART, "smart"
    if segment.startswith("filters:"):
        return _FILTERS, "filters"
    return None, ""


def _parse_filters(segment: str, filters: dict[str, str]) -> None:
    """``filters:a(x):b()`` into ``filters`` (name -> argument text). Raises ``BadRequest`` for a malformed list
    or a filter given twice."""
    text = segment[len("filters:") :]
    position = 0
    while position < len(text):
        opening = text.find("(", position)
        closing = text.find(")", opening)
        name = text[position:opening] if opening >= 0 else text[position:]
        if opening < 0 or closing < 0 or not _FILTER_NAME.fullmatch(name):
            if name in REFUSED_FILTERS:  # watermark(bucket,folder/key.png,...): its "/" split the segment
                raise BadRequest(f"thumbor filter {name} is not supported: {REFUSED_FILTERS[name]}")
            raise BadRequest("thumbor filters must be filters:name(arguments):name(arguments)")
        if name in filters:
            raise BadRequest(f"thumbor filter {name} given more than once")
        filters[name] = text[opening + 1 : closing]
        position = closing + 1
        if position < len(text):
            if text[position] != ":":
                raise BadRequest("thumbor filters must be filters:name(arguments):name(arguments)")
            position += 1


def _thumbor_native(
    size: re.Match[str] | None,
    fit_in: bool,
    halign: str | None,
    valign: str | None,
    smart: bool,
    filters: Mapping[str, str],
) -> list[tuple[str, str]]:
    native: list[tuple[str, str]] = []
    if size is not None:
        flop, width, flip, height = size.groups()
        if "orig" in (width, height):
            raise BadRequest("thumbor size orig is not supported: omit the size")
        if width and width.lstrip("0"):
            native.append(("w", width))
        if height and height.lstrip("0"):
            native.append(("h", height))
        if flop:
            native.append(("flop", "1"))
        if flip:
            native.append(("flip", "1"))
    if smart and (halign or valign):
        raise BadRequest("thumbor smart cannot be combined with halign or valign")
    if smart:
        native.append(("gravity", "attention"))
    elif halign or valign:
        gravity = _ALIGN_GRAVITY[(halign or "center", valign or "middle")]
        if gravity != "centre":
            native.append(("gravity", gravity))
    fit = "inside" if fit_in else None
    for name, argument in filters.items():
        fit = _thumbor_filter(name, argument, fit, fit_in, native)
    if fit is not None and native[:1] and native[0][0] in ("w", "h"):  # fit-in alone: no size, nothing to fit
        native.append(("fit", fit))
    return native


def _thumbor_filter(
    name: str, argument: str, fit: str | None, fit_in: bool, native: list[tuple[str, str]]
) -> str | None:
    """Append the native parameters of one filter; returns the fit after it. Raises ``BadRequest``."""
    if name in REFUSED_FILTERS:
        raise BadRequest(f"thumbor filter {name} is not supported: {REFUSED_FILTERS[name]}")
    if (name in _NO_OP_FILTERS or name in ("grayscale", "stretch", "autojpg")) and argument:
        raise BadRequest(f"thumbor filter {name} takes no argument")
    if name in _NO_OP_FILTERS:
        return fit
    if name == "grayscale":
        native.append(("grayscale", "1"))
    elif name == "autojpg":
        native.append(("format", "jpeg"))
    elif name == "format":
        if argument.lower() not in _FORMATS:
            raise BadRequest("thumbor filter format must be webp, jpeg, jpg, png or avif")
        native.append(("format", _FORMATS[argument.lower()]))
    elif name == "quality":
        native.append(("q", argument))
    elif name == "rotate":
        native.append(("rotate", argument))
    elif name == "sharpen":
        native.append(("sharpen", "1"))
    elif name == "blur":
        native.append(("blur", _thumbor_blur(argument)))
    elif name == "background_color":
        native.append(("background", _thumbor_colour(name, argument)))
    elif name == "fill":
        if fit == "fill":
            raise BadRequest("thumbor filters fill and stretch cannot be combined")
        if argument.lower() != "transparent":
            native.append(("background", _thumbor_colour(name, argument)))
        return "contain"
    elif name == "stretch":
        if fit == "contain":
            raise BadRequest("thumbor filters fill and stretch cannot be combined")
        return fit if fit_in else "fill"
    else:
        raise BadRequest(f"thumbor filter {name} is not supported")
    return fit


def _thumbor_blur(argument: str) -> str:
    radius, _, sigma = argument.partition(",")
    radius, sigma = radius.strip(), sigma.strip()
    if not _INT.fullmatch(radius) or (sigma and not _INT.fullmatch(sigma)):
        raise BadRequest("thumbor filter blur must be blur(radius) or blur(radius,sigma) in whole pixels")
    return sigma if sigma else str((int(radius) + 1) // 2)


def _thumbor_colour(name: str, argument: str) -> str:
    colour = argument.lower().removeprefix("#")
    colour = _COLOUR_NAMES.get(colour, colour)
    if not _HEX.fullmatch(colour):
        raise BadRequest(f"thumbor filter {name} takes a hex colour (rgb or rrggbb), white or black")
    return colour


# --- SIH base64 JSON -------------------------------------------------------------------------------------------


def translate_sih(uri: str, querystring: str, config: Config) -> tuple[str, str]:
    """A SIH default request ``/<base64 JSON>`` as the key's path and a native query.

    ``key`` (required) becomes the path; ``bucket`` (optional) must be the bucket imgedge reads ``key`` from (the
    ``origins`` entry whose prefix the key starts with, else ``bucket``), else ``Forbidden`` (403). Edits:
    ``resize`` {``width``, ``height`` (0 or null: not given), ``fit``, ``background``, ``position``,
    ``withoutEnlargement`` (true only: imgedge never enlarges)}, ``grayscale``/``greyscale``, ``toFormat`` (or the
    top-level ``outputFormat``), ``{jpeg,png,webp,avif}.quality``, ``flip``, ``flop``, ``rotate`` (null or 0: nothing),
    ``blur`` (a sigma, rounded up), ``sharpen`` (true), ``flatten.background``. Raises ``BadRequest`` for anything
    else, naming it. A path whose base64 does not decode to text in ``{...}`` is returned unchanged.
    """
    text = uri[1:]
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return uri, querystring  # not base64 (an extensionless path such as /eyes): not a SIH request
    if not (raw.lstrip().startswith(b"{") and raw.rstrip().endswith(b"}")):
        return uri, querystring
    try:
        request = json.loads(raw)
    except ValueError:
        raise BadRequest("SIH request is not base64 of a JSON object") from None
    if not isinstance(request, dict):
        raise BadRequest("SIH request is not base64 of a JSON object")
    for field in request:
        if field not in _SIH_FIELDS:
            raise BadRequest(f"SIH field {str(field)[:40]} is not supported")
    key = request.get("key")
    if not isinstance(key, str) or not key:
        raise BadRequest("SIH request needs a key")
    key = key.removeprefix("/")
    bucket = request.get("bucket")
    if bucket is not None and bucket != _bucket_for(key, config):
        raise Forbidden("SIH bucket is not an origin of this deployment")
    edits = request.get("edits", {})
    if not isinstance(edits, dict):
        raise BadRequest("SIH edits must be an object")
    native = _sih_native(edits)
    output_format = request.get("outputFormat")
    if output_format is not None:
        if "toFormat" in edits:
            raise BadRequest("SIH: give toFormat or outputFormat, not both")
        native.append(("format", _sih_str("outputFormat", output_format)))
    return "/" + quote(key, safe="/"), _join(native, querystring)


def _bucket_for(key: str, config: Config) -> str | None:
    for origin in config.sources.origins:
        if key.startswith(origin.prefix):
            return origin.bucket
    return config.sources.bucket


def _sih_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"SIH {name} must be a string")
    return value


def _sih_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"SIH {name} must be an integer")
    return value


def _sih_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(f"SIH {name} must be true or false")
    return value


def _sih_colour(name: str, value: object) -> str:
    """A sharp colour: ``#rrggbb``/``#rgb`` or ``{"r", "g", "b"[, "alpha": 1]}`` as ``rrggbb``."""
    if isinstance(value, str):
        colour = _COLOUR_NAMES.get(value.lower(), value.lower().removeprefix("#"))
        if _HEX.fullmatch(colour):
            return colour
    elif isinstance(value, dict) and set(value) in ({"r", "g", "b"}, {"r", "g", "b", "alpha"}):
        channels = [value["r"], value["g"], value["b"]]
        if value.get("alpha", 1) == 1 and all(_is_byte(c) for c in channels):
            return "".join(f"{c:02x}" for c in channels)
    raise BadRequest(f"SIH {name} must be #rrggbb or {{r, g, b}} (opaque)")


def _is_byte(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255


def _sih_native(edits: Mapping[str, object]) -> list[tuple[str, str]]:
    native: list[tuple[str, str]] = []
    quality: str | None = None
    for name, value in edits.items():
        if name in _SIH_REFUSED_EDITS:
            raise BadRequest(f"SIH edit {name} is not supported: {_SIH_REFUSED_EDITS[name]}")
        if name == "resize":
            native.extend(_sih_resize(value))
        elif name in ("grayscale", "greyscale", "flip", "flop", "sharpen"):
            if _sih_flag(name, value):
                native.append(("grayscale" if name == "greyscale" else name, "1"))
        elif name == "toFormat":
            native.append(("format", _sih_str(name, value)))
        elif name in _SIH_FORMAT_OPTIONS:
            if not isinstance(value, dict) or set(value) != {"quality"}:
                raise BadRequest(f"SIH edit {name} supports only quality")
            given = str(_sih_int(f"{name}.quality", value["quality"]))
            if quality is not None and quality != given:
                raise BadRequest("SIH: give one quality")
            quality = given
        elif name == "rotate":
            angle = None if value is None else _sih_int(name, value)
            if angle:  # 0, like null, turns nothing: an edit list of no-ops is the original, as with none
                native.append(("rotate", str(angle)))
        elif name == "blur":
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1000:
                raise BadRequest("SIH blur must be a sigma from 0.3 to 1000")
            native.append(("blur", str(-int(-value // 1))))
        elif name == "flatten":
            if not isinstance(value, dict) or set(value) != {"background"}:
                raise BadRequest("SIH edit flatten supports only background")
            native.append(("background", _sih_colour("flatten.background", value["background"])))
        else:
            raise BadRequest(f"SIH edit {str(name)[:40]} is not supported")
    if quality is not None:
        native.append(("q", quality))
    return native


def _sih_resize(value: object) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        raise BadRequest("SIH resize must be an object")
    native: list[tuple[str, str]] = []
    for name, option in value.items():
        if name in ("width", "height"):
            if option is not None and _sih_int(f"resize.{name}", option) != 0:
                native.append((name[0], str(option)))
        elif name == "fit":
            native.append(("fit", _sih_str("resize.fit", option)))
        elif name == "background":
            native.append(("background", _sih_colour("resize.background", option)))
        elif name in ("position", "gravity"):
            position = _SHARP_POSITIONS.get(_sih_str(f"resize.{name}", option).lower())
            if position is None:
                raise BadRequest(f"SIH resize.{name} must be a compass position, entropy or attention")
            native.append(("gravity", position))
        elif name == "withoutEnlargement":
            if not _sih_flag("resize.withoutEnlargement", option):
                raise BadRequest("SIH resize.withoutEnlargement false is not supported: imgedge never enlarges")
        else:
            raise BadRequest(f"SIH resize.{str(name)[:40]} is not supported")
    return native
