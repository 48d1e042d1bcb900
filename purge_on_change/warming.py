"""The purge-on-change function with warming: the entry point the CDK deploys, with Pillow in its bundle, when
``warm_renditions`` is set (``purge_on_change.handler.handler`` otherwise, whose bundle stays pure Python).

It is the purge-on-change handler (``purge_on_change.handler.make_handler``) with a ``warm`` step: for each
``s3:ObjectCreated:*`` record of an original the edge reads from that bucket (``edge.warming.originals_to_warm``),
after the purge of the original's old variants, the variants of ``warm_renditions`` that the bucket does not hold
are rendered and stored with origin-response's own code (``edge.warming.warm_original``). Those writes notify the
function too; their keys are in the variant namespace and ignored, so it never loops.
"""

import os
from functools import partial
from typing import TYPE_CHECKING, Any

from edge.config import Config, per_configuration
from edge.ports import Renderer
from edge.purge import ObjectChange
from edge.render import Limits, render
from edge.store import S3Store, face_locator_for
from edge.warming import log_fields, originals_to_warm, warm_original
from purge_on_change.handler import DISTRIBUTION_ENV_VAR, Handler, Warm, make_handler

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
else:
    S3Client = Any


def make_warmer(config: Config, *, renderer: Renderer | None = None) -> Warm:
    """The ``warm`` step of ``config``: warms, in the bucket each record names, the originals it created
    (``edge.warming.originals_to_warm``), and returns the log members (``edge.warming.log_fields``) and the
    failures as ``bucket/key: reason``. ``renderer`` defaults to origin-response's: ``edge.render.render`` within
    ``config``'s limits, with Rekognition face detection when ``faces_enabled``."""
    render_variant: Renderer = renderer or partial(
        render, limits=Limits.from_config(config), face_locator=face_locator_for(config)
    )

    def warm(s3: S3Client, changes: list[ObjectChange]) -> tuple[dict[str, Any], list[str]]:
        reports = []
        for bucket, originals in originals_to_warm(changes, config).items():
            store = S3Store(
                s3, bucket, max_source_bytes=config.limits.max_source_bytes, tag_variants=config.storage.tag_variants
            )
            reports += [warm_original(store, original, config, render_variant) for original in originals]
        fields = log_fields(reports)
        return fields, list(fields["warm_failed"])

    return warm


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Lambda's entry point and the composition root: the purge-on-change handler of the bundled configuration,
    the distribution of ``IMGEDGE_DISTRIBUTION_ID``, boto3 clients, stdout logging, and warming with Pillow,
    composed once per container (``per_configuration``)."""
    return _handler_of_the_container()(event, context)


def _compose(config: Config) -> Handler:
    distribution_id = os.environ.get(DISTRIBUTION_ENV_VAR) or None
    return make_handler(config, distribution_id=distribution_id, warm=make_warmer(config))


_handler_of_the_container = per_configuration(_compose)
