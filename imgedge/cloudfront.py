"""CloudFront's side of the emulator: Lambda@Edge events built from HTTP, and S3 as the origin behind an OAI.

Event shapes follow the AWS "Lambda@Edge event structure" page: ``Records[0].cf`` with ``config``, ``request``
(and ``response`` for response events); headers keyed by the lowercase name, each a list of ``{"key", "value"}``;
headers CloudFront hides from functions (``Connection``, ``X-Amz-Cf-*``...) left out.
"""

from __future__ import annotations

import base64
import copy
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

from edge.marker import MARKER_HEADER
from imgedge import contract

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
else:
    S3Client = Any

Headers = dict[str, list[dict[str, str]]]

DISTRIBUTION_ID = "EIMGEDGELOCAL"
VIA = "1.1 imgedge-emulator (CloudFront)"


def cf_headers(pairs: list[tuple[str, str]]) -> Headers:
    """HTTP headers in CloudFront's event shape, without the ones CloudFront hides from functions."""
    headers: Headers = {}
    for name, value in pairs:
        lowered = name.lower()
        if lowered in contract.DISALLOWED_HEADERS or lowered.startswith(contract.DISALLOWED_PREFIXES):
            continue
        headers.setdefault(lowered, []).append({"key": name, "value": value})
    return headers


def request_id() -> str:
    """A random request id shaped like CloudFront's (56 URL-safe base64 characters)."""
    return base64.urlsafe_b64encode(os.urandom(42)).decode("ascii")


def viewer_request_event(
    method: str, path: str, header_pairs: list[tuple[str, str]], client_ip: str, request_id: str
) -> dict[str, Any]:
    """The viewer-request event for an HTTP request (``path`` as received, query string included)."""
    uri, _, querystring = path.partition("?")
    headers = cf_headers(header_pairs)
    host = headers.get("host", [{"value": "localhost"}])[0]["value"]
    return {
        "Records": [
            {
                "cf": {
                    "config": {
                        "distributionDomainName": host,
                        "distributionId": DISTRIBUTION_ID,
                        "eventType": "viewer-request",
                        "requestId": request_id,
                    },
                    "request": {
                        "clientIp": client_ip,
                        "headers": headers,
                        "method": method,
                        "querystring": querystring,
                        "uri": uri or "/",
                    },
                }
            }
        ]
    }


def s3_domain(bucket: str, region: str) -> str:
    """The regional S3 domain CloudFront uses for a bucket origin (what CDK's ``S3BucketOrigin`` sets)."""
    return f"{bucket}.s3.{region}.amazonaws.com"


def origin_request_headers(request: Mapping[str, Any], bucket: str, region: str) -> Headers:
    """The headers CloudFront sends to S3 for ``request`` (the result of viewer-request): its own (Host, Via,
    User-Agent, X-Forwarded-For) plus the viewer-request headers the origin request policy allow-lists, which
    for imgedge is only the marker."""
    headers: Headers = {
        "x-forwarded-for": [{"key": "X-Forwarded-For", "value": str(request.get("clientIp", ""))}],
        "user-agent": [{"key": "User-Agent", "value": "Amazon CloudFront"}],
        "via": [{"key": "Via", "value": VIA}],
        "host": [{"key": "Host", "value": s3_domain(bucket, region)}],
    }
    marker = request.get("headers", {}).get(MARKER_HEADER)
    if marker:
        headers[MARKER_HEADER] = copy.deepcopy(marker)
    return headers


def origin_response_event(
    viewer_event: Mapping[str, Any],
    request: Mapping[str, Any],
    origin_headers: Headers,
    answer: OriginAnswer,
    bucket: str,
    region: str,
) -> dict[str, Any]:
    """The origin-response event for S3's ``answer`` to the (rewritten) ``request``. CloudFront never includes
    the origin's body; the query string is not forwarded (the cache policy leaves it out)."""
    config = dict(viewer_event["Records"][0]["cf"]["config"], eventType="origin-response")
    return {
        "Records": [
            {
                "cf": {
                    "config": config,
                    "request": {
                        "clientIp": request.get("clientIp", ""),
                        "headers": origin_headers,
                        "method": request.get("method", "GET"),
                        "origin": {
                            "s3": {
                                "authMethod": "origin-access-identity",
                                "customHeaders": {},
                                "domainName": s3_domain(bucket, region),
                                "path": "",
                                "region": region,
                            }
                        },
                        "querystring": "",
                        "uri": request["uri"],
                    },
                    "response": {
                        "headers": cf_headers(answer.headers),
                        "status": str(answer.status),
                        "statusDescription": answer.reason,
                    },
                }
            }
        ]
    }


@dataclass(frozen=True)
class OriginAnswer:
    """What S3 answered CloudFront: status, reason, headers and body."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class OriginUnreachable(Exception):
    """S3 could not be reached at all (CloudFront answers 502 without running origin-response)."""


class S3Origin:
    """GETs from the bucket as CloudFront does through an OAI: forwarding the allow-listed headers, and with a
    missing key answered 403 AccessDenied (the OAI has ``s3:GetObject`` only, no ``s3:ListBucket``)."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self.bucket = bucket
        self._local = threading.local()
        client.meta.events.register("before-sign.s3.GetObject", self._add_headers)

    def _add_headers(self, request: Any, **_: Any) -> None:
        for name, value in getattr(self._local, "headers", {}).items():
            request.headers[name] = value

    def get(self, uri: str, forward: Mapping[str, str]) -> OriginAnswer:
        key = unquote(uri[1:])
        self._local.headers = dict(forward)
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
            body = answer["Body"].read()
        except ClientError as err:
            return self._error_answer(err)
        except BotoCoreError as err:
            raise OriginUnreachable(str(err)) from err
        finally:
            self._local.headers = {}
        headers = [(name, str(value)) for name, value in answer["ResponseMetadata"]["HTTPHeaders"].items()]
        return OriginAnswer(200, "OK", headers, body)

    def _error_answer(self, err: Any) -> OriginAnswer:
        meta = err.response.get("ResponseMetadata", {})
        status = int(meta.get("HTTPStatusCode", 500))
        code = str(err.response.get("Error", {}).get("Code", "")) or HTTPStatus(status).phrase
        message = str(err.response.get("Error", {}).get("Message", ""))
        if status == 404:
            status, code, message = 403, "AccessDenied", "Access Denied"
        keep = ("x-amz-request-id", "x-amz-id-2", "date", "server")
        headers = [(name, str(value)) for name, value in meta.get("HTTPHeaders", {}).items() if name in keep]
        headers += [("Content-Type", "application/xml"), ("Transfer-Encoding", "chunked")]
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
        ).encode()
        return OriginAnswer(status, phrase(status), headers, body)


def phrase(status: int) -> str:
    """The reason phrase of ``status`` (``""`` for an unknown code)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
