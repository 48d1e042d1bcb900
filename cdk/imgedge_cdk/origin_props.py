"""The ``extra_origins`` setting: more buckets, each serving one path prefix (plain Python, no aws_cdk).

Each entry is ``{"prefix": "avatars/", "bucket_name": "acme-avatars", "bucket_region": "eu-west-1", "create":
false}``. Originals whose key starts with ``prefix`` live in that bucket under their full key (prefix included),
their variants (``{spec}/{full key}``) in the same bucket; the distribution gets an origin and a cache behavior
``/<prefix>*`` per entry, and the bundled configuration's ``origins`` lists them (``edge.origins``).

- ``create: true``: the stack creates the bucket, named ``bucket_name`` (a fixed name, because the edge functions'
  bundled configuration needs it at synth), with the same hardening as the main bucket, in the stack's region.
- ``create: false`` (default): the bucket exists, in any region (``bucket_region``, default us-east-1) and any
  account; the stack outputs the bucket policy statement its owner must add.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edge.origins import BUCKET_NAME, REGION, OriginsError, parse_origins

#: The stack's region (``ImageEdgeStack`` refuses any other): where created extra buckets live.
STACK_REGION = "us-east-1"
#: CloudFront allows 25 cache behaviors per distribution by default (a quota that can be raised).
MAX_EXTRA_ORIGINS = 20
_KEYS = frozenset({"prefix", "bucket_name", "bucket_region", "create"})


class ExtraOriginError(ValueError):
    """An invalid ``extra_origins`` entry; the message names it."""


@dataclass(frozen=True)
class ExtraOrigin:
    """One extra bucket serving the keys under ``prefix``."""

    prefix: str
    bucket_name: str
    bucket_region: str | None = None
    create: bool = False

    @property
    def region(self) -> str:
        """The bucket's region: the stack's for a created bucket, else ``bucket_region`` (default us-east-1)."""
        return self.bucket_region or STACK_REGION

    def to_origin(self) -> dict[str, str]:
        """The ``origins`` entry of the bundled configuration."""
        return {"prefix": self.prefix, "bucket": self.bucket_name, "region": self.region}


def parse_extra_origins(value: object) -> tuple[ExtraOrigin, ...]:
    """Context value (a JSON string such as ``-c extra_origins='[{...}]'``, or a list from ``cdk.json``) to
    entries; raises ``TypeError``/``ValueError`` when it is not a list of objects with the known keys."""
    parsed: Any = json.loads(value) if isinstance(value, str) else value
    if isinstance(parsed, str) or not isinstance(parsed, list | tuple):
        raise TypeError
    entries = []
    for entry in parsed:
        if isinstance(entry, ExtraOrigin):
            entries.append(entry)
            continue
        if not isinstance(entry, Mapping) or not set(entry) <= _KEYS:
            raise TypeError
        create = entry.get("create", False)
        if isinstance(create, str):
            create = {"true": True, "false": False}[create.strip().lower()]
        entries.append(
            ExtraOrigin(
                # Types are checked by check_extra_origins, which names the entry.
                prefix=entry.get("prefix"),  # type: ignore[arg-type]
                bucket_name=entry.get("bucket_name"),  # type: ignore[arg-type]
                bucket_region=entry.get("bucket_region"),
                create=create,
            )
        )
    return tuple(entries)


def check_extra_origins(entries: object, main_bucket: str | None) -> None:
    """Validate the entries (and, through ``edge.origins``, their prefixes); raises ``ExtraOriginError``."""
    if not isinstance(entries, tuple) or not all(isinstance(e, ExtraOrigin) for e in entries):
        raise ExtraOriginError("must be a list of {prefix, bucket_name, bucket_region, create} objects")
    if len(entries) > MAX_EXTRA_ORIGINS:
        raise ExtraOriginError(f"at most {MAX_EXTRA_ORIGINS} entries (one CloudFront cache behavior each)")
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        where = f"extra_origins[{index}] ({entry.prefix!r})"
        if not isinstance(entry.bucket_name, str) or not BUCKET_NAME.match(entry.bucket_name):
            raise ExtraOriginError(f"{where}: bucket_name {entry.bucket_name!r} is not a valid S3 bucket name")
        if not isinstance(entry.create, bool):
            raise ExtraOriginError(f"{where}: create must be true or false")
        region = entry.bucket_region
        if region is not None and (not isinstance(region, str) or not REGION.match(region)):
            raise ExtraOriginError(f"{where}: bucket_region {region!r} must be an AWS region such as eu-west-1")
        if entry.create and region not in (None, STACK_REGION):
            raise ExtraOriginError(f"{where}: a created bucket lives in the stack's region ({STACK_REGION})")
        if entry.bucket_name == main_bucket or entry.bucket_name in seen:
            raise ExtraOriginError(f"{where}: bucket {entry.bucket_name} is already used by another origin")
        seen[entry.bucket_name] = index
    try:
        parse_origins([entry.to_origin() for entry in entries])
    except OriginsError as err:
        raise ExtraOriginError(str(err).replace("origins[", "extra_origins[")) from None
