"""CloudFront viewer-request function: validate the query, negotiate the format, rewrite to the variant key.

Imports neither boto3 nor Pillow (the viewer bundle must stay far under Lambda@Edge's 1 MB limit).
"""

from time import perf_counter
from typing import Any

from edge import responses, signing
from edge.config import load_config
from edge.errors import EdgeError
from edge.events import ViewerRequest
from edge.log import emit
from edge.marker import MARKER_HEADER, marker_value
from edge.rewrite import rewrite


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Return the (possibly rewritten) request for CloudFront to continue with, or a generated 400.

    A marker header sent by the viewer is always dropped; a rewritten request gets the variant key as ``uri``,
    an empty query string and the marker naming its original. Under ``config.signature_mode`` a request with a
    missing or bad ``s`` gets a 403 (``edge.signing``), and a 503 when the keys cannot be fetched.
    """
    started = perf_counter()
    config = load_config()
    view = ViewerRequest(event)
    log: dict[str, Any] = {"uri": view.uri, "request_id": view.request_id}
    result: dict[str, Any]
    try:
        target = rewrite(view.uri, view.querystring, view.accept, config)
        if target is not None:
            signing.check(view.uri, view.querystring, config, signing.keys_for(config))
    except EdgeError as err:
        result = responses.error(err, config.error_max_age)
        log.update(status=err.status, reason=err.reason)
    else:
        if target is None:
            result = view.forwarded(drop_headers=(MARKER_HEADER,))
            log["action"] = "pass"
        else:
            result = view.forwarded(
                uri=target.uri, set_headers={MARKER_HEADER: marker_value(target.original, view.querystring)}
            )
            log.update(action="rewrite", key=target.uri)
    log["us"] = round((perf_counter() - started) * 1e6)
    emit("viewer-request", log)
    return result
