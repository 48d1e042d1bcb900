"""CloudFront origin-response function: render and store a variant that S3 does not have yet."""

from functools import partial
from typing import Any

from edge.config import load_config
from edge.events import OriginResponse
from edge.log import emit, with_metrics
from edge.produce import handle_origin_response
from edge.render import Limits, render
from edge.responses import without_object_metadata
from edge.store import face_locator_for, store_for


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Return the origin's response (minus its ``x-amz-meta-*`` headers), or the rendered variant (inline, or a
    redirect when too large for Lambda@Edge's 1 MB generated-response limit), or a generated error (4xx
    short-cached, 5xx no-store)."""
    config = load_config()
    result = handle_origin_response(
        OriginResponse(event),
        config,
        stores=partial(store_for, config),
        renderer=partial(render, limits=Limits.from_config(config), face_locator=face_locator_for(config)),
    )
    emit("origin-response", with_metrics(result.log))
    # The one exit to CloudFront: S3's object metadata (a variant's source key and ETags) never reaches viewers.
    return without_object_metadata(result.response)
