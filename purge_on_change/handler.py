"""Purge-on-change function (a regular Lambda in the bucket's region, not Lambda@Edge).

S3 event notifications (``s3:ObjectCreated:*`` for new and overwritten originals, ``s3:ObjectRemoved:*``) invoke
it; for each changed original it finds the stored variants (only objects whose metadata proves they are variants
of it), invalidates them and the original's own path in CloudFront, then deletes them, with the same code as
``imgedge purge`` (``edge.purge``). Events for keys in the variant namespace (``edge.purge.in_variant_namespace``:
the variants origin-response writes, and this function's own deletes) are ignored, so it can never loop.

With ``warm_renditions`` the same function also warms (``make_handler``'s ``warm``, composed by the entry point
``purge_on_change.warming.handler``, whose bundle carries Pillow): after the purge, each created original's
variants are rendered into the bucket. This module's own entry point, ``handler``, only purges, and its bundle
(its import closure) holds neither Pillow nor the render code.

Settings: ``IMGEDGE_DISTRIBUTION_ID`` (environment; a regular Lambda may have one), and the bundled
``imgedge-config.json`` for the key grammar (the same file as the edge functions). Failures raise (an
invalidation CloudFront kept refusing: ``edge.purge.InvalidationFailed``, before anything is deleted; keys S3
could not delete: ``PurgeFailed``; variants that could not be warmed: ``WarmFailed``), so Lambda's asynchronous
retries, then its on-failure destination, see them; a rerun finds whatever is still stored and purges it again,
then warms again.
"""

import os
from collections.abc import Callable
from functools import cache
from time import perf_counter
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config as BotoConfig

from edge.config import Config, per_configuration
from edge.errors import ConfigError
from edge.log import emit
from edge.purge import HEAD_WORKERS, LIST_WORKERS, ObjectChange, object_changes, originals_to_purge, purge

if TYPE_CHECKING:
    from types_boto3_cloudfront import CloudFrontClient
    from types_boto3_s3 import S3Client
else:
    CloudFrontClient = Any
    S3Client = Any

DISTRIBUTION_ENV_VAR = "IMGEDGE_DISTRIBUTION_ID"
# The connection pool holds as many connections as edge.purge runs listings/HEADs at a time.
_RETRIES = BotoConfig(
    retries={"total_max_attempts": 5, "mode": "standard"}, max_pool_connections=max(LIST_WORKERS, HEAD_WORKERS)
)


class PurgeFailed(RuntimeError):
    """Some variants could not be deleted; raised so that Lambda retries the event."""


class WarmFailed(RuntimeError):
    """Some variants could not be warmed (rendered or stored); raised so that Lambda retries the event."""


@cache
def _clients() -> tuple[S3Client, CloudFrontClient]:
    session = boto3.session.Session()
    return session.client("s3", config=_RETRIES), session.client("cloudfront", config=_RETRIES)


Handler = Callable[[dict[str, Any], object], dict[str, Any]]
LogSink = Callable[[str, dict[str, Any]], None]
#: Warms the originals an event created (``purge_on_change.warming.make_warmer``): given the S3 client and the
#: event's records, returns the members of the log line and the failures (``bucket/key: reason``).
Warm = Callable[[S3Client, list[ObjectChange]], tuple[dict[str, Any], list[str]]]


def make_handler(
    config: Config,
    *,
    distribution_id: str | None,
    clients: Callable[[], tuple[S3Client, CloudFrontClient]] = _clients,
    log: LogSink = emit,
    warm: Warm | None = None,
) -> Handler:
    """The purge-on-change handler for ``config``: it purges the variants of every original an S3 event
    notification names (invalidating them in ``distribution_id`` when given), then, with ``warm``, warms the
    originals it created, and returns a summary, also passed to ``log`` (one line: the purge's variants and
    invalidations, ``ms_purge``, the warming's members and ``ms``). ``clients`` gives the S3 and CloudFront clients
    (default: boto3 with standard retries). Raises ``InvalidationFailed`` or ``PurgeFailed``, then ``WarmFailed``
    (see the module docs), and ``ConfigError`` when ``config`` has ``warm_renditions`` but no ``warm`` is given
    (this module's ``handler`` cannot render: ``purge_on_change.warming.handler`` is the entry point that can)."""
    if config.warming.warm_renditions and warm is None:
        raise ConfigError(
            "configuration key 'warm_renditions': warming needs the entry point purge_on_change.warming.handler"
        )

    def handle(event: dict[str, Any], context: object) -> dict[str, Any]:
        started = perf_counter()
        changes = object_changes(event)
        wanted = originals_to_purge(changes, config)
        summary: dict[str, Any] = {"records": len(changes), "originals": sum(len(v) for v in wanted.values())}
        summary["ignored"] = len(changes) - summary["originals"]
        variants: list[str] = []
        invalidations: list[str] = []
        errors: list[str] = []
        for bucket, originals in wanted.items():
            s3, cloudfront = clients()
            result = purge(
                s3, bucket, originals, config,
                cloudfront=cloudfront, distribution_id=distribution_id, invalidate_originals=True,
            )  # fmt: skip
            variants += [f"{bucket}/{key}" for key in result.variants]
            invalidations += result.invalidations
            errors += result.errors
        summary.update(variants=variants, invalidations=invalidations, errors=errors)
        failed_warms: list[str] = []
        if warm is not None:
            summary["ms_purge"] = (perf_counter() - started) * 1000
            fields, failed_warms = warm(clients()[0], changes)
            summary.update(fields)
        summary["ms"] = (perf_counter() - started) * 1000
        log("purge-on-change", summary)
        if errors:
            raise PurgeFailed(f"{len(errors)} variants could not be deleted: {errors[:3]}")
        if failed_warms:
            raise WarmFailed(f"{len(failed_warms)} variants could not be warmed: {failed_warms[:3]}")
        return summary

    return handle


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Lambda's entry point and the composition root: the handler of the bundled configuration, the distribution
    of ``IMGEDGE_DISTRIBUTION_ID``, boto3 clients and stdout logging, composed once per container
    (``per_configuration``)."""
    return _handler_of_the_container()(event, context)


def _compose(config: Config) -> Handler:
    return make_handler(config, distribution_id=os.environ.get(DISTRIBUTION_ENV_VAR) or None)


_handler_of_the_container = per_configuration(_compose)
