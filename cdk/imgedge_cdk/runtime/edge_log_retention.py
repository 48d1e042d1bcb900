"""Custom resource handler: give the Lambda@Edge log groups a retention in every region they run in.

Lambda@Edge writes to ``/aws/lambda/us-east-1.<function>`` in the region of each edge location that ran the
function and creates the group there on first use, without a retention ("never expire"). CloudFormation can only
create resources in the stack's region, so this handler (one function in us-east-1, run by CloudFormation on
create and update) creates each group in each listed region if it is missing and sets its retention.

ResourceProperties: ``LogGroupNames`` (list), ``Regions`` (list), ``RetentionInDays`` (string or number).
On Delete it does nothing: the groups hold the functions' logs and Lambda@Edge may still write to them while its
replicas are being removed. The handler answers CloudFormation through the pre-signed ``ResponseURL``; a failure
is reported as FAILED with the reason (never left hanging).

Standard library and the runtime's boto3 only: this file is the function's whole code.
"""

import contextlib
import json
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3

Sender = Callable[[str, bytes], None]
ClientFactory = Callable[[str], Any]


def _put(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="PUT", headers={"content-type": ""})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (CloudFormation's pre-signed https URL)
        answer.read()


def _logs_client(region: str) -> Any:
    return boto3.client("logs", region_name=region)


def apply_retention(
    names: list[str], regions: list[str], days: int, clients: ClientFactory = _logs_client
) -> list[str]:
    """Create every group of ``names`` missing in each of ``regions`` and set its retention to ``days``.

    Returns ``region:name`` of each group handled. Raises the client's error on anything but an existing group.
    """
    done = []
    for region in regions:
        client = clients(region)
        for name in names:
            with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
                client.create_log_group(logGroupName=name)
            client.put_retention_policy(logGroupName=name, retentionInDays=days)
            done.append(f"{region}:{name}")
    return done


def handler(
    event: dict[str, Any], context: Any, send: Sender = _put, clients: ClientFactory = _logs_client
) -> dict[str, Any]:
    """CloudFormation custom resource entry point; returns (and sends) the response document."""
    properties = event.get("ResourceProperties", {})
    physical_id = event.get("PhysicalResourceId") or "imgedge-edge-log-retention"
    status, reason, data = "SUCCESS", "", {}
    try:
        if event["RequestType"] in ("Create", "Update"):
            handled = apply_retention(
                list(properties["LogGroupNames"]),
                list(properties["Regions"]),
                int(properties["RetentionInDays"]),
                clients,
            )
            data = {"Groups": len(handled)}
    except Exception as err:
        status, reason = "FAILED", f"{type(err).__name__}: {err}"[:1000]
    response = {
        "Status": status,
        "Reason": reason or "see the function's log",
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": data,
    }
    print(json.dumps({"fn": "edge-log-retention", "status": status, "reason": reason, **data}))
    send(event["ResponseURL"], json.dumps(response).encode())
    return response
