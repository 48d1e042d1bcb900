"""The typed, frozen settings of the ``ImageEdge`` construct, and how CDK context becomes them.

Every setting a deployer may change is a field of ``ImageEdgeProps``; the image-policy fields carry the very names
and defaults of ``edge.config.Config`` (the JSON bundled into both edge functions), so a context key, a property
and a configuration key are one name. Construction validates everything: the image policy by building the same
``Config`` the functions will load (so a value the functions would refuse fails synth, naming the key), the
deployment settings here. Errors are ``PropsError`` naming the setting.

This module itself needs only the standard library and ``edge.config`` (no aws_cdk), so its rules are plain
Python; the package ``__init__`` re-exports the constructs too, so importing it through the package loads aws_cdk.
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Literal

from edge.config import SECTION_OF, SECTIONS, Config, default_of, section_fields
from edge.errors import ConfigError
from edge.rewrite import check_rendition, check_warm_renditions
from imgedge_cdk.origin_props import ExtraOrigin, ExtraOriginError, check_extra_origins, parse_extra_origins

SizePolicyName = Literal["snap", "strict", "any"]
FormatName = Literal["auto", "avif", "webp", "jpeg", "png"]


# Lambda@Edge limits (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html):
# origin-facing events allow the full Lambda memory range; viewer events are fixed at 128 MB / 5 s by the construct.
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240
# 1,769 MB is one full vCPU in Lambda; 1,536 MB buys ~0.87 vCPU and the headroom to decode a 100 MP original
# (100e6 px x 4 bytes RGBA = 400 MB for the decoded image, plus the resized copy and the encoder's buffers).
DEFAULT_ORIGIN_MEMORY_MB = 1536
# The values CloudWatch Logs accepts for RetentionInDays.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
# WAF rate-based rule limits (requests per IP per 5-minute window). AWS lowered the minimum from 100 to 10;
# 100 is accepted everywhere and anything lower would block a single page of thumbnails.
MIN_RATE_LIMIT = 100
MAX_RATE_LIMIT = 2_000_000_000
ONE_DAY = 86_400
ONE_YEAR = 31_536_000

_BUCKET_NAME = re.compile(r"^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
_DOMAIN = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_WEB_ACL_ARN = re.compile(r"^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global/webacl/[\w-]{1,128}/[0-9a-f-]{36}$")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:us-east-1:\d{12}:[\w-]{1,256}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WAF_LOGGING_DESTINATIONS: tuple[str, ...] = ("off", "cloudwatch", "s3")
_CERT_ARN = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")


CONSTRUCT_SET: dict[str, str] = {
    declared.name: str(declared.set_by)
    for _, section in SECTIONS
    for declared in section_fields(section)
    if declared.set_by is not None
}
"""The image settings the construct writes itself, each with what sets it (never a property or a context key)."""
IMAGE_SETTING_NAMES: tuple[str, ...] = tuple(name for name in SECTION_OF if name not in CONSTRUCT_SET)
"""The image settings a deployment chooses: each is a CDK context key (``edge.config``'s name for it)."""


class PropsError(ValueError):
    """An invalid imgedge setting; the message names the setting (which is also its CDK context key)."""


class PriceClass(StrEnum):
    """CloudFront price class: which edge locations serve viewers (``PriceClass_100`` is the cheapest)."""

    PRICE_CLASS_100 = "PriceClass_100"
    PRICE_CLASS_200 = "PriceClass_200"
    PRICE_CLASS_ALL = "PriceClass_All"


def _doc(text: str, *, default: str) -> dict[str, str]:
    """A setting's documentation: its one-line meaning and how its default reads in the settings table
    (``imgedge_cdk.application.settings_table``), the single source of that table in docs/configuration.md."""
    return {"doc": text, "default": default}


@dataclass(frozen=True)
class ImageEdgeProps:
    """Settings of one imgedge deployment; every field has a safe default and is validated on construction.

    Raises ``PropsError`` naming the first bad setting. ``to_config()`` gives the ``Config`` bundled into both
    edge functions. Field metadata ``doc`` is the one-line description used in the deploy docs.
    """

    # --- bucket -------------------------------------------------------------------------------------------
    bucket_name: str | None = field(
        default=None,
        metadata=_doc(
            "Import this existing bucket (originals already in S3) instead of creating one.",
            default="unset (create a bucket)",
        ),
    )
    bucket_region: str | None = field(
        default=None,
        metadata=_doc(
            "Region of the imported bucket (default: the stack's region, us-east-1).",
            default="stack region",
        ),
    )
    bucket_versioned: bool | None = field(
        default=None,
        metadata=_doc(
            "Versioning of the created bucket: on unless `false`, so an overwritten or deleted original can "
            "be recovered (see [Versioning](operate.md#versioning)); not allowed with `bucket_name` (the "
            "output `ImportedBucketVersioning` says how to turn it on there).",
            default="unset (on)",
        ),
    )
    noncurrent_version_expiry_days: int = field(
        default=30,
        metadata=_doc(
            "Days an overwritten or deleted original's old version is kept; a variant's old version (tagged "
            "`imgedge=variant`) is kept 1 day.",
            default="`30`",
        ),
    )
    extra_origins: tuple[ExtraOrigin, ...] = field(
        default=(),
        metadata=_doc(
            "More buckets by path prefix: JSON list of `{prefix, bucket_name, bucket_region, create}` (see "
            "[Deploying several origins](deploy.md#deploying-several-origins)).",
            default="`[]`",
        ),
    )
    # --- image policy: the edge configuration, declared in edge.config -------------------------------------
    image: Config = field(
        default_factory=Config,
        metadata=_doc(
            "The image policy bundled into both functions (`edge.config.Config`, one key per image setting; "
            '`Config.of(sizes=(320, 640), variant_prefix="_v")`). The construct sets '
            + ", ".join(f"`{name}`" for name in CONSTRUCT_SET)
            + " itself.",
            default="each image setting at its default",
        ),
    )
    # --- CloudFront -----------------------------------------------------------------------------------------
    cdn_default_ttl: int = field(
        default=ONE_DAY,
        metadata=_doc(
            "Cache policy default TTL (s), for responses without `Cache-Control`. Min TTL is always 0.",
            default="`86400`",
        ),
    )
    cdn_max_ttl: int = field(
        default=ONE_YEAR,
        metadata=_doc(
            "Cache policy maximum TTL (s); caps `max-age`.",
            default="`31536000`",
        ),
    )
    price_class: PriceClass = field(
        default=PriceClass.PRICE_CLASS_100,
        metadata=_doc(
            "`PriceClass_100` (North America, Europe, Israel), `PriceClass_200` or `PriceClass_All`.",
            default="`PriceClass_100`",
        ),
    )
    domain_names: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "Custom domain names (CNAMEs) of the distribution; needs `certificate_arn`.",
            default="none",
        ),
    )
    certificate_arn: str | None = field(
        default=None,
        metadata=_doc(
            "ACM certificate **in us-east-1** covering `domain_names` (then TLSv1.2_2021 minimum).",
            default="unset",
        ),
    )
    access_logging: bool = field(
        default=False,
        metadata=_doc(
            "Create a log bucket for CloudFront standard logs and S3 server access logs (90-day expiry).",
            default="`false`",
        ),
    )
    waf: str = field(
        default="create",
        metadata=_doc(
            "`create` (the stack's web ACL), `none`, or the ARN of an existing CLOUDFRONT-scope web ACL to "
            "attach; see [WAF](operate.md#waf).",
            default="`create`",
        ),
    )
    waf_rate_limit: int = field(
        default=2000,
        metadata=_doc(
            "WAF rate rule: requests that can cause a render (an image parameter in the query, a spec-shaped "
            "first path segment, or not GET/HEAD) per client IP per 5 minutes before blocking; the "
            "arithmetic is in [WAF](operate.md#the-rate-rule).",
            default="`2000`",
        ),
    )
    waf_logging: str = field(
        default="off",
        metadata=_doc(
            "WAF logs: `off`, `cloudwatch` (log group `aws-waf-logs-<stack>`, `log_retention_days`) or `s3` "
            "(bucket `aws-waf-logs-<account>-<stack>`, 90-day expiry); paid, see "
            "[WAF](operate.md#waf-logging).",
            default="`off`",
        ),
    )
    # --- monitoring -----------------------------------------------------------------------------------------
    cloudfront_additional_metrics: bool = field(
        default=True,
        metadata=_doc(
            "CloudFront additional metrics (cache hit rate, origin latency, per-status error rates), billed "
            "as CloudWatch custom metrics (about $2.40 per distribution per month; see "
            "[Dashboard](operate.md#dashboard)).",
            default="`true`",
        ),
    )
    monitoring_regions: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "Regions whose origin-response metrics the dashboard shows and whose edge log groups get "
            "`log_retention_days`.",
            default="the price class's regions",
        ),
    )
    alarm_email: str | None = field(
        default=None,
        metadata=_doc(
            "Create an SNS topic for the alarms and subscribe this address (confirm the e-mail AWS sends).",
            default="unset",
        ),
    )
    alarm_topic_arn: str | None = field(
        default=None,
        metadata=_doc(
            "Notify this existing SNS topic (us-east-1) from every alarm.",
            default="unset",
        ),
    )
    alarm_server_error_percent: float = field(
        default=1.0,
        metadata=_doc(
            "Alarm when CloudFront's 5xx error rate over 5 minutes exceeds this percentage.",
            default="`1.0`",
        ),
    )
    alarm_origin_errors: int = field(
        default=5,
        metadata=_doc(
            "Alarm when Lambda@Edge execution errors, invalid responses and throttles (all regions) exceed "
            "this in 5 minutes.",
            default="`5`",
        ),
    )
    alarm_waf_blocked: int = field(
        default=1000,
        metadata=_doc(
            "Alarm when the stack's WAF blocks more than this many requests in 5 minutes.",
            default="`1000`",
        ),
    )
    # --- functions and storage ------------------------------------------------------------------------------
    origin_response_memory_mb: int = field(
        default=DEFAULT_ORIGIN_MEMORY_MB,
        metadata=_doc(
            "Memory of the origin-response function (CPU scales with it; 1769 MB = 1 vCPU).",
            default="`1536`",
        ),
    )
    log_retention_days: int = field(
        default=30,
        metadata=_doc(
            "Retention of the functions' log groups, in us-east-1 and (custom resource) in every region of "
            "`monitoring_regions` (a CloudWatch Logs retention value).",
            default="`30`",
        ),
    )
    variant_expiry_days: int | None = field(
        default=None,
        metadata=_doc(
            "Expire stored variants after N days (lifecycle rule on the tag `imgedge=variant`; originals untouched).",
            default="unset",
        ),
    )
    purge_on_change: bool = field(
        default=False,
        metadata=_doc(
            "Deploy the purge-on-change function: when an original is overwritten or deleted, its variants "
            "are deleted and invalidated (created bucket only; see [Purge on "
            "change](deploy.md#purge-on-change)).",
            default="`false`",
        ),
    )

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def imports_bucket(self) -> bool:
        """True when the deployment uses an existing bucket rather than creating one."""
        return self.bucket_name is not None

    @property
    def versioned(self) -> bool:
        """Whether the buckets the stack creates are versioned (``bucket_versioned`` unset means yes)."""
        return self.bucket_versioned is not False and not self.imports_bucket

    @property
    def tag_variants(self) -> bool:
        """Whether stored variants are tagged ``imgedge=variant``: needed, and only needed, by the lifecycle rules
        that treat variants apart (variant expiry, and the 1-day expiry of variants' noncurrent versions, which the
        imported-bucket advice includes too); off only with ``bucket_versioned=false`` and no variant expiry."""
        return self.variant_expiry_days is not None or self.bucket_versioned is not False

    def to_config(self) -> Config:
        """The configuration bundled into both functions: ``image`` with the settings the construct sets itself
        (``memory_mb``, ``tag_variants``, ``origins``); raises ``PropsError`` naming a bad image setting.

        ``bucket`` and ``region`` stay unset: the functions read them from the CloudFront origin of each event, so
        the configuration does not depend on the (token) name of a created bucket.
        """
        try:
            config = self.image.replace(
                memory_mb=self.origin_response_memory_mb,  # the render's memory budget (edge.render.budget)
                tag_variants=self.tag_variants,
                origins=tuple(origin.to_origin() for origin in self.extra_origins),
            )
            check_rendition(config)
            check_warm_renditions(config)
        except (ConfigError, ValueError, TypeError) as exc:
            raise PropsError(f"invalid imgedge setting: {exc}") from None
        return config


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise PropsError(f"imgedge setting {key!r}: {message}")


def _validate(props: ImageEdgeProps) -> None:
    name = props.bucket_name
    _require(name is None or (isinstance(name, str) and bool(_BUCKET_NAME.match(name))), "bucket_name",
             "must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)")  # fmt: skip
    region = props.bucket_region
    _require(region is None or (isinstance(region, str) and bool(_REGION.match(region))), "bucket_region",
             "must be an AWS region such as eu-west-1")  # fmt: skip
    _require(region is None or name is not None, "bucket_region", "only applies with bucket_name")
    _require(props.bucket_versioned is None or isinstance(props.bucket_versioned, bool), "bucket_versioned",
             "must be true, false or null")  # fmt: skip
    _require(_is_int(props.noncurrent_version_expiry_days) and 1 <= props.noncurrent_version_expiry_days <= 36_500,
             "noncurrent_version_expiry_days", "must be a number of days from 1 to 36500")  # fmt: skip
    try:
        check_extra_origins(props.extra_origins, name)
    except ExtraOriginError as err:
        raise PropsError(f"imgedge setting 'extra_origins': {err}") from None
    _require(not (props.bucket_versioned and name is not None), "bucket_versioned",
             "only applies to a created bucket (configure versioning on an imported bucket yourself)")  # fmt: skip
    for key in ("cdn_default_ttl", "cdn_max_ttl"):
        value = getattr(props, key)
        _require(_is_int(value) and 0 <= value <= ONE_YEAR, key, f"must be 0 to {ONE_YEAR} seconds")
    _require(props.cdn_default_ttl <= props.cdn_max_ttl, "cdn_default_ttl", "must not exceed cdn_max_ttl")
    _require(isinstance(props.price_class, PriceClass) or props.price_class in set(PriceClass), "price_class",
             "must be PriceClass_100, PriceClass_200 or PriceClass_All")  # fmt: skip
    domains = props.domain_names
    _require(isinstance(domains, tuple) and all(isinstance(d, str) and _DOMAIN.match(d) for d in domains)
             and len(set(domains)) == len(domains), "domain_names",
             "must be distinct lowercase DNS names (optionally *.wildcard)")  # fmt: skip
    cert = props.certificate_arn
    _require(cert is None or (isinstance(cert, str) and bool(_CERT_ARN.match(cert))), "certificate_arn",
             "must be an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from there)")  # fmt: skip
    _require(bool(domains) == (cert is not None), "certificate_arn",
             "domain_names and certificate_arn go together: give both or neither")  # fmt: skip
    _require(isinstance(props.access_logging, bool), "access_logging", "must be true or false")
    _require(_is_int(props.waf_rate_limit) and MIN_RATE_LIMIT <= props.waf_rate_limit <= MAX_RATE_LIMIT,
             "waf_rate_limit", f"must be an integer from {MIN_RATE_LIMIT} to {MAX_RATE_LIMIT}")  # fmt: skip
    _require(props.waf in ("create", "none") or bool(_WEB_ACL_ARN.match(props.waf)), "waf",
             "must be create, none or the ARN of a CLOUDFRONT-scope web ACL "
             "(arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)")  # fmt: skip
    _require(props.waf_logging in WAF_LOGGING_DESTINATIONS, "waf_logging",
             f"must be one of {', '.join(WAF_LOGGING_DESTINATIONS)}")  # fmt: skip
    _require(props.waf_logging == "off" or props.waf == "create", "waf_logging",
             "only applies to the web ACL the stack creates (waf=create)")  # fmt: skip
    _require(isinstance(props.cloudfront_additional_metrics, bool), "cloudfront_additional_metrics",
             "must be true or false")  # fmt: skip
    regions = props.monitoring_regions
    _require(isinstance(regions, tuple) and all(isinstance(r, str) and _REGION.match(r) for r in regions)
             and len(set(regions)) == len(regions), "monitoring_regions",
             "must be distinct AWS regions such as eu-west-1")  # fmt: skip
    email = props.alarm_email
    _require(email is None or (isinstance(email, str) and bool(_EMAIL.match(email))), "alarm_email",
             "must be an email address")  # fmt: skip
    topic = props.alarm_topic_arn
    _require(topic is None or (isinstance(topic, str) and bool(_TOPIC_ARN.match(topic))), "alarm_topic_arn",
             "must be an SNS topic ARN in us-east-1")  # fmt: skip
    rate = props.alarm_server_error_percent
    _require(isinstance(rate, int | float) and not isinstance(rate, bool) and 0 < rate <= 100,
             "alarm_server_error_percent", "must be a percentage above 0 and at most 100")  # fmt: skip
    for key in ("alarm_origin_errors", "alarm_waf_blocked"):
        value = getattr(props, key)
        _require(_is_int(value) and value >= 1, key, "must be a whole number of at least 1")
    memory = props.origin_response_memory_mb
    _require(_is_int(memory) and MIN_MEMORY_MB <= memory <= MAX_MEMORY_MB, "origin_response_memory_mb",
             f"must be an integer from {MIN_MEMORY_MB} to {MAX_MEMORY_MB} (MB)")  # fmt: skip
    _require(props.log_retention_days in LOG_RETENTION_DAYS and _is_int(props.log_retention_days),
             "log_retention_days", f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}")  # fmt: skip
    days = props.variant_expiry_days
    _require(days is None or (_is_int(days) and 1 <= days <= 36_500), "variant_expiry_days",
             "must be null or a number of days from 1 to 36500")  # fmt: skip
    _require(isinstance(props.purge_on_change, bool), "purge_on_change", "must be true or false")
    _require(not (props.purge_on_change and name is not None), "purge_on_change",
             "only applies to a created bucket (imported bucket: see docs/deploy.md, Purge on change)")  # fmt: skip
    _require(not (props.image.warming.warm_renditions and name is not None), "warm_renditions",
             "only applies to a created bucket (imported bucket: see docs/deploy.md, Warming)")  # fmt: skip
    _require(isinstance(props.image, Config), "image", "must be an edge.config.Config")
    for key, set_by in CONSTRUCT_SET.items():
        _require(getattr(getattr(props.image, SECTION_OF[key]), key) == default_of(key), key,
                 f"is set by the construct ({set_by}), not in image")  # fmt: skip
    props.to_config()


# --- CDK context -> props ---------------------------------------------------------------------------------------

_NONE_WORDS = frozenset({"", "none", "null"})
_TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
_FALSE_WORDS = frozenset({"false", "no", "0", "off"})


def _parse_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value.strip()


def _parse_optional_str(value: object) -> str | None:
    if value is None:
        return None
    text = _parse_str(value)
    return None if text.lower() in _NONE_WORDS else text


def _parse_int(value: object) -> int:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(_parse_str(value))


def _parse_optional_int(value: object) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in _NONE_WORDS):
        return None
    return _parse_int(value)


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = _parse_str(value).lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError


def _parse_optional_bool(value: object) -> bool | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in _NONE_WORDS):
        return None
    return _parse_bool(value)


def _parse_list(value: object) -> list[object]:
    if isinstance(value, list | tuple):
        return list(value)
    text = _parse_str(value)
    if text.startswith("["):
        parsed = json.loads(text)
        if not isinstance(parsed, list):
            raise TypeError
        return parsed
    return [part.strip() for part in text.split(",") if part.strip()]


def _parse_int_tuple(value: object) -> tuple[int, ...]:
    return tuple(_parse_int(item) for item in _parse_list(value))


def _parse_str_tuple(value: object) -> tuple[str, ...]:
    return tuple(_parse_str(item) for item in _parse_list(value))


def _parse_object(value: object) -> dict[str, object]:
    """A JSON object (given as one, or as its text), or ``key=value,...`` pairs with integer values."""
    if isinstance(value, Mapping):
        return dict(value)
    text = _parse_str(value)
    if text.startswith("{"):
        parsed = json.loads(text)
        if not isinstance(parsed, dict):
            raise TypeError
        return parsed
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError
    return {k.strip(): _parse_int(v) for k, v in pairs}


_PARSERS: dict[str, Callable[[object], Any]] = {
    "bucket_name": _parse_optional_str,
    "bucket_region": _parse_optional_str,
    "bucket_versioned": _parse_optional_bool,
    "noncurrent_version_expiry_days": _parse_int,
    "extra_origins": parse_extra_origins,
    "cdn_default_ttl": _parse_int,
    "cdn_max_ttl": _parse_int,
    "price_class": lambda v: PriceClass(_parse_str(v)),
    "domain_names": _parse_str_tuple,
    "certificate_arn": _parse_optional_str,
    "access_logging": _parse_bool,
    "waf": _parse_str,
    "waf_rate_limit": _parse_int,
    "waf_logging": _parse_str,
    "cloudfront_additional_metrics": _parse_bool,
    "monitoring_regions": _parse_str_tuple,
    "alarm_email": _parse_optional_str,
    "alarm_topic_arn": _parse_optional_str,
    "alarm_server_error_percent": lambda v: float(_parse_str(v)) if isinstance(v, str) else v,
    "alarm_origin_errors": _parse_int,
    "alarm_waf_blocked": _parse_int,
    "origin_response_memory_mb": _parse_int,
    "log_retention_days": _parse_int,
    "variant_expiry_days": _parse_optional_int,
    "purge_on_change": _parse_bool,
}

DEPLOYMENT_SETTING_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ImageEdgeProps) if f.name != "image")
"""The construct's own settings (everything but ``image``), in declaration order; each is a CDK context key."""
SETTING_NAMES: tuple[str, ...] = (*DEPLOYMENT_SETTING_NAMES, *IMAGE_SETTING_NAMES)
"""Every CDK context key of a setting: the deployment's, then the image policy's."""


def _image_parser(name: str) -> Callable[[object], Any]:
    """How a context value of an image setting is read, from the kind of the setting's declared default: numbers,
    booleans and names as words, lists comma-separated or JSON, objects as JSON or ``key=value,...`` pairs."""
    default = default_of(name)
    if isinstance(default, bool):
        return _parse_bool
    if isinstance(default, int):
        return _parse_int
    if isinstance(default, float):
        return lambda v: float(_parse_str(v)) if isinstance(v, str) else v
    if default is None:
        return _parse_optional_str
    if isinstance(default, tuple):
        return _parse_int_tuple if default and isinstance(default[0], int) else _parse_str_tuple
    if isinstance(default, Mapping):
        return _parse_object
    return _parse_str


def props_from_context(context: Mapping[str, object]) -> ImageEdgeProps:
    """Build props from CDK context values: strings from ``-c key=value`` or JSON values from ``cdk.json``.

    Only the keys in ``SETTING_NAMES`` are read; a missing key (or a JSON ``null`` for a setting that is not
    optional) keeps the default. Lists are JSON arrays or comma-separated (``sizes=320,640,1280``); objects
    (``default_quality``, ``presets``) are JSON or ``avif=50,webp=80,jpeg=80``; booleans are true/false/yes/no/1/0.
    The image settings become ``image`` (``Config.from_mapping``). Raises ``PropsError`` naming the key whose value
    cannot be parsed or is invalid.
    """
    optional = (_parse_optional_str, _parse_optional_int, _parse_optional_bool)
    values: dict[str, Any] = {}
    image: dict[str, Any] = {}
    for key in SETTING_NAMES:
        if key not in context:
            continue
        raw = context[key]
        parser = _PARSERS[key] if key in _PARSERS else _image_parser(key)
        if raw is None and parser not in optional:
            continue
        try:
            parsed = parser(raw)
        except (TypeError, ValueError):
            raise PropsError(f"imgedge setting {key!r}: cannot parse context value {raw!r}") from None
        (values if key in _PARSERS else image)[key] = parsed
    try:
        values["image"] = Config.from_mapping(image)
    except ConfigError as exc:
        raise PropsError(f"invalid imgedge setting: {exc}") from None
    return ImageEdgeProps(**values)
