"""The configuration shared by the edge functions, each setting declared once.

Lambda@Edge has no environment variables, so the configuration is a JSON file bundled with the functions
(``imgedge-config.json`` at the bundle root, written by the CDK app from its construct properties). ``load_config``
reads it once per container; every key is optional and has its declared default. Locally, the ``IMGEDGE_CONFIG``
environment variable may name another file (it is never set at the edge).

Each setting is one field of a frozen section (``Sizing``, ``UrlPolicy``, ``Sources``, ``Storage``, ``Responses``,
``Limits``, ``Signing``, ``Faces``, ``Watermarking``, ``Warming``), declared with ``setting()``: its type, default,
one-line meaning and value checks. Everything else is derived from those declarations: the flat JSON keys (a
setting's name), ``Config.from_mapping``'s coercion, the docs' tables, and the CDK construct's properties and context
keys (``imgedge_cdk.props``). Checks spanning settings live in the section's ``_check_together``, or in ``Config``
when they span sections. Every failure is a ``ConfigError`` naming the key.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from types import MappingProxyType

from edge.errors import BadRequest, ConfigError
from edge.options import COMPASS_FOCUS, FormatChoice, Gravity
from edge.query import PARAMETERS, PRESET_NAME, PRESET_PARAMETERS, options_from_values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform

    Built = TypeVar("Built")

    from edge.origins import Origin

else:

    def dataclass_transform(**_: object) -> Callable[[type], type]:
        """At run time a no-op: the viewer never imports ``typing`` (type checkers read the real one)."""
        return lambda cls: cls


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


class Immutable:
    """A record whose fields are set once, in ``__init__`` (with ``object.__setattr__``); assigning or deleting one
    afterwards raises ``AttributeError``. The viewer's records use it where a frozen dataclass would cost its cold
    start the dataclass's code generation."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to {type(self).__name__}.{name}: it is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete {type(self).__name__}.{name}: it is immutable")


class Check(Immutable):
    """One value check of a setting: ``test(value)`` is true for a valid value; ``message`` says what is valid."""

    __slots__ = ("message", "test")
    test: Callable[[Any], bool]
    message: str

    def __init__(self, test: Callable[[Any], bool], message: str) -> None:
        object.__setattr__(self, "test", test)
        object.__setattr__(self, "message", message)


class Setting(Immutable):
    """One declared setting (made by ``setting()``): its name (the JSON key), default, one-line meaning (``doc``,
    Markdown, the docs' tables), checks, how the default reads in the docs (``shown``, when the value itself would
    not read well) and what sets it in a deployment (``set_by``, when the CDK construct writes it itself: it is then
    not a construct property or a context key)."""

    __slots__ = ("checks", "default", "doc", "name", "set_by", "shown")
    name: str
    default: Any
    doc: str
    checks: tuple[Check, ...]
    shown: str | None
    set_by: str | None

    def __init__(
        self, default: object, doc: str, checks: tuple[Check, ...], shown: str | None, set_by: str | None
    ) -> None:
        frozen = MappingProxyType(dict(default)) if isinstance(default, Mapping) else default
        for slot, value in (("name", ""), ("default", frozen), ("doc", doc), ("checks", checks),
                            ("shown", shown), ("set_by", set_by)):  # fmt: skip
            object.__setattr__(self, slot, value)

    def __repr__(self) -> str:
        return f"Setting({self.name!r}, default={self.default!r})"


def setting(
    *, default: object, doc: str, check: Check | tuple[Check, ...], shown: str | None = None, set_by: str | None = None
) -> Any:
    """Declare one setting of a section (``class Sizing(_Section): sizes: tuple[int, ...] = setting(...)``): its
    default, its one-line meaning and the checks its value must pass, in order (see ``Setting``)."""
    return Setting(default, doc, check if isinstance(check, tuple) else (check,), shown, set_by)


def section_fields(section: type[Any]) -> tuple[Setting, ...]:
    """The settings a section declares, in declaration order."""
    declared: tuple[Setting, ...] = section._settings
    return declared


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(low: int, high: int | None = None) -> Check:
    if high is None:
        return Check(lambda v: _is_int(v) and v >= low,
                     "must be a positive integer" if low == 1 else "must be a non-negative integer")  # fmt: skip
    return Check(lambda v: _is_int(v) and low <= v <= high, f"must be an integer from {low} to {high}")


def _seconds(high: float) -> Check:
    return Check(lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= high,
                 f"must be a number of seconds from 0 to {high:g}")  # fmt: skip


def _member(kind: type[StrEnum], message: str) -> Check:
    return Check(lambda v: isinstance(v, kind), message)


def _optional_name(limit: int, message: str) -> Check:
    return Check(lambda v: v is None or (isinstance(v, str) and v.isprintable() and 0 < len(v) <= limit), message)


def _names(allowed: tuple[str, ...], what: str) -> Check:
    return Check(lambda v: isinstance(v, tuple) and all(item in allowed for item in v) and len(set(v)) == len(v),
                 f"must be distinct {what}")  # fmt: skip


def _ascending(low: int, high: int | None = None) -> tuple[Check, Check]:
    listed = Check(lambda v: isinstance(v, tuple) and len(v) > 0 and all(_is_int(i) for i in v),
                   "must be a non-empty list of integers")  # fmt: skip
    if high is None:
        return listed, Check(lambda v: list(v) == sorted(set(v)), "must be strictly increasing")
    return listed, Check(lambda v: list(v) == sorted(set(v)) and v[0] >= low and v[-1] <= high,
                         f"must be strictly increasing, from {low} to {high}")  # fmt: skip


_FLAG = Check(lambda v: isinstance(v, bool), "must be true or false")
_REGION = Check(lambda v: isinstance(v, str) and v.replace("-", "").isalnum() and 0 < len(v) <= 64,
                "must be an AWS region such as us-east-1")  # fmt: skip
# One folder name that viewer URIs carry as is (unreserved characters) and that no spec token can be (a spec
# starts with a digit, or with "x" and a digit).
_VARIANT_PREFIX = r"(?!x[0-9])[A-Za-z_][A-Za-z0-9_.~-]{0,62}"


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"configuration key {key!r}: {message}")


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(setting,))
class _Section(Immutable):
    """A group of settings, declared as annotated class attributes made by ``setting()``. An instance holds one value
    per setting (keyword arguments, each defaulting to its declaration), is immutable and compares by value.

    On construction every setting's checks run, in declaration order, then the section's own ``_check_together``
    (checks that span its settings). Raises ``ConfigError`` naming the first bad key. No dataclass machinery: a
    section class costs the viewer's cold start nothing beyond its own body.
    """

    _settings: tuple[Setting, ...] = ()

    def __init_subclass__(cls) -> None:
        declared = []
        for name in cls.__dict__.get("__annotations__", {}):  # noqa: RUF063 (inspect is not imported at the edge)
            item = cls.__dict__[name]
            object.__setattr__(item, "name", name)
            declared.append(item)
            delattr(cls, name)
        cls._settings = tuple(declared)

    def __init__(self, **values: Any) -> None:
        for item in self._settings:
            object.__setattr__(self, item.name, values.pop(item.name, item.default))
        if values:
            raise TypeError(f"{type(self).__name__} has no setting {next(iter(values))!r}")
        self._check()

    def _check(self) -> None:
        for item in self._settings:
            value = getattr(self, item.name)
            for check in item.checks:
                _require(check.test(value), item.name, check.message)
        self._check_together()

    def _check_together(self) -> None:
        """Checks spanning several settings of the section (none by default)."""

    def replace(self, **changes: Any) -> Any:
        """A copy with some settings changed, every check run again."""
        return type(self)(**{**self.values(), **changes})

    def values(self) -> dict[str, Any]:
        """Every setting of the section by name."""
        return {item.name: getattr(self, item.name) for item in self._settings}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Section) and type(other) is type(self) and self.values() == other.values()

    __hash__ = None  # type: ignore[assignment]  # holds mappings

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.values().items())
        return f"{type(self).__name__}({shown})"


class Sizing(_Section):
    """Which widths, heights, qualities and formats a URL may ask for (``edge.sizes``, ``edge.negotiate``)."""

    size_policy: SizePolicy = setting(
        default=SizePolicy.SNAP,
        doc="`snap` (round up to the next allowed size), `strict` (only `sizes`, else 400) or `any` (1 to "
        "`max_dimension`).",
        check=_member(SizePolicy, "must be snap, strict or any"),
    )
    sizes: tuple[int, ...] = setting(
        default=DEFAULT_SIZES,
        doc="Allowed widths and heights in px, strictly increasing (for `snap` and `strict`).",
        check=_ascending(1),
        shown=f"{len(DEFAULT_SIZES)} sizes, {DEFAULT_SIZES[0]}…{DEFAULT_SIZES[-1]}",
    )
    max_dimension: int = setting(
        default=4096,
        doc="The largest width or height a URL may ask for, in every policy; above it is a 400.",
        check=_integer(1, 16384),
    )
    qualities: tuple[int, ...] = setting(
        default=DEFAULT_QUALITIES,
        doc="Allowed `q` values; a requested quality snaps up to the next one.",
        check=_ascending(1, 100),
    )
    default_quality: Mapping[str, int] = setting(
        default={"avif": 50, "webp": 80, "jpeg": 80},
        doc="Quality per lossy format when the URL gives none; each one of `qualities`.",
        check=Check(
            lambda v: isinstance(v, Mapping) and set(v) == {"avif", "webp", "jpeg"},
            "must give exactly avif, webp and jpeg",
        ),
    )
    default_format: FormatChoice = setting(
        default=FormatChoice.AUTO,
        doc="`auto` (negotiate from `Accept`) or a fixed `avif`, `webp`, `jpeg`, `png`.",
        check=_member(FormatChoice, "must be auto, avif, webp, jpeg or png"),
    )
    client_hints: bool = setting(
        default=False,
        doc="Accept `w=auto` and `dpr=auto`, filled in from the `Sec-CH-Width`, `Sec-CH-Viewport-Width` and "
        "`Sec-CH-DPR` request headers (`edge.hints`), and name them in `Vary` on every variant response; needs "
        "`size_policy` `snap` or `any`; refused on URLs that need a signature (see [Client "
        "hints](url-api.md#client-hints-wauto-and-dprauto)).",
        check=_FLAG,
    )
    client_hints_fallback_width: int = setting(
        default=640,
        doc="The CSS width `w=auto` stands for when the request has no width hint (Safari, Firefox), multiplied by "
        "`dpr`; at most `max_dimension` when `client_hints` is on.",
        check=_integer(1, 16384),
    )

    def _check_together(self) -> None:
        _require(self.sizes[0] >= 1 and self.sizes[-1] <= self.max_dimension, "sizes",
                 "must lie between 1 and max_dimension")  # fmt: skip
        for name, quality in self.default_quality.items():
            _require(_is_int(quality) and quality in self.qualities, "default_quality",
                     f"{name} quality {quality!r} must be one of qualities")  # fmt: skip
        _require(not (self.client_hints and self.size_policy is SizePolicy.STRICT), "client_hints",
                 "needs size_policy snap or any (under strict a hinted width would be a 400)")  # fmt: skip
        _require(not self.client_hints or self.client_hints_fallback_width <= self.max_dimension,
                 "client_hints_fallback_width", "must be at most max_dimension when client_hints is on")  # fmt: skip
        object.__setattr__(self, "default_quality", MappingProxyType(dict(self.default_quality)))


class UrlPolicy(_Section):
    """Which URLs viewer-request accepts besides the sizes: presets, parameters, colours, other URL spellings."""

    presets: Mapping[str, Mapping[str, str]] = setting(
        default={},
        doc="Named parameter sets for `?preset=NAME` (name `[a-z0-9][a-z0-9_-]{0,63}` to URL parameters, each "
        "validated as a URL would be; `w` or `h` required); a preset shares its variant key with the spelled-out "
        "URL. In the CDK context a JSON object: `-c "
        '\'presets={"thumb":{"w":200,"h":200,"gravity":"attention"}}\'` (see [Presets](url-api.md#presets)).',
        check=Check(lambda v: isinstance(v, Mapping) and len(v) <= 1000, "must be an object of at most 1000 presets"),
        shown="none",
    )
    preset_overrides: tuple[str, ...] = setting(
        default=DEFAULT_PRESET_OVERRIDES,
        doc="Parameters a URL may add to or change in a preset; any other one next to `preset` is a 400.",
        check=_names(PRESET_PARAMETERS, "URL parameter names (w, h, fit, q, format, dpr, ...)"),
    )
    presets_only: bool = setting(
        default=False,
        doc="Refuse (400) every image request that does not use `preset`; origin-response then renders only "
        "requests marked by viewer-request.",
        check=_FLAG,
    )
    allowed_parameters: tuple[str, ...] = setting(
        default=PARAMETERS,
        doc="URL parameters that are enabled (`w,h,fit,q,format,dpr` for resizing only); a disabled one in a URL is a "
        "400 and a preset may not use it; see [Tightening the variant "
        "bound](url-api.md#tightening-the-variant-bound).",
        check=Check(lambda v: isinstance(v, tuple), "must be a list of URL parameter names"),
        shown=f"all {len(PARAMETERS)} parameters",
    )
    backgrounds: tuple[str, ...] = setting(
        default=DEFAULT_BACKGROUNDS,
        doc="`background` colours a URL may ask for (`rrggbb`, lowercase); others are a 400.",
        check=Check(
            lambda v: (
                isinstance(v, tuple)
                and len(v) <= 64
                and len(set(v)) == len(v)
                and all(isinstance(b, str) and len(b) == 6 and all(c in "0123456789abcdef" for c in b) for b in v)
            ),
            "must be at most 64 distinct lowercase rrggbb colours",
        ),
    )
    url_dialects: tuple[str, ...] = setting(
        default=(),
        doc="Other URL spellings viewer-request translates into imgedge's parameters before every check: `thumbor` "
        "(thumbor/SIH paths; needs `variant_prefix`), `sih` (SIH base64 JSON requests), `query_aliases` "
        "(`width`, `height`, `quality`, `greyscale`); see [URL dialects](url-api.md#url-dialects).",
        check=Check(lambda v: isinstance(v, tuple), "must be a list of dialect names"),
    )

    def _check_together(self) -> None:
        normalised = {name: MappingProxyType(_preset_values(name, values)) for name, values in self.presets.items()}
        object.__setattr__(self, "presets", MappingProxyType(normalised))
        _require(not self.presets_only or len(self.presets) > 0, "presets_only", "needs at least one preset")
        allowed = self.allowed_parameters
        for parameter in allowed:
            _require(parameter in PARAMETERS, "allowed_parameters",
                     f"unknown parameter {parameter!r} (known: {', '.join(PARAMETERS)})")  # fmt: skip
            _require(allowed.count(parameter) == 1, "allowed_parameters", f"parameter {parameter!r} is listed twice")
        _require("w" in allowed or "h" in allowed, "allowed_parameters", "must enable w or h")
        _require(not self.presets_only or "preset" in allowed, "allowed_parameters",
                 "must enable preset when presets_only is on")  # fmt: skip
        for name, values in self.presets.items():
            for parameter in values:
                _require(parameter in allowed, "presets",
                         f"preset {name!r} uses {parameter}, which allowed_parameters does not enable")  # fmt: skip
        for dialect in self.url_dialects:
            _require(dialect in URL_DIALECTS, "url_dialects",
                     f"unknown dialect {dialect!r}: use " + ", ".join(URL_DIALECTS))  # fmt: skip
            _require(self.url_dialects.count(dialect) == 1, "url_dialects", f"dialect {dialect!r} is listed twice")


def _parse_origins(value: object) -> tuple[Origin, ...]:
    if isinstance(value, tuple) and not value:
        return ()  # the default, no extra origins: then edge.origins is never imported (the viewer never needs it)
    from edge.origins import OriginsError, parse_origins  # noqa: PLC0415 (see above)

    try:
        return parse_origins(value)
    except OriginsError as err:
        raise ConfigError(f"configuration key 'origins': {err}") from None


class Sources(_Section):
    """Where originals come from, and which keys can be originals."""

    bucket: str | None = setting(
        default=None,
        doc="S3 bucket of originals and variants; unset takes it from the CloudFront origin of each event.",
        check=_optional_name(255, "must be null or a name"),
        set_by="the distribution's S3 origin (left unset)",
    )
    region: str | None = setting(
        default=None,
        doc="The bucket's region; unset takes it from the event's origin.",
        check=_optional_name(255, "must be null or a name"),
        set_by="the distribution's S3 origin (left unset)",
    )
    origins: tuple[Origin, ...] = setting(
        default=(),
        doc="More buckets by key prefix (`edge.origins`): a list of `{prefix, bucket, region}`; an original whose key "
        "starts with a prefix lives in that bucket under its full key, and so do its variants. Prefixes are "
        "non-empty, end with `/` and do not overlap (see [Several origins](deploy.md#several-origins)).",
        check=Check(lambda v: isinstance(v, tuple), "must be a list of {prefix, bucket, region} objects"),
        shown="none",
        set_by="`extra_origins`",
    )
    source_extensions: tuple[str, ...] = setting(
        default=DEFAULT_SOURCE_EXTENSIONS,
        doc="Extensions an original may have, in the order origin-response tries them (when two originals differ "
        "only by extension, the earliest wins).",
        check=Check(
            lambda v: (
                isinstance(v, tuple)
                and 0 < len(v) <= 12
                and len(set(v)) == len(v)
                and all(isinstance(e, str) and e.isascii() and e.isalnum() and e == e.lower() for e in v)
            ),
            "must be 1 to 12 distinct lowercase alphanumeric extensions",
        ),
    )

    def _check(self) -> None:
        object.__setattr__(self, "origins", _parse_origins(self.origins))
        super()._check()


class Storage(_Section):
    """How variants are stored in S3 (``edge.keys``, ``edge.store``)."""

    variant_prefix: str = setting(
        default="",
        doc="One top-level folder for every variant (`_v`: `/_v/photos/cat/300.avif`), where nothing is ever an "
        "original; set it when originals live under folders named like sizes (`2024/`, `300/`, numeric ids). "
        "Empty: `/300/photos/cat.avif`. A letter or `_`, then letters, digits, `_ . ~ -`; never spec-shaped "
        "(see [Variant keys](url-api.md#variant-keys)).",
        check=Check(
            lambda v: isinstance(v, str) and (v == "" or re.fullmatch(_VARIANT_PREFIX, v) is not None),
            "must be empty or one folder name: a letter or _, then letters, digits, _ . ~ - (at most 63; not x<digit>)",
        ),
        shown="empty",
    )
    tag_variants: bool = setting(
        default=False,
        doc="Tag stored variants `imgedge=variant` (needs `s3:PutObjectTagging`), for lifecycle rules that treat "
        "variants apart.",
        check=_FLAG,
        set_by="on unless `bucket_versioned=false` and no `variant_expiry_days`",
    )
    s3_max_attempts: int = setting(
        default=3,
        doc="Attempts per S3 call (botocore standard retry mode, with backoff): with the timeouts below, a GET and a "
        "PUT that both exhaust their retries fit in the 30 s origin-response timeout.",
        check=_integer(1),
    )
    s3_connect_timeout: float = setting(default=1.0, doc="Seconds to connect to S3.", check=_seconds(30))
    s3_read_timeout: float = setting(default=3.0, doc="Seconds to wait for S3 to answer.", check=_seconds(30))


class Responses(_Section):
    """What the functions answer: cache lifetimes, ``Vary``, the size of an inline response."""

    cache_control: str = setting(
        default="public, max-age=31536000, immutable",
        doc="`Cache-Control` of stored and served variants.",
        check=Check(
            lambda v: isinstance(v, str) and v.isprintable() and 0 < len(v) <= 200, "must be a printable header value"
        ),
    )
    error_max_age: int = setting(
        default=60, doc="Seconds a 4xx answer (bad URL, bad original) may be cached.", check=_integer(0)
    )
    missing_max_age: int = setting(
        default=60,
        doc="Seconds a 404 for a missing original may be cached (also CloudFront's 404 error-caching TTL).",
        check=_integer(0),
    )
    vary_accept: bool = setting(
        default=True,
        doc="Send `Vary: Accept` on every variant response, so a shared cache in front keeps `format=auto`'s formats "
        "apart; turn off behind a CDN that will not cache such responses (see [Caching and "
        "revalidation](url-api.md#caching-and-revalidation)).",
        check=_FLAG,
    )
    max_response_bytes: int = setting(
        default=1_000_000,
        doc="The budget of an inline origin-response (Lambda@Edge: 1 MB for headers and the base64 body); larger "
        "variants are stored and the viewer is redirected.",
        check=_integer(1),
    )


class Limits(_Section):
    """Which originals are rendered at all: size, pixels, and the memory one render may use."""

    max_source_bytes: int = setting(
        default=32 * 1024 * 1024,
        doc="Originals larger than this are refused (422) without being read in full.",
        check=_integer(1),
        shown="`33554432` (32 MiB)",
    )
    max_source_pixels: int = setting(
        default=100_000_000,
        doc="Originals whose header declares more pixels are refused (422) before decoding.",
        check=_integer(1),
    )
    memory_mb: int = setting(
        default=1536,
        doc="The origin-response function's memory in MB: `edge.render.budget` derives one render's memory budget from "
        "it, and originals that would not fit are refused (422) before decoding.",
        check=_integer(128, 10_240),
        set_by="`origin_response_memory_mb`",
    )
    max_frames: int = setting(
        default=300,
        doc="An animated original (GIF, WebP, APNG, AVIF) with more frames is rendered as its first frame (WebP "
        "and AVIF outputs; JPEG and PNG are always the first frame); the response says so in `x-imgedge-animation`.",
        check=_integer(1, 10_000),
    )
    max_animation_pixels: int = setting(
        default=150_000_000,
        doc="Likewise for more decoded pixels in all (frames x width x height), checked before the frames are decoded.",
        check=_integer(1),
    )


class Signing(_Section):
    """Signed URLs (``edge.signing``)."""

    signature_mode: SignatureMode = setting(
        default=SignatureMode.OFF,
        doc="Signed URLs: `off`, `required` (every request with image parameters needs a valid `s`, else 403) or "
        "`outside-presets` (only URLs without `preset`); see [Signed URLs](url-api.md#signed-urls).",
        check=_member(SignatureMode, "must be off, required or outside-presets"),
    )
    signature_secret_id: str | None = setting(
        default=None,
        doc="Secrets Manager secret (name or ARN) holding the signing key(s); needed unless `signature_mode` is `off`. "
        "The CDK construct grants the viewer-request role `secretsmanager:GetSecretValue` on it alone.",
        check=_optional_name(2048, "must be null or a secret name or ARN"),
    )
    signature_secret_region: str = setting(default="us-east-1", doc="Region of the signing secret.", check=_REGION)
    signature_secret_ttl: int = setting(
        default=300, doc="Seconds each viewer-request container caches the signing keys.", check=_integer(1, 86_400)
    )

    def _check_together(self) -> None:
        _require(self.signature_mode is SignatureMode.OFF or self.signature_secret_id is not None,
                 "signature_secret_id", "is required when signature_mode is not off")  # fmt: skip


class Faces(_Section):
    """``gravity=face`` (``edge.faces``: Amazon Rekognition DetectFaces, called from origin-response)."""

    faces_enabled: bool = setting(
        default=False,
        doc="Allow `gravity=face`; off, it is a 400 (never silently another crop) and a preset may not use it.",
        check=_FLAG,
    )
    faces_region: str = setting(default="us-east-1", doc="Region of the Rekognition endpoint.", check=_REGION)
    faces_min_confidence: float = setting(
        default=90.0,
        doc="Faces Rekognition reports with a lower confidence (percent) are ignored.",
        check=Check(
            lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 100,
            "must be a number from 0 to 100",
        ),
    )


class Watermarking(_Section):
    """The watermark overlaid on variants (``edge.watermarks``), and what an original without parameters gets."""

    watermark: str | None = setting(
        default=None,
        doc="S3 key (bucket of the originals) of an image overlaid on every variant that shows the source above "
        "thumbnail resolution; with it, an original is never served unrendered (see "
        "[Watermark](url-api.md#watermark)).",
        check=Check(
            lambda v: (
                v is None or (isinstance(v, str) and v.isprintable() and 0 < len(v) <= 1024 and not v.startswith("/"))
            ),
            "must be null or an S3 key (no leading slash)",
        ),
    )
    watermark_position: Gravity = setting(
        default=Gravity.SOUTHEAST,
        doc="Where the watermark goes: `centre` or a compass direction.",
        check=Check(
            lambda v: isinstance(v, Gravity) and v in COMPASS_FOCUS,
            "must be centre or a compass direction (north, southeast, ...)",
        ),
    )
    watermark_margin: int = setting(
        default=16, doc="Pixels between the watermark and the edges it is placed against.", check=_integer(0, 1000)
    )
    watermark_opacity: int = setting(default=60, doc="Watermark opacity in percent.", check=_integer(1, 100))
    watermark_width: int = setting(
        default=20,
        doc="Watermark width as a percentage of the output's width (never enlarged).",
        check=_integer(1, 100),
    )
    watermark_min_width: int = setting(
        default=400,
        doc="The thumbnail bound T (px): an output gets no watermark only when the whole upright source at the "
        "output's scale is narrower and shorter than T (`edge.watermarks.Watermark.covers`).",
        check=_integer(1, 16384),
    )
    watermark_passthrough: str = setting(
        default="rendition",
        doc="With a watermark, a URL without image parameters gets the default rendition (`rendition`), or `deny` "
        "(403).",
        check=Check(lambda v: v in WATERMARK_PASSTHROUGH, "must be rendition or deny"),
    )
    watermark_rendition: str = setting(
        default="w=1280&h=1280&fit=inside",
        doc="Image parameters (a query string) of that default rendition; a query viewer-request accepts "
        "(`preset=NAME` with `presets_only`).",
        check=Check(
            lambda v: isinstance(v, str) and v.isascii() and v.isprintable() and 0 < len(v) <= 512,
            "must be a query string such as w=1280",
        ),
    )


class Warming(_Section):
    """The variants prepared before any viewer asks (``edge.warming``): rendered into the bucket when an original
    arrives (the purge-on-change function) or by ``imgedge warm``."""

    warm_renditions: tuple[str, ...] = setting(
        default=(),
        doc="Image parameters (viewer query strings: `w=320`, `w=640&format=webp`, `preset=thumb`) rendered into the "
        "bucket when an original arrives, each a query viewer-request accepts; `format=auto` (the default) warms "
        "every format negotiation can pick. Non-empty: the purge-on-change function is deployed with Pillow and "
        "warms (created bucket only; see [Warming](deploy.md#warming)). In the CDK context a JSON list.",
        check=Check(
            lambda v: (
                isinstance(v, tuple)
                and len(set(v)) == len(v)
                and all(isinstance(q, str) and q.isascii() and q.isprintable() and 0 < len(q) <= 512 for q in v)
            ),
            "must be a list of distinct query strings such as w=320",
        ),
        shown="none",
    )
    warm_max_renditions: int = setting(
        default=12,
        doc="The most variants `warm_renditions` may give one original (each format `format=auto` warms counts).",
        check=_integer(1, 50),
    )

    def _check_together(self) -> None:
        # Each rendition gives at least one variant; edge.rewrite.check_warm_renditions counts the formats too.
        _require(len(self.warm_renditions) <= self.warm_max_renditions, "warm_renditions",
                 f"lists more renditions than warm_max_renditions ({self.warm_max_renditions})")  # fmt: skip


#: The sections of ``Config``: attribute name and class, in the order the docs list them.
SECTIONS: tuple[tuple[str, type[_Section]], ...] = (
    ("sizing", Sizing),
    ("url", UrlPolicy),
    ("sources", Sources),
    ("storage", Storage),
    ("responses", Responses),
    ("limits", Limits),
    ("signing", Signing),
    ("faces", Faces),
    ("watermarking", Watermarking),
    ("warming", Warming),
)
#: Each setting's name (its JSON key) -> the attribute name of its section.
SECTION_OF: dict[str, str] = {
    declared.name: attribute for attribute, section in SECTIONS for declared in section_fields(section)
}


@dataclass(frozen=True)
class Config:
    """The validated configuration: one frozen section per concern, every setting with a safe default.

    The JSON form is flat (a setting's name is its key; names are unique across sections). Construction checks
    every setting, then each section's own cross-checks, then those spanning sections here; it raises
    ``ConfigError`` naming the first bad key. ``Config.of`` builds from settings by name.
    """

    sizing: Sizing = field(default_factory=Sizing)
    url: UrlPolicy = field(default_factory=UrlPolicy)
    sources: Sources = field(default_factory=Sources)
    storage: Storage = field(default_factory=Storage)
    responses: Responses = field(default_factory=Responses)
    limits: Limits = field(default_factory=Limits)
    signing: Signing = field(default_factory=Signing)
    faces: Faces = field(default_factory=Faces)
    watermarking: Watermarking = field(default_factory=Watermarking)
    warming: Warming = field(default_factory=Warming)

    def __post_init__(self) -> None:
        prefix = self.storage.variant_prefix
        # thumbor's /300x200/photos/cat.jpg is also the default layout's key of a stored JPEG variant: only under
        # variant_prefix are the two namespaces apart.
        _require(
            "thumbor" not in self.url.url_dialects or bool(prefix),
            "url_dialects",
            "thumbor needs variant_prefix (its /300x200/cat.jpg is a variant key in the default layout)",
        )
        for origin in self.sources.origins:
            _require(not (prefix and origin.prefix.startswith(prefix + "/")), "variant_prefix",
                     f"origins prefix {origin.prefix!r} lies under variant_prefix (no original may)")  # fmt: skip
        mark = self.watermarking.watermark
        _require(not (prefix and mark and mark.startswith(prefix + "/")), "variant_prefix",
                 "the watermark lies under variant_prefix (no original may)")  # fmt: skip
        for name, values in self.url.presets.items():
            _require(self.faces.faces_enabled or values.get("gravity") != Gravity.FACE.value, "presets",
                     f"preset {name!r} uses gravity=face, which needs faces_enabled")  # fmt: skip

    @classmethod
    def of(cls, **settings: Any) -> Config:
        """Build from settings by name, as Python values (``Config.of(variant_prefix="_v", sizes=(320, 640))``):
        each goes to its section. Raises ``ConfigError`` for an unknown name or an invalid value."""
        grouped = _by_section(settings)
        sections: dict[str, Any] = {attr: section(**grouped[attr]) for attr, section in SECTIONS if attr in grouped}
        return cls(**sections)

    def replace(self, **settings: Any) -> Config:
        """A copy with the named settings changed (as ``of`` takes them), every check run again."""
        grouped = _by_section(settings)
        return replace(self, **{attribute: getattr(self, attribute).replace(**values)
                                for attribute, values in grouped.items()})  # fmt: skip

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Config:
        """Build from JSON-like data (flat keys); unknown keys and wrong types raise ``ConfigError`` naming the key.

        Lists become tuples, names of choices become their enums, ``origins`` entries become ``Origin``s."""
        if not isinstance(data, Mapping):
            raise ConfigError("configuration must be a JSON object")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in SECTION_OF:
                raise ConfigError(f"unknown configuration key {key!r}")
            values[key] = _coerce(key, value)
        return cls.of(**values)

    def settings(self) -> dict[str, Any]:
        """Every setting by name, as held (tuples, enums, read-only mappings)."""
        return {name: getattr(getattr(self, attribute), name) for name, attribute in SECTION_OF.items()}

    def to_json(self) -> str:
        """The JSON form ``from_mapping`` reads back to an equal ``Config``."""
        data = self.settings()
        data["default_quality"] = dict(self.sizing.default_quality)
        data["presets"] = {name: dict(values) for name, values in self.url.presets.items()}
        from edge.origins import origins_json  # noqa: PLC0415 (edge.origins stays out of the viewer's imports)

        data["origins"] = origins_json(self.sources.origins)
        return json.dumps(data, indent=2, sort_keys=True)


def _by_section(settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = {}
    for name, value in settings.items():
        if name not in SECTION_OF:
            raise ConfigError(f"unknown configuration key {name!r}")
        grouped.setdefault(SECTION_OF[name], {})[name] = value
    return grouped


def _coerce(key: str, value: Any) -> Any:
    """A JSON value as its setting holds it, by the kind of the setting's default."""
    if key == "origins":
        return _parse_origins(value)
    default = default_of(key)
    try:
        if isinstance(default, StrEnum):
            return type(default)(value)
        if isinstance(default, tuple):
            if not isinstance(value, list | tuple):
                raise TypeError
            return tuple(value)
        if isinstance(default, Mapping):
            if not isinstance(value, Mapping):
                raise TypeError
            return dict(value)
    except (TypeError, ValueError):
        raise ConfigError(f"invalid value for configuration key {key!r}: {value!r}") from None
    return value


def default_of(name: str) -> object:
    """The declared default of the setting ``name`` (a key of ``SECTION_OF``); ``KeyError`` for another name."""
    return next(item.default for item in section_fields(dict(SECTIONS)[SECTION_OF[name]]) if item.name == name)


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
