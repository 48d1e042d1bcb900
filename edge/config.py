"""The configuration shared by both edge functions.

Lambda@Edge has no environment variables, so the configuration is a JSON file bundled with the functions
(``imgedge-config.json`` at the bundle root, written by the CDK app from its construct properties). ``load_config``
reads it once per container; every key is optional and has the documented default below. Locally, the
``IMGEDGE_CONFIG`` environment variable may name another file (it is never set at the edge).

``Config.from_mapping`` validates every key and raises ``ConfigError`` naming the first bad one.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from edge.errors import ConfigError
from edge.options import FormatChoice

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
DEFAULT_SOURCE_EXTENSIONS: tuple[str, ...] = ("jpg", "jpeg", "png", "webp", "avif", "gif", "tif", "tiff")
# The object tag origin-response puts on every variant it stores when ``tag_variants`` is on, so that an S3
# lifecycle rule filtered on it can expire variants without ever touching an original.
VARIANT_TAG_KEY = "imgedge"
VARIANT_TAG_VALUE = "variant"


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

    def __post_init__(self) -> None:
        _validate(self)
        # A read-only view, so that a frozen Config cannot be changed through its one mapping either.
        object.__setattr__(self, "default_quality", MappingProxyType(dict(self.default_quality)))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "Config":
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
        return json.dumps(data, indent=2, sort_keys=True)


def _coerce(key: str, value: Any) -> Any:
    enums: dict[str, type[StrEnum]] = {"size_policy": SizePolicy, "default_format": FormatChoice}
    try:
        if key in enums:
            return enums[key](value)
        if key in ("sizes", "qualities", "source_extensions"):
            if not isinstance(value, list | tuple):
                raise TypeError
            return tuple(value)
        if key == "default_quality":
            if not isinstance(value, Mapping):
                raise TypeError
            return dict(value)
    except (TypeError, ValueError):
        raise ConfigError(f"invalid value for configuration key {key!r}: {value!r}") from None
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"configuration key {key!r}: {message}")


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
    for key in ("bucket", "region"):
        value = getattr(config, key)
        _require(
            value is None or (isinstance(value, str) and value.isprintable() and 0 < len(value) <= 255),
            key,
            "must be null or a name",
        )


def bundled_config_path() -> Path:
    """Where the bundled configuration lives: beside the ``edge`` package, at the root of the function bundle."""
    return Path(__file__).resolve().parent.parent / CONFIG_FILE_NAME


@cache
def load_config() -> Config:
    """The container's configuration, read once: ``$IMGEDGE_CONFIG``, else the bundled file, else defaults.

    Raises ``ConfigError`` (naming the key) for an invalid file; the function then fails at its first request,
    which CloudFront reports as a 5xx, and the CDK app runs the same validation at synth so it never deploys.
    """
    path_text = os.environ.get(CONFIG_ENV_VAR)
    path = Path(path_text) if path_text else bundled_config_path()
    if not path.is_file():
        if path_text:
            raise ConfigError(f"{CONFIG_ENV_VAR} names {path_text!r}, which is not a file")
        return Config()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc}") from None
    return Config.from_mapping(data)
