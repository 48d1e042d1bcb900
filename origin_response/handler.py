"""CloudFront origin-response function: render and store a variant that S3 does not have yet."""

from collections.abc import Callable
from functools import partial
from typing import Any

from edge.config import Config, per_configuration
from edge.events import OriginResponse
from edge.log import emit, with_metrics
from edge.origin_flow import handle_origin_response
from edge.ports import Renderer, StoreFactory
from edge.render import Limits, render
from edge.responses import without_object_metadata
from edge.store import face_locator_for, store_for

Handler = Callable[[dict[str, Any], object], dict[str, Any]]
LogSink = Callable[[str, dict[str, Any]], None]


def make_handler(
    config: Config,
    *,
    stores: StoreFactory | None = None,
    renderer: Renderer | None = None,
    log: LogSink = emit,
) -> Handler:
    """The origin-response handler for ``config``: it returns the origin's response (minus its ``x-amz-meta-*``
    headers), or the rendered variant (inline, or a redirect when too large for Lambda@Edge's 1 MB
    generated-response limit), or a generated error (4xx short-cached, 5xx no-store), and passes one record per
    request (with its EMF metrics) to ``log`` (``emit``: a JSON line on stdout).

    ``stores`` opens a bucket (default: ``edge.store.store_for``, boto3 S3 with the configured retries and
    timeouts); ``renderer`` renders an original (default: ``edge.render.render`` within ``config``'s limits,
    with Rekognition face detection when ``faces_enabled``).
    """
    store_factory: StoreFactory = stores or partial(store_for, config)
    render_variant: Renderer = renderer or partial(
        render, limits=Limits.from_config(config), face_locator=face_locator_for(config)
    )

    def handle(event: dict[str, Any], context: object) -> dict[str, Any]:
        result = handle_origin_response(OriginResponse(event), config, stores=store_factory, renderer=render_variant)
        log("origin-response", with_metrics(result.log))
        # The one exit to CloudFront: S3's object metadata (a variant's source key and ETags) never reaches viewers.
        return without_object_metadata(result.response)

    return handle


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Lambda's entry point and the composition root: the handler of the bundled configuration (``load_config``,
    read once per container), composed once for it (``per_configuration``), with S3, Pillow, Rekognition and
    stdout logging."""
    return _handler_of_the_container()(event, context)


_handler_of_the_container = per_configuration(make_handler)
