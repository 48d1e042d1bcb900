"""Replay the purge-on-change events that failed: the records Lambda sent to the function's SQS on-failure queue.

An asynchronous invocation that still fails after Lambda's retries is sent to the on-failure destination as an
invocation record (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html):
``{"version": "1.0", "requestContext": {"condition": "RetriesExhausted", ...}, "requestPayload": <the S3 event>,
"responseContext": {...}, "responsePayload": {"errorMessage": ...}}``. ``replay_failed`` receives each message,
re-runs the purge of its ``requestPayload`` and deletes the message only once that purge reported no error; a
message whose purge fails (or whose body is not an invocation record) stays in the queue and reappears after the
visibility timeout. Developer tooling (``imgedge purge --replay-failed``), run with the operator's credentials.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import boto3

# Seconds a received message stays hidden from other readers while its purge runs (a purge lists and deletes).
VISIBILITY_TIMEOUT_S = 300
_BATCH = 10  # SQS's maximum per ReceiveMessage


class NotAnInvocationRecord(ValueError):
    """A message body that is not a Lambda asynchronous invocation record with a ``requestPayload`` object."""


@dataclass
class ReplayReport:
    """What a replay did: the messages whose purge succeeded (and were deleted), and ``message id: reason`` of
    each one left in the queue."""

    replayed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def request_payload(body: str) -> dict[str, Any]:
    """The original event of an invocation record; raises ``NotAnInvocationRecord`` for anything else."""
    try:
        record = json.loads(body)
    except json.JSONDecodeError as err:
        raise NotAnInvocationRecord(f"not JSON: {err}") from None
    if not isinstance(record, dict) or not isinstance(record.get("requestPayload"), dict):
        raise NotAnInvocationRecord("no requestPayload object: not a Lambda on-failure destination record")
    payload: dict[str, Any] = record["requestPayload"]
    return payload


def queue_region(queue_url: str) -> str | None:
    """The region of an SQS queue URL (``https://sqs.<region>.amazonaws.com/<account>/<name>``), else None."""
    host = urlsplit(queue_url).hostname or ""
    parts = host.split(".")
    return parts[1] if len(parts) >= 4 and parts[0] == "sqs" else None


def sqs_client(queue_url: str, endpoint_url: str | None = None) -> Any:
    """An SQS client in the queue's region (taken from its URL; else boto3's default region)."""
    return boto3.session.Session().client("sqs", region_name=queue_region(queue_url), endpoint_url=endpoint_url)


def replay_failed(
    sqs: Any,
    queue_url: str,
    purge_event: Callable[[dict[str, Any]], list[str]],
    visibility_timeout: int = VISIBILITY_TIMEOUT_S,
) -> ReplayReport:
    """Re-run ``purge_event`` on every failed event in ``queue_url``; delete each message after a clean purge.

    ``purge_event(event)`` purges what an S3 event notification names and returns the errors (empty: success);
    an exception it raises counts as a failure of that message, and the replay goes on with the next one.
    A received message stays hidden from other readers for ``visibility_timeout`` seconds; each message is tried
    once per run: the replay ends when the queue shows no message it has not tried yet.
    """
    report = ReplayReport()
    tried: set[str] = set()
    while True:
        answer = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=_BATCH,
            VisibilityTimeout=visibility_timeout,
            WaitTimeSeconds=0,
        )
        fresh = [m for m in answer.get("Messages", []) if str(m.get("MessageId")) not in tried]
        if not fresh:
            return report
        for message in fresh:
            message_id = str(message.get("MessageId", "?"))
            tried.add(message_id)
            try:
                errors = purge_event(request_payload(str(message.get("Body", ""))))
            except Exception as err:  # one bad message must not stop the replay of the others
                errors = [f"{type(err).__name__}: {err}"]
            if errors:
                report.failed.append(f"{message_id}: {'; '.join(errors)[:500]}")
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            report.replayed.append(message_id)
