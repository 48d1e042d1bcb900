"""Which bucket each key of an ``imgedge upload/ls/rm/purge`` goes to, with ``origins`` configured.

A key under a configured origin's prefix (``edge.origins``) belongs to that origin's bucket, in its region, as at
the edge; any other key to ``--bucket`` (the default bucket), which may then be omitted when every key has an
origin. Keys keep their full path (prefix included) in every bucket.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from edge.config import Config
from edge.origins import origin_for


class MissingBucket(ValueError):
    """Some keys belong to no configured origin and no ``--bucket`` was given; the message names them."""


@dataclass(frozen=True)
class Target:
    """One bucket (and its region; ``None``: the AWS configuration's) and the keys (or one prefix) for it."""

    bucket: str
    region: str | None
    keys: list[str] = field(default_factory=list)
    #: For a listing of the default bucket: leave out keys that belong to an origin (the edge never reads them).
    exclude_origins: bool = False


def _missing(keys: list[str]) -> MissingBucket:
    return MissingBucket(
        "Missing option '--bucket' (needed for keys under no configured origin prefix: " + ", ".join(keys) + ")"
    )


def targets(keys: Iterable[str], bucket: str | None, region: str | None, config: Config) -> list[Target]:
    """The keys grouped by bucket, in first-seen order. Raises ``MissingBucket`` before anything is done."""
    grouped: dict[str, Target] = {}
    orphans: list[str] = []
    for key in keys:
        origin = origin_for(config.sources.origins, key)
        if origin is not None:
            target = grouped.setdefault(origin.bucket, Target(origin.bucket, origin.region))
        elif bucket is not None:
            target = grouped.setdefault(bucket, Target(bucket, region))
        else:
            orphans.append(key)
            continue
        target.keys.append(key)
    if orphans:
        raise _missing(orphans)
    return list(grouped.values())


def listing_targets(prefix: str, bucket: str | None, region: str | None, config: Config) -> list[Target]:
    """Where ``imgedge ls PREFIX`` looks: the origin owning the prefix; else the default bucket (without the keys
    origins own) and every origin whose prefix lies under ``PREFIX``. Each target's single key is its prefix."""
    owner = origin_for(config.sources.origins, prefix)
    if owner is not None:
        return [Target(owner.bucket, owner.region, [prefix])]
    found = [Target(bucket, region, [prefix], exclude_origins=True)] if bucket is not None else []
    found += [Target(o.bucket, o.region, [o.prefix]) for o in config.sources.origins if o.prefix.startswith(prefix)]
    if not found:
        raise _missing([prefix or "(all)"])
    return found


def owned_elsewhere(key: str, config: Config) -> bool:
    """Whether a key found in the default bucket belongs to an origin instead."""
    return origin_for(config.sources.origins, key) is not None
