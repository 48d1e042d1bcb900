"""The custom resource handler that sets the Lambda@Edge log groups' retention in other regions (moto logs)."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from imgedge_cdk.runtime.edge_log_retention import apply_retention, handler

NAMES = ["/aws/lambda/us-east-1.ImgEdge-ViewerRequest", "/aws/lambda/us-east-1.ImgEdge-OriginResponse"]
REGIONS = ["eu-west-1", "ap-southeast-2"]


@pytest.fixture
def logs(aws_env: None) -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


def _event(request_type: str, **properties: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-custom-resource-response.example/presigned",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/ImgEdge/1",
        "RequestId": "req-1",
        "LogicalResourceId": "EdgeLogRetention",
        "ResourceProperties": {"LogGroupNames": NAMES, "Regions": REGIONS, "RetentionInDays": "14", **properties},
    }


def _retention(region: str) -> dict[str, int | None]:
    groups = boto3.client("logs", region_name=region).describe_log_groups()["logGroups"]
    return {g["logGroupName"]: g.get("retentionInDays") for g in groups}


def test_creates_missing_groups_and_sets_retention_in_every_region(logs: None) -> None:
    # One group already exists (Lambda@Edge created it on first use, without retention).
    boto3.client("logs", region_name="eu-west-1").create_log_group(logGroupName=NAMES[1])
    sent: list[tuple[str, dict[str, Any]]] = []
    response = handler(_event("Create"), None, send=lambda url, body: sent.append((url, json.loads(body))))
    assert response["Status"] == "SUCCESS", response["Reason"]
    for region in REGIONS:
        assert _retention(region) == dict.fromkeys(NAMES, 14)
    assert _retention("us-west-2") == {}  # regions not listed are left alone
    assert sent == [("https://cloudformation-custom-resource-response.example/presigned", response)]
    assert response["Data"] == {"Groups": 4}


def test_update_changes_the_retention_and_delete_keeps_the_groups(logs: None) -> None:
    handler(_event("Create"), None, send=lambda url, body: None)
    handler(_event("Update", RetentionInDays=90), None, send=lambda url, body: None)
    assert _retention("ap-southeast-2") == dict.fromkeys(NAMES, 90)
    deleted = handler(_event("Delete"), None, send=lambda url, body: None)
    assert deleted["Status"] == "SUCCESS"
    assert _retention("ap-southeast-2") == dict.fromkeys(NAMES, 90)


def test_a_failure_is_reported_to_cloudformation_not_raised(logs: None, monkeypatch: pytest.MonkeyPatch) -> None:
    client = boto3.client("logs", region_name="eu-west-1")

    def denied(**kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "PutRetentionPolicy")

    monkeypatch.setattr(client, "put_retention_policy", denied)
    sent: list[dict[str, Any]] = []
    response = handler(
        _event("Create"), None, send=lambda url, body: sent.append(json.loads(body)), clients=lambda region: client
    )
    assert response["Status"] == "FAILED"
    assert sent == [response]
    assert "AccessDeniedException" in response["Reason"]


def test_apply_retention_returns_what_it_handled(logs: None) -> None:
    assert apply_retention(NAMES[:1], ["eu-west-1"], 7) == [f"eu-west-1:{NAMES[0]}"]
