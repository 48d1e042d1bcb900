"""The configuration shared by both edge functions.

Lambda@Edge has no environment variables, so the configuration is a JSON file bundled with the functions
(``imgedge-config.json`` at the bundle root, written by the CDK app from its construct properties). ``load_config``
reads it once per container; every key is optional and has the documented default below. Locally, the
``IMGEDGE_CONFIG`` environment variable may name another file (it is never set at the edge).

``Config.from_mapping`` validates every key and raises ``ConfigError`` naming the first bad one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from functools import cache
from types import MappingProxyType

from edge.errors import BadRequest, ConfigError
from edge.options import COMPASS_FOCUS, FormatChoice, Gravity
from edge.query import PARAMETERS, PRESET_NAME, PRESET_PARAMETERS, options_from_values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    Built = TypeVar("Built")

    from edge.origins import Origin

CONFIG_FILE_NAME = "imgedge-config.json"
CONFIG_ENV_VAR = "IMGEDGE_CONFIG"

# Responsive breakpoints of the popular frameworks (next/image device and image sizes, Bootstrap, Tailwind)
# plus the round sizes sites ask for, up to 4K UHD width.
DEFAULT_SIZES: tuple[int, ...] = (
    16,
    32,
    48,
    64,
    96,
    100,
    128,
    150,
    200,
    256,
    300,
    320,
    384,
    400,
    480,
    500,
    600,
    640,
    750,
    768,
    800,
    828,
    900,
    1000,
    1024,
    1080,
    1200,
    1280,
    1440,
    1536,
    1600,
    1920,
    2048,
    2560,
    3072,
    3840,
)
DEFAULT_QUALITIES: tuple[int, ...] = (30, 40, 50, 60, 70, 80, 90, 100)
DEFAULT_SOURCE_EXTENSIONS: tuple[str, ...] = (
    "jpg", "jpeg", "png", "webp", "avif", "gif", "tif", "tiff", "heic", "heif",
)  # fmt: skip
# The object tag origin-response puts on every variant it stores when ``tag_variants`` is on, so that an S3
# lifecycle rule filtered on it can expire variants without ever touching an original.
VARIANT_TAG_KEY = "imgedge"
VARIANT_TAG_VALUE = "variant"
#: Background colours a URL may ask for by default: white and black.
DEFAULT_BACKGROUNDS: tuple[str, ...] = ("ffffff", "000000")
#: Parameters a URL may add to or change in a preset by default: neither changes what the image shows.
DEFAULT_PRESET_OVERRIDES: tuple[str, ...] = ("dpr", "format")
#: The values of ``url_dialects`` (``edge.dialects`` translates each).
URL_DIALECTS: tuple[str, ...] = ("thumbor", "sih", "query_aliases")
#: ``watermark_passthrough`` values: a request without image parameters gets the default rendition, or a 403.
WATERMARK_PASSTHROUGH: tuple[str, ...] = ("rendition", "deny")


class SignatureMode(StrEnum):
    """Which requests need a signed URL (``edge.signing``).

    - ``off``: none.
    - ``required``: every request with image parameters.
    - ``outside-presets``: every request with image parameters but ``preset=`` (with the overrides allowed).
    """

    OFF = "off"
    REQUIRED = "required"
    OUTSIDE_PRESETS = "outside-presets"


#: ``signature_mode`` values, as written in the configuration.
SIGNATURE_MODES: tuple[str, ...] = tuple(mode.value for mode in SignatureMode)


class SizePolicy(StrEnum):
    """How a requested width/height meets ``Config.sizes``.

    - ``snap``: round up to the next allowed size, capped at the largest one.
    - ``strict``: only the allowed sizes; anything else is a 400.
    - ``any``: any size from 1 to ``max_dimension``.
    """

    SNAP = "snap"
    STRICT = "strict"
    ANY = "any"


@dataclass(frozen=True)
class Config:
    """Validated configuration; every field has a safe default.

    Attributes:
        size_policy: ``snap`` (default), ``strict`` or ``any``; see ``SizePolicy``.
        sizes: allowed widths and heights in pixels, for ``snap`` and ``strict``.
        max_dimension: the largest width or height a URL may ask for, in every policy (4096); above it is a 400.
        qualities: allowed quality values; a requested ``q`` snaps up to the next one (capped at the largest).
        default_quality: quality per lossy format when the URL gives none (avif 50, webp 80, jpeg 80);
            each must be in ``qualities``.
        default_format: ``auto`` (negotiate from Accept) or a fixed output format.
        source_extensions: extensions an original may have, in the order origin-response tries them; when two
            originals differ only by extension, the earliest in this order wins.
        max_source_bytes: originals larger than this are refused (422) without being read in full.
        max_source_pixels: originals whose header declares more pixels are refused (422) before decoding.
        memory_mb: the origin-response function's configured memory in MB (default 1536, the CDK app's default;
            the CDK app writes the deployed value). ``edge.render.budget`` derives the memory budget of one render
            from it, and originals whose decode and working copies would not fit are refused (422) before decoding.
        cache_control: ``Cache-Control`` of stored and served variants.
        error_max_age: seconds a 4xx answer (bad URL, bad original) may be cached.
        missing_max_age: seconds a 404 for a missing original may be cached.
        max_response_bytes: the budget of an inline origin-response (Lambda@Edge allows 1 MB for headers and
            body; the base64 body counts in full). Larger variants are stored and the viewer is redirected.
        bucket: S3 bucket of originals and variants; ``None`` takes it from the CloudFront origin of the event.
        region: the bucket's region; ``None`` takes it from the event's origin.
        s3_max_attempts: attempts per S3 call (botocore standard retry mode, with backoff). With the timeouts
            below, a GET and a PUT that both exhaust their retries take about 26 s, inside the 30 s
            Lambda@Edge origin-response timeout.
        s3_connect_timeout: seconds to connect to S3.
        s3_read_timeout: seconds to wait for S3 to answer.
        tag_variants: tag stored variants ``imgedge=variant`` (needs s3:PutObjectTagging; the CDK app turns it
            on with the variant-expiry lifecycle rule).
        presets: named parameter sets used as ``?preset=NAME``: name (``[a-z0-9][a-z0-9_-]{0,63}``) to a
            mapping of URL parameters to values (strings, numbers or booleans), each validated as a URL would be;
            a preset must give ``w`` or ``h``. A preset expands to the parameters it stands for, so it shares
            its variant key with the spelled-out URL.
        preset_overrides: the parameters a URL may add to or change in a preset (default ``dpr``, ``format``);
            any other parameter next to ``preset`` is a 400.
        presets_only: refuse (400) every image request that does not use ``preset`` (the strongest abuse guard:
            the variants are then only those of the presets). origin-response then renders only requests that
            carry viewer-request's marker; a variant key requested directly keeps the origin's 403/404.
        allowed_parameters: the URL parameters that are enabled (default: all of ``edge.query.PARAMETERS``); a
            disabled one in a URL is a 400, a preset may not use one, and ``edge.sizes.variant_bound`` counts
            only the default of a disabled group. ``w`` or ``h`` must be enabled, and ``preset`` with
            ``presets_only``.
        backgrounds: the ``background`` colours a URL may ask for (``rrggbb``, lowercase); others are a 400.
        watermark: the S3 key (in the bucket of the originals) of an image overlaid on every variant that shows
            the source above thumbnail resolution (see ``watermark_min_width``); ``None`` (default) for none.
            Fetched once per container. With a watermark, an original is never served unrendered: a request
            without image parameters gets what ``watermark_passthrough`` says (``edge.rewrite.unrendered``).
        watermark_position: where it goes: a compass gravity (default ``southeast``) or ``centre``.
        watermark_margin: px between the watermark and the edges it is placed against (default 16).
        watermark_opacity: percent, 1-100 (default 60).
        watermark_width: the watermark's width as a percentage of the output's width (default 20); it is never
            enlarged beyond its own size.
        watermark_min_width: the thumbnail bound T in px (default 400). An output gets no watermark only when
            the *whole* upright source, at the output's scale (per axis for ``fill``; before the crop, without
            ``contain``'s padding), is narrower and shorter than T: then it shows nothing a whole-source
            thumbnail under T x T does not. Every other output is watermarked, whatever its own size (a narrow
            full-resolution strip or tile is). ``edge.watermarks.Watermark.covers``.
        watermark_passthrough: what a request without image parameters gets when a watermark is configured:
            ``rendition`` (default; the ``watermark_rendition``) or ``deny`` (403). A path that is a variant key
            or whose extension is not one of ``source_extensions`` is served as it is.
        watermark_rendition: the image parameters of that default rendition, as a query string (default
            ``w=1280&h=1280&fit=inside``: fit inside 1280 x 1280, never enlarged, metadata stripped); it must be
            a query viewer-request accepts under this configuration (``preset=NAME`` with ``presets_only``), and
            maps to that query's variant key. Under ``signature_mode`` the bare URL needs its ``s`` as well.
        signature_mode: signed URLs (``edge.signing``): ``off`` (default), ``required`` (every request with image
            parameters needs a valid ``s``, else 403) or ``outside-presets`` (only requests without ``preset``).
        signature_secret_id: name or ARN of the AWS Secrets Manager secret holding the signing key(s); required
            when ``signature_mode`` is not ``off``.
        signature_secret_region: the secret's region (default ``us-east-1``).
        signature_secret_ttl: seconds the keys are cached per container before being fetched again (default 300).
        faces_enabled: allow ``gravity=face`` (``edge.faces``: Amazon Rekognition DetectFaces, called from
            origin-response). Off by default, and then ``gravity=face`` is a 400 (never silently another crop,
            which would be cached under the ``face`` key); a preset may use it only when on.
        faces_region: the region of the Rekognition endpoint (default ``us-east-1``).
        faces_min_confidence: faces with a lower ``Confidence`` (percent, 0-100; default 90) are ignored.
        vary_accept: send ``Vary: Accept`` on every variant response (inline renders and variants served back
            from S3), so that a shared cache between CloudFront and the viewer keeps the formats ``format=auto``
            negotiates apart. CloudFront itself keys on the rewritten URI and does not split its cache on it.
            Turn it off when a CDN in front refuses to cache responses that vary on ``Accept`` (Akamai does).
        origins: several buckets (``edge.origins``): a list of ``{"prefix": "avatars/", "bucket": ..., "region": ...}``;
            an original whose key starts with a prefix lives in that bucket under its full key (prefix included),
            and its variants (``{spec}/{full key}``) in the same bucket. Prefixes are non-empty, end with ``/`` and
            do not overlap. Other keys use ``bucket``/the event's origin. Default: none.
        variant_prefix: the one top-level folder every variant is stored under (``edge.keys``: ``_v`` gives
            ``/_v/photos/cat/300.avif``); nothing under it is ever an original, and every original keeps its own
            key, whatever its folders are named. Empty (default): today's layout ``/300/photos/cat.avif``, where
            an original under a folder named like a spec (``2024/``, ``300/``) shares the variants' namespace and
            is refused (see docs/url-api.md, "Variant keys"). A letter or ``_`` then letters, digits,
            ``_ . ~ -``; at most 63 characters; never spec-shaped (``x200``).
        url_dialects: other URL spellings viewer-request translates into imgedge's own parameters before any
            check (``edge.dialects``; docs/url-api.md, "URL dialects"): ``thumbor`` (thumbor/SIH paths such as
            ``/fit-in/300x200/filters:format(webp)/photos/cat.jpg``), ``sih`` (SIH's base64 JSON requests),
            ``query_aliases`` (``width``, ``height``, ``quality``, ``greyscale``). Default: none. ``thumbor`` needs
            ``variant_prefix``: in the default layout its paths are variant keys.
        client_hints: accept ``w=auto`` and ``dpr=auto``, filled in by viewer-request from the ``Sec-CH-Width``,
            ``Sec-CH-Viewport-Width`` and ``Sec-CH-DPR`` request headers (``edge.hints``), and name those headers
            in ``Vary`` on every variant response (``edge.variant_headers``). Off by default: ``auto`` is then a
            400 like any other non-number. Needs ``size_policy`` ``snap`` or ``any`` (under ``strict`` a hinted
            width would be a 400). ``auto`` is refused on URLs that need a signature (``edge.signing``).
        client_hints_fallback_width: the CSS width ``w=auto`` stands for when the request has neither width hint
            (Safari, Firefox): default 640, multiplied by ``dpr`` like any ``w``; at most ``max_dimension``
            when ``client_hints`` is on.
    """

    size_policy: SizePolicy = SizePolicy.SNAP
    sizes: tuple[int, ...] = DEFAULT_SIZES
    max_dimension: int = 4096
    qualities: tuple[int, ...] = DEFAULT_QUALITIES
    default_quality: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({"avif": 50, "webp": 80, "jpeg": 80})
    )
    default_format: FormatChoice = FormatChoice.AUTO
    source_extensions: tuple[str, ...] = DEFAULT_SOURCE_EXTENSIONS
    max_source_bytes: int = 32 * 1024 * 1024
    max_source_pixels: int = 100_000_000
    memory_mb: int = 1536
    cache_control: str = "public, max-age=31536000, immutable"
    error_max_age: int = 60
    missing_max_age: int = 60
    max_response_bytes: int = 1_000_000
    bucket: str | None = None
    region: str | None = None
    s3_max_attempts: int = 3
    s3_connect_timeout: float = 1.0
    s3_read_timeout: float = 3.0
    tag_variants: bool = False
    presets: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    preset_overrides: tuple[str, ...] = DEFAULT_PRESET_OVERRIDES
    presets_only: bool = False
    allowed_parameters: tuple[str, ...] = PARAMETERS
    backgrounds: tuple[str, ...] = DEFAULT_BACKGROUNDS
    watermark: str | None = None
    watermark_position: Gravity = Gravity.SOUTHEAST
    watermark_margin: int = 16
    watermark_opacity: int = 60
    watermark_width: int = 20
    watermark_min_width: int = 400
    watermark_passthrough: str = "rendition"
    watermark_rendition: str = "w=1280&h=1280&fit=inside"
    signature_mode: SignatureMode = SignatureMode.OFF
    signature_secret_id: str | None = None
    signature_secret_region: str = "us-east-1"  # noqa: S105 (a region name, not a password)
    signature_secret_ttl: int = 300
    faces_enabled: bool = False
    faces_region: str = "us-east-1"
    faces_min_confidence: float = 90.0
    vary_accept: bool = True
    origins: tuple[Origin, ...] = ()
    variant_prefix: str = ""
    url_dialects: tuple[str, ...] = ()
    client_hints: bool = False
    client_hints_fallback_width: int = 640

    def __post_init__(self) -> None:
        _validate(self)
        # Read-only views, so that a frozen Config cannot be changed through its mappings either.
        object.__setattr__(self, "default_quality", MappingProxyType(dict(self.default_quality)))
        object.__setattr__(
            self,
            "presets",
            MappingProxyType({name: MappingProxyType(_preset_values(name, p)) for name, p in self.presets.items()}),
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Config:
        """Build from JSON-like data; unknown keys and wrong types raise ``ConfigError`` naming the key."""
        if not isinstance(data, Mapping):
            raise ConfigError("configuration must be a JSON object")
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"unknown configuration key {key!r}")
            values[key] = _coerce(key, value)
        return cls(**values)

    def to_json(self) -> str:
        """The JSON form ``from_mapping`` reads back to an equal ``Config``."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["default_quality"] = dict(self.default_quality)
        data["presets"] = {name: dict(values) for name, values in self.presets.items()}
        from edge.origins import origins_json  # noqa: PLC0415 (edge.origins stays out of the viewer's imports)

        data["origins"] = origins_json(self.origins)
        return json.dumps(data, indent=2, sort_keys=True)


def _coerce(key: str, value: Any) -> Any:
    enums: dict[str, type[StrEnum]] = {
        "size_policy": SizePolicy,
        "signature_mode": SignatureMode,
        "default_format": FormatChoice,
        "watermark_position": Gravity,
    }
    if key == "origins":
        return _parse_origins(value)
    try:
        if key in enums:
            return enums[key](value)
        if key in (
            "sizes",
            "qualities",
            "source_extensions",
            "preset_overrides",
            "allowed_parameters",
            "backgrounds",
            "url_dialects",
        ):
            if not isinstance(value, list | tuple):
                raise TypeError
            return tuple(value)
        if key in ("default_quality", "presets"):
            if not isinstance(value, Mapping):
                raise TypeError
            return dict(value)
    except (TypeError, ValueError):
        raise ConfigError(f"invalid value for configuration key {key!r}: {value!r}") from None
    return value


# One folder name that viewer URIs carry as is (unreserved characters) and that no spec token can be (a spec
# starts with a digit, or with "x" and a digit).
_VARIANT_PREFIX = r"(?!x[0-9])[A-Za-z_][A-Za-z0-9_.~-]{0,62}"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"configuration key {key!r}: {message}")


def _preset_value(value: object) -> str:
    """A preset's JSON value as the URL would spell it: booleans as 1/0, numbers in decimal, lists joined by
    commas (``focus: [0.3, 0.7]``)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, list | tuple) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return ",".join(str(v) for v in value)
    raise TypeError


def _preset_values(name: object, values: object) -> dict[str, str]:
    """Validate one preset (raising ``ConfigError`` naming ``presets`` and the preset) and normalise its values."""
    where = f"preset {name!r}"
    _require(isinstance(name, str) and bool(PRESET_NAME.fullmatch(name)), "presets",
             f"{where}: names are 1-64 of a-z 0-9 _ - (starting with a letter or digit)")  # fmt: skip
    _require(isinstance(values, Mapping), "presets", f"{where} must map parameters to values")
    assert isinstance(values, Mapping)
    normalised: dict[str, str] = {}
    for parameter, value in values.items():
        _require(parameter in PRESET_PARAMETERS, "presets", f"{where}: unknown parameter {parameter!r}")
        try:
            normalised[parameter] = _preset_value(value)
        except TypeError:
            raise ConfigError(f"configuration key 'presets': {where}: bad value for {parameter}") from None
    try:
        options_from_values(normalised)
    except BadRequest as err:
        raise ConfigError(f"configuration key 'presets': {where}: {err.reason}") from None
    return normalised


def _validate(config: Config) -> None:
    _require(isinstance(config.size_policy, SizePolicy), "size_policy", "must be snap, strict or any")
    _require(isinstance(config.default_format, FormatChoice), "default_format", "must be auto, avif, webp, jpeg or png")
    _require(
        _is_int(config.max_dimension) and 1 <= config.max_dimension <= 16384,
        "max_dimension",
        "must be an integer from 1 to 16384",
    )
    sizes = config.sizes
    _require(
        isinstance(sizes, tuple) and len(sizes) > 0 and all(_is_int(s) for s in sizes),
        "sizes",
        "must be a non-empty list of integers",
    )
    _require(list(sizes) == sorted(set(sizes)), "sizes", "must be strictly increasing")
    _require(sizes[0] >= 1 and sizes[-1] <= config.max_dimension, "sizes", "must lie between 1 and max_dimension")
    qualities = config.qualities
    _require(
        isinstance(qualities, tuple) and len(qualities) > 0 and all(_is_int(q) for q in qualities),
        "qualities",
        "must be a non-empty list of integers",
    )
    _require(
        list(qualities) == sorted(set(qualities)) and qualities[0] >= 1 and qualities[-1] <= 100,
        "qualities",
        "must be strictly increasing, from 1 to 100",
    )
    _require(
        isinstance(config.default_quality, Mapping) and set(config.default_quality) == {"avif", "webp", "jpeg"},
        "default_quality",
        "must give exactly avif, webp and jpeg",
    )
    for name, quality in config.default_quality.items():
        _require(
            _is_int(quality) and quality in qualities,
            "default_quality",
            f"{name} quality {quality!r} must be one of qualities",
        )
    exts = config.source_extensions
    _require(
        isinstance(exts, tuple)
        and len(exts) > 0
        and all(isinstance(e, str) and e.isascii() and e.isalnum() and e == e.lower() for e in exts)
        and len(set(exts)) == len(exts)
        and len(exts) <= 12,
        "source_extensions",
        "must be 1 to 12 distinct lowercase alphanumeric extensions",
    )
    for key in ("max_source_bytes", "max_source_pixels", "max_response_bytes", "s3_max_attempts"):
        value = getattr(config, key)
        _require(_is_int(value) and value >= 1, key, "must be a positive integer")
    _require(_is_int(config.memory_mb) and 128 <= config.memory_mb <= 10_240, "memory_mb",
             "must be an integer from 128 to 10240 (MB, Lambda's range)")  # fmt: skip
    for key in ("error_max_age", "missing_max_age"):
        value = getattr(config, key)
        _require(_is_int(value) and value >= 0, key, "must be a non-negative integer")
    for key in ("s3_connect_timeout", "s3_read_timeout"):
        value = getattr(config, key)
        _require(
            isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 30,
            key,
            "must be a number of seconds from 0 to 30",
        )
    _require(
        isinstance(config.cache_control, str)
        and config.cache_control.isprintable()
        and 0 < len(config.cache_control) <= 200,
        "cache_control",
        "must be a printable header value",
    )
    _require(isinstance(config.tag_variants, bool), "tag_variants", "must be true or false")
    _require(isinstance(config.vary_accept, bool), "vary_accept", "must be true or false")
    _validate_client_hints(config)
    _require(isinstance(config.presets, Mapping) and len(config.presets) <= 1000, "presets",
             "must be an object of at most 1000 presets")  # fmt: skip
    for name, values in config.presets.items():
        _preset_values(name, values)
    overrides = config.preset_overrides
    _require(isinstance(overrides, tuple) and all(o in PRESET_PARAMETERS for o in overrides)
             and len(set(overrides)) == len(overrides), "preset_overrides",
             "must be distinct URL parameter names (w, h, fit, q, format, dpr, ...)")  # fmt: skip
    _require(isinstance(config.presets_only, bool), "presets_only", "must be true or false")
    _require(not config.presets_only or len(config.presets) > 0, "presets_only", "needs at least one preset")
    _validate_allowed_parameters(config)
    _validate_url_dialects(config)
    backgrounds = config.backgrounds
    _require(isinstance(backgrounds, tuple) and len(backgrounds) <= 64
             and all(isinstance(b, str) and len(b) == 6 and all(c in "0123456789abcdef" for c in b)
                     for b in backgrounds) and len(set(backgrounds)) == len(backgrounds),
             "backgrounds", "must be at most 64 distinct lowercase rrggbb colours")  # fmt: skip
    mark = config.watermark
    _require(mark is None or (isinstance(mark, str) and mark.isprintable() and 0 < len(mark) <= 1024
                              and not mark.startswith("/")), "watermark",
             "must be null or an S3 key (no leading slash)")  # fmt: skip
    _require(isinstance(config.watermark_position, Gravity) and config.watermark_position in COMPASS_FOCUS,
             "watermark_position", "must be centre or a compass direction (north, southeast, ...)")  # fmt: skip
    for key, low, high in (("watermark_margin", 0, 1000), ("watermark_opacity", 1, 100),
                           ("watermark_width", 1, 100), ("watermark_min_width", 1, 16384)):  # fmt: skip
        value = getattr(config, key)
        _require(_is_int(value) and low <= value <= high, key, f"must be an integer from {low} to {high}")
    _require(config.watermark_passthrough in WATERMARK_PASSTHROUGH, "watermark_passthrough",
             "must be rendition or deny")  # fmt: skip
    rendition = config.watermark_rendition
    _require(isinstance(rendition, str) and rendition.isascii() and rendition.isprintable()
             and 0 < len(rendition) <= 512, "watermark_rendition", "must be a query string such as w=1280")  # fmt: skip
    _validate_signature(config)
    _validate_faces(config)
    object.__setattr__(config, "origins", _parse_origins(config.origins))
    _validate_variant_prefix(config)
    for key in ("bucket", "region"):
        value = getattr(config, key)
        _require(
            value is None or (isinstance(value, str) and value.isprintable() and 0 < len(value) <= 255),
            key,
            "must be null or a name",
        )


def _validate_client_hints(config: Config) -> None:
    _require(isinstance(config.client_hints, bool), "client_hints", "must be true or false")
    _require(not (config.client_hints and config.size_policy is SizePolicy.STRICT), "client_hints",
             "needs size_policy snap or any (under strict a hinted width would be a 400)")  # fmt: skip
    fallback = config.client_hints_fallback_width
    _require(_is_int(fallback) and 1 <= fallback <= 16384, "client_hints_fallback_width",
             "must be an integer from 1 to 16384")  # fmt: skip
    _require(not config.client_hints or fallback <= config.max_dimension, "client_hints_fallback_width",
             "must be at most max_dimension when client_hints is on")  # fmt: skip


def _validate_variant_prefix(config: Config) -> None:
    prefix = config.variant_prefix
    _require(
        isinstance(prefix, str) and (prefix == "" or re.fullmatch(_VARIANT_PREFIX, prefix) is not None),
        "variant_prefix",
        "must be empty or one folder name: a letter or _, then letters, digits, _ . ~ - (at most 63; not x<digit>)",
    )
    for origin in config.origins:
        _require(not (prefix and origin.prefix.startswith(prefix + "/")), "variant_prefix",
                 f"origins prefix {origin.prefix!r} lies under variant_prefix (no original may)")  # fmt: skip
    watermark = config.watermark
    _require(not (prefix and watermark and watermark.startswith(prefix + "/")), "variant_prefix",
             "the watermark lies under variant_prefix (no original may)")  # fmt: skip


def _parse_origins(value: object) -> tuple[Origin, ...]:
    if isinstance(value, tuple) and not value:
        return ()  # the default, no extra origins: then edge.origins is never imported (the viewer never needs it)
    from edge.origins import OriginsError, parse_origins  # noqa: PLC0415 (see above)

    try:
        return parse_origins(value)
    except OriginsError as err:
        raise ConfigError(f"configuration key 'origins': {err}") from None


def _validate_allowed_parameters(config: Config) -> None:
    allowed = config.allowed_parameters
    _require(isinstance(allowed, tuple), "allowed_parameters", "must be a list of URL parameter names")
    for parameter in allowed:
        _require(parameter in PARAMETERS, "allowed_parameters",
                 f"unknown parameter {parameter!r} (known: {', '.join(PARAMETERS)})")  # fmt: skip
        _require(allowed.count(parameter) == 1, "allowed_parameters", f"parameter {parameter!r} is listed twice")
    _require("w" in allowed or "h" in allowed, "allowed_parameters", "must enable w or h")
    _require(not config.presets_only or "preset" in allowed, "allowed_parameters",
             "must enable preset when presets_only is on")  # fmt: skip
    for name, values in config.presets.items():
        for parameter in values:
            _require(parameter in allowed, "presets",
                     f"preset {name!r} uses {parameter}, which allowed_parameters does not enable")  # fmt: skip


def _validate_url_dialects(config: Config) -> None:
    dialects = config.url_dialects
    _require(isinstance(dialects, tuple), "url_dialects", "must be a list of dialect names")
    for dialect in dialects:
        _require(dialect in URL_DIALECTS, "url_dialects",
                 f"unknown dialect {dialect!r}: use " + ", ".join(URL_DIALECTS))  # fmt: skip
        _require(dialects.count(dialect) == 1, "url_dialects", f"dialect {dialect!r} is listed twice")
    # thumbor's /300x200/photos/cat.jpg is also the default layout's key of a stored JPEG variant: only under
    # variant_prefix are the two namespaces apart.
    _require("thumbor" not in dialects or bool(config.variant_prefix), "url_dialects",
             "thumbor needs variant_prefix (its /300x200/cat.jpg is a variant key in the default layout)")  # fmt: skip


def _validate_signature(config: Config) -> None:
    _require(isinstance(config.signature_mode, SignatureMode), "signature_mode",
             "must be off, required or outside-presets")  # fmt: skip
    secret = config.signature_secret_id
    _require(secret is None or (isinstance(secret, str) and secret.isprintable() and 0 < len(secret) <= 2048),
             "signature_secret_id", "must be null or a secret name or ARN")  # fmt: skip
    _require(config.signature_mode is SignatureMode.OFF or secret is not None, "signature_secret_id",
             "is required when signature_mode is not off")  # fmt: skip
    region = config.signature_secret_region
    _require(isinstance(region, str) and region.replace("-", "").isalnum() and 0 < len(region) <= 64,
             "signature_secret_region", "must be an AWS region such as us-east-1")  # fmt: skip
    ttl = config.signature_secret_ttl
    _require(_is_int(ttl) and 1 <= ttl <= 86_400, "signature_secret_ttl", "must be 1 to 86400 seconds")


def _validate_faces(config: Config) -> None:
    _require(isinstance(config.faces_enabled, bool), "faces_enabled", "must be true or false")
    region = config.faces_region
    _require(isinstance(region, str) and region.replace("-", "").isalnum() and 0 < len(region) <= 64,
             "faces_region", "must be an AWS region such as us-east-1")  # fmt: skip
    confidence = config.faces_min_confidence
    _require(isinstance(confidence, int | float) and not isinstance(confidence, bool) and 0 <= confidence <= 100,
             "faces_min_confidence", "must be a number from 0 to 100")  # fmt: skip
    for name, values in config.presets.items():
        _require(config.faces_enabled or values.get("gravity") != Gravity.FACE.value, "presets",
                 f"preset {name!r} uses gravity=face, which needs faces_enabled")  # fmt: skip


def bundled_config_path() -> str:
    """Where the bundled configuration lives: beside the ``edge`` package, at the root of the function bundle.

    A plain path string: the viewer function never imports ``pathlib`` (a cold-start cost at the edge)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), CONFIG_FILE_NAME)


@cache
def load_config() -> Config:
    """The container's configuration, read once: ``$IMGEDGE_CONFIG``, else the bundled file, else defaults.

    Raises ``ConfigError`` (naming the key) for an invalid file; the function then fails at its first request,
    which CloudFront reports as a 5xx, and the CDK app runs the same validation at synth so it never deploys.
    """
    path_text = os.environ.get(CONFIG_ENV_VAR)
    path = path_text or bundled_config_path()
    if not os.path.isfile(path):
        if path_text:
            raise ConfigError(f"{CONFIG_ENV_VAR} names {path_text!r}, which is not a file")
        return Config()
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc}") from None
    return Config.from_mapping(data)


def per_configuration(build: Callable[[Config], Built]) -> Callable[[], Built]:
    """A function returning ``build(load_config())``, built again only when ``load_config`` returns another
    configuration (a test, or a changed ``$IMGEDGE_CONFIG``): a Lambda container composes its handler once, at its
    first event, not on every one."""
    built: list[tuple[Config, Built]] = []

    def current() -> Built:
        config = load_config()
        if not built or built[0][0] is not config:
            built[:] = [(config, build(config))]
        return built[0][1]

    return current
