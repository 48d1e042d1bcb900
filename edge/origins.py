"""Several origins: path prefixes mapped to buckets (the ``origins`` configuration key).

An original whose key starts with an origin's ``prefix`` lives in that origin's bucket, *under its full key*: the
prefix is part of the key, not stripped (``avatars/ann.jpg`` is the object ``avatars/ann.jpg`` of the avatars
bucket). Its variants keep the usual key ``{spec}/{full key}`` (``300/avatars/ann.avif``) and are stored in the
same bucket as their original, so the key grammar, the marker and purging are the same for every origin. Keys
under no prefix live in the default bucket (``Config.bucket``, else the event's CloudFront origin).

CloudFront picks the cache behavior, hence the origin, from the *viewer* path (``/avatars/ann.jpg``) before
viewer-request rewrites it, so the deployment has one behavior ``/<prefix>*`` per origin. origin-response does
not rely on that alone: it routes the variant's stem with ``route`` (a configured origin wins over the event's
origin), so a request that reached another behavior still reads and writes the right bucket.

This module is pure (no boto3, no ``edge.config`` import) so that ``edge.config`` can validate with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# S3 bucket naming rules (general purpose buckets): 3-63 of a-z 0-9 . -, starting and ending with a letter or
# digit, no "..", not an IP address, not starting with xn--.
BUCKET_NAME = re.compile(r"^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
#: CloudFront path patterns are at most 255 characters; the behavior's pattern is ``/<prefix>*``.
MAX_PREFIX_LENGTH = 253
#: Characters a prefix may not contain: CloudFront path-pattern wildcards, and what a URL path cannot carry as is.
_FORBIDDEN = frozenset("*?#%\\&+ ")


class OriginsError(ValueError):
    """An invalid ``origins`` entry; the message names the entry (its index and prefix)."""


@dataclass(frozen=True, slots=True)
class Origin:
    """One prefix -> bucket mapping: keys starting with ``prefix`` live in ``bucket`` (in ``region``)."""

    prefix: str
    bucket: str
    region: str

    def owns(self, key: str) -> bool:
        """Whether the S3 key (no leading slash) belongs to this origin."""
        return key.startswith(self.prefix)

    def to_json(self) -> dict[str, str]:
        return {"prefix": self.prefix, "bucket": self.bucket, "region": self.region}


def _check_prefix(prefix: object, where: str) -> str:
    if not isinstance(prefix, str) or not prefix:
        raise OriginsError(f"{where}: prefix must be a non-empty string")
    if not prefix.endswith("/"):
        raise OriginsError(f"{where}: prefix {prefix!r} must end with '/'")
    if prefix.startswith("/"):
        raise OriginsError(f"{where}: prefix {prefix!r} must not start with '/' (it is an S3 key prefix)")
    if len(prefix) > MAX_PREFIX_LENGTH or not prefix.isprintable() or not prefix.isascii():
        raise OriginsError(f"{where}: prefix {prefix!r} must be printable ASCII of at most {MAX_PREFIX_LENGTH}")
    if _FORBIDDEN & set(prefix):
        raise OriginsError(f"{where}: prefix {prefix!r} must not contain any of {''.join(sorted(_FORBIDDEN))!r}")
    if any(segment in ("", ".", "..") for segment in prefix[:-1].split("/")):
        raise OriginsError(f"{where}: prefix {prefix!r} must not have empty, '.' or '..' segments")
    return prefix


def parse_origin(entry: object, index: int) -> Origin:
    """One ``origins`` entry (``{"prefix", "bucket", "region"}``) as an ``Origin``; raises ``OriginsError``."""
    where = f"origins[{index}]"
    if isinstance(entry, Origin):
        entry = entry.to_json()
    if not isinstance(entry, Mapping):
        raise OriginsError(f"{where} must be an object with prefix, bucket and region")
    if isinstance(entry.get("prefix"), str):
        where = f"{where} ({entry['prefix']!r})"
    unknown = sorted(set(entry) - {"prefix", "bucket", "region"})
    if unknown:
        raise OriginsError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    prefix = _check_prefix(entry.get("prefix"), where)
    bucket = entry.get("bucket")
    if not isinstance(bucket, str) or not BUCKET_NAME.match(bucket):
        raise OriginsError(f"{where}: bucket {bucket!r} is not a valid S3 bucket name")
    region = entry.get("region")
    if not isinstance(region, str) or not REGION.match(region):
        raise OriginsError(f"{where}: region {region!r} must be an AWS region such as eu-west-1")
    return Origin(prefix=prefix, bucket=bucket, region=region)


def parse_origins(entries: object) -> tuple[Origin, ...]:
    """Validate a whole ``origins`` list: each entry, then no duplicate or overlapping prefixes (one a prefix of
    another would make the owner of a key ambiguous). Raises ``OriginsError`` naming the bad entry."""
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise OriginsError("origins must be a list of {prefix, bucket, region} objects")
    parsed = tuple(parse_origin(entry, index) for index, entry in enumerate(entries))
    for index, origin in enumerate(parsed):
        for other_index, other in enumerate(parsed[:index]):
            if origin.prefix == other.prefix:
                raise OriginsError(f"origins[{index}] ({origin.prefix!r}): duplicates origins[{other_index}]")
            if origin.prefix.startswith(other.prefix) or other.prefix.startswith(origin.prefix):
                raise OriginsError(
                    f"origins[{index}] ({origin.prefix!r}): overlaps origins[{other_index}] ({other.prefix!r})"
                )
    return parsed


def origin_for(origins: Iterable[Origin], key: str) -> Origin | None:
    """The origin owning an S3 key or a stem (no leading slash), or ``None`` for the default bucket."""
    key = key.lstrip("/")
    for origin in origins:
        if origin.owns(key):
            return origin
    return None


def origin_of_bucket(origins: Iterable[Origin], bucket: str | None) -> Origin | None:
    """The configured origin whose bucket this is (the first, if several prefixes share it)."""
    return next((origin for origin in origins if origin.bucket == bucket), None)


def route(
    origins: Iterable[Origin], key: str, event_origin: tuple[str | None, str | None]
) -> tuple[str | None, str | None]:
    """The (bucket, region) holding ``key``: its configured origin's, else the event's S3 origin."""
    origin = origin_for(origins, key)
    return (origin.bucket, origin.region) if origin is not None else event_origin


def store_target(
    origins: Iterable[Origin],
    default_bucket: str | None,
    default_region: str | None,
    bucket: str | None,
    region: str | None,
) -> tuple[str | None, str | None]:
    """What a store for ``(bucket, region)`` uses: a configured origin's bucket as is (with its region), any other
    bucket overridden by the default bucket/region of the configuration when those are set."""
    origin = origin_of_bucket(origins, bucket)
    if origin is not None:
        return origin.bucket, origin.region
    return default_bucket or bucket, default_region or region


def origins_json(origins: Iterable[Any]) -> list[dict[str, str]]:
    """The JSON form of an ``origins`` tuple (what ``parse_origins`` reads back)."""
    return [origin.to_json() for origin in origins]
