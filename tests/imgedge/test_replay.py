"""``imgedge purge --replay-failed``: re-run failed purge-on-change events from the SQS failure queue (moto)."""

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from imgedge import replay
from imgedge.cli import cli
from tests.conftest import TEST_BUCKET, S3Client, create_distribution, invalidated_paths, load_event
from tests.edge.test_purge import keys, seed


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def s3_event(key: str) -> dict[str, Any]:
    event = load_event("s3-object-created-put")
    event["Records"][0]["s3"]["bucket"]["name"] = TEST_BUCKET
    event["Records"][0]["s3"]["object"]["key"] = key
    return event


def failure_record(event: dict[str, Any]) -> str:
    """An on-failure destination record as Lambda sends it to SQS (invocation-async-retain-records)."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-12-06T15:00:00.000Z",
            "requestContext": {
                "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:purge:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "An error occurred (TooManyInvalidationsInProgress)"},
        }
    )


@pytest.fixture
def queue(s3: S3Client) -> str:
    url: str = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="purge-failures")["QueueUrl"]
    return url


def messages(queue_url: str) -> list[str]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [m["Body"] for m in answer.get("Messages", [])]


def waiting(queue_url: str) -> int:
    """Messages in the queue, visible or not (a failed replay leaves its message hidden for a while)."""
    attributes = boto3.client("sqs", region_name="us-east-1").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_replay_purges_each_failed_event_and_empties_the_queue(s3: S3Client, queue: str) -> None:
    seed(s3)
    distribution = create_distribution()
    sqs = boto3.client("sqs", region_name="us-east-1")
    for key in ("photos/cat.jpg", "my cat.jpg"):
        sqs.send_message(QueueUrl=queue, MessageBody=failure_record(s3_event(key.replace(" ", "+"))))
    result = run("purge", "--replay-failed", queue, "--distribution-id", distribution, "--bucket", TEST_BUCKET)
    assert result.exit_code == 0, result.output
    assert not {"300/photos/cat.avif", "640/photos/cat.webp", "300/my cat.avif"} & keys(s3)
    assert {"photos/cat.jpg", "300/photos/cat.v2.avif"} <= keys(s3)
    assert sorted(path for batch in invalidated_paths(distribution) for path in batch) == [
        "/300/my%20cat.avif", "/300/photos/cat.avif", "/300x200-contain-q60/photos/cat.jpg", "/640/photos/cat.webp",
        "/my%20cat.jpg", "/photos/cat.jpg",
    ]  # fmt: skip
    assert "2 failed events replayed" in result.stderr
    assert waiting(queue) == 0


def test_a_message_is_deleted_only_after_its_purge_succeeded(
    s3: S3Client, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(s3)
    sqs = boto3.client("sqs", region_name="us-east-1")
    good, bad = failure_record(s3_event("photos/cat.jpg")), failure_record(s3_event("photos/dog.jpg"))
    sqs.send_message(QueueUrl=queue, MessageBody=good)
    sqs.send_message(QueueUrl=queue, MessageBody=bad)
    sqs.send_message(QueueUrl=queue, MessageBody='{"not": "a record"}')

    def purge_event(event: dict[str, Any]) -> list[str]:
        if event["Records"][0]["s3"]["object"]["key"] == "photos/dog.jpg":
            raise RuntimeError("CloudFront said no")
        return []

    report = replay.replay_failed(sqs, queue, purge_event, visibility_timeout=0)
    assert len(report.replayed) == 1
    assert len(report.failed) == 2
    assert any("CloudFront said no" in failure for failure in report.failed)
    assert any("requestPayload" in failure for failure in report.failed)
    assert sorted(messages(queue)) == sorted([bad, '{"not": "a record"}'])


def test_failed_purges_leave_the_message_and_fail_the_command(
    s3: S3Client, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(s3)
    distribution = create_distribution()
    boto3.client("sqs", region_name="us-east-1").send_message(
        QueueUrl=queue, MessageBody=failure_record(s3_event("photos/cat.jpg"))
    )

    def refused(*args: Any, **kwargs: Any) -> list[str]:
        return ["300/photos/cat.avif: AccessDenied"]

    monkeypatch.setattr("edge.purge.delete_variants", refused)
    result = run("purge", "--replay-failed", queue, "--distribution-id", distribution)
    assert result.exit_code == 1
    assert "still failing" in result.stderr
    assert waiting(queue) == 1


def test_usage_errors(queue: str) -> None:
    assert run("purge", "--replay-failed", queue).exit_code == 2  # needs --distribution-id
    assert run("purge", "photos/cat.jpg", "--replay-failed", queue, "--distribution-id", "E1").exit_code == 2
    assert run("purge").exit_code == 2  # neither keys nor a queue


def test_queue_region_comes_from_the_url() -> None:
    assert replay.queue_region("https://sqs.eu-west-1.amazonaws.com/123456789012/q") == "eu-west-1"
    assert replay.queue_region("http://localhost:4566/000000000000/q") is None


def test_replay_warms_again_under_warm_renditions(s3: S3Client, queue: str, tmp_path: Path) -> None:
    # A warming that failed after its retries (S3 throttled the writes, say) lands in the same queue: its replay
    # purges and then warms, as the function would have.
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 150, 90)).save(buffer, "JPEG")
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=buffer.getvalue())
    config = tmp_path / "imgedge-config.json"
    config.write_text(json.dumps({"warm_renditions": ["w=320&format=webp"]}), encoding="utf-8")
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.send_message(QueueUrl=queue, MessageBody=failure_record(s3_event("photos/cat.jpg")))
    distribution = create_distribution()
    result = run("purge", "--replay-failed", queue, "--distribution-id", distribution, "--config", str(config))
    assert result.exit_code == 0, result.output
    assert f"warmed s3://{TEST_BUCKET}/320/photos/cat.webp" in result.stdout
    assert keys(s3) == {"photos/cat.jpg", "320/photos/cat.webp"}
    assert waiting(queue) == 0
