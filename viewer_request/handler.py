"""CloudFront viewer-request function: validate the query, negotiate the format, rewrite to the variant key.

Imports neither boto3 nor Pillow (the viewer bundle must stay far under Lambda@Edge's 1 MB limit), and loads
``edge.signing`` (with hashlib, hmac and the Secrets Manager client) only for a request that needs a signature:
the cold start of the unsigned function pays for none of it. Likewise ``edge.dialects`` is loaded only when
``url_dialects`` names a dialect.
"""

from __future__ import annotations

from time import perf_counter

from edge.config import per_configuration
from edge.errors import EdgeError
from edge.events import ViewerRequest
from edge.log import emit
from edge.marker import MARKER_HEADER, marker_value
from edge.responses import error
from edge.rewrite import rewrite

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from edge.config import Config

    Handler = Callable[[dict[str, Any], object], dict[str, Any]]
    LogSink = Callable[[str, dict[str, Any]], None]

_DROP_MARKER = (MARKER_HEADER,)


def make_handler(
    config: Config, *, log: LogSink = emit, signing_keys: Callable[[], Sequence[bytes]] | None = None
) -> Handler:
    """The viewer-request handler for ``config``: it returns the (possibly rewritten) request for CloudFront to
    continue with, or a generated 400/403/503, and passes one record per request to ``log`` (``emit``: a JSON line
    on stdout). ``signing_keys`` gives the signing keys (default: the Secrets Manager secret of ``config``,
    ``edge.signing.keys_for``, fetched and cached per container).

    A marker header sent by the viewer is always dropped; a rewritten request gets the variant key as ``uri``,
    an empty query string and the marker naming its original. Under ``config.signing.signature_mode`` a request with a
    missing or bad ``s`` gets a 403 (``edge.signing``), and a 503 when the keys cannot be fetched. Under a
    watermark, a request without image parameters is rewritten to the default rendition or refused with a 403
    (``edge.rewrite.unrendered``): the original is never forwarded as it is. Under ``config.url.url_dialects`` the
    URL is first translated into its native form (``edge.dialects.translate``), and everything after (rewrite,
    signature, marker) sees only that form. Under ``config.sizing.client_hints`` the request's hint headers fill in
    ``w=auto`` and ``dpr=auto`` (``edge.hints``); the marker keeps the query as written.
    """

    def handle(event: dict[str, Any], context: object) -> dict[str, Any]:
        started = perf_counter()
        view = ViewerRequest(event)
        uri = view.uri
        querystring = view.querystring
        record: dict[str, Any] = {"uri": uri, "request_id": view.request_id}
        result: dict[str, Any]
        try:
            if config.url.url_dialects:
                from edge.dialects import translate  # noqa: PLC0415 (native-only deployments never load the dialects)

                uri, querystring = translate(uri, querystring, config)
            hints = view.client_hints if config.sizing.client_hints else None
            target = rewrite(uri, querystring, view.accept, config, hints)
            if target is not None and target.signed_keys is not None:
                from edge import signing  # noqa: PLC0415 (only signed deployments pay for hashlib, hmac and the client)

                signing.check(target, querystring, signing_keys or signing.keys_for(config))
        except EdgeError as err:
            result = error(err, config.responses.error_max_age)
            record["status"] = err.status
            record["reason"] = err.reason
            if err.status >= 500:  # never the viewer's fault (e.g. no valid signing key): a line an alarm matches
                record.update(level="error", detail=err.detail)
        else:
            if target is None:  # a dialect may have rewritten the path (thumbor /unsafe/cat.jpg serves /cat.jpg)
                result = view.forwarded(uri=None if uri == view.uri else uri, drop_headers=_DROP_MARKER)
                record["action"] = "pass"
            else:
                result = view.forwarded(
                    uri=target.uri, set_headers={MARKER_HEADER: marker_value(target.original, querystring)}
                )
                record["action"] = "rewrite"
                record["key"] = target.uri
        record["us"] = round((perf_counter() - started) * 1e6)
        log("viewer-request", record)
        return result

    return handle


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Lambda's entry point and the composition root: the handler of the bundled configuration (``load_config``,
    read once per container), composed once for it (``per_configuration``), logging to stdout and fetching signing
    keys from Secrets Manager."""
    return _handler_of_the_container()(event, context)


_handler_of_the_container = per_configuration(make_handler)
