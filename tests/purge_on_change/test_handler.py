"""The purge-on-change function: real S3 event JSON through the real handler, against moto S3 and CloudFront."""

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from origin_response.handler import handler as origin_handler
from purge_on_change import handler as purge_module
from purge_on_change.handler import DISTRIBUTION_ENV_VAR, PurgeFailed, handler
from tests.conftest import TEST_BUCKET, S3Client, create_distribution, invalidated_paths, load_event, origin_event
from tests.edge.test_purge import keys, seed


def s3_event(name: str, key: str, event_name: str | None = None) -> dict[str, Any]:
    event = load_event(name)
    record = event["Records"][0]
    record["s3"]["bucket"]["name"] = TEST_BUCKET
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{TEST_BUCKET}"
    record["s3"]["object"]["key"] = key
    if event_name is not None:
        record["eventName"] = event_name
    return event


@pytest.fixture
def distribution(s3: S3Client, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    purge_module._clients.cache_clear()
    distribution_id = create_distribution()
    monkeypatch.setenv(DISTRIBUTION_ENV_VAR, distribution_id)
    yield distribution_id
    purge_module._clients.cache_clear()


def test_overwritten_original_loses_its_variants_and_is_invalidated(s3: S3Client, distribution: str) -> None:
    seed(s3)
    summary = handler(s3_event("s3-object-created-put", "photos/cat.jpg"), None)
    assert sorted(summary["variants"]) == [
        f"{TEST_BUCKET}/300/photos/cat.avif",
        f"{TEST_BUCKET}/300x200-contain-q60/photos/cat.jpg",
        f"{TEST_BUCKET}/640/photos/cat.webp",
    ]
    assert "photos/cat.jpg" in keys(s3)
    assert not {"300/photos/cat.avif", "640/photos/cat.webp"} & keys(s3)
    assert {"300/photos/cat.v2.avif", "300/photos/cat-2.avif", "photos/cat.v2.jpg"} <= keys(s3)
    assert invalidated_paths(distribution) == [
        ["/300/photos/cat.avif", "/300x200-contain-q60/photos/cat.jpg", "/640/photos/cat.webp", "/photos/cat.jpg"]
    ]


def test_removed_original_with_an_encoded_key(s3: S3Client, distribution: str) -> None:
    seed(s3)
    summary = handler(s3_event("s3-object-removed-delete", "my+cat.jpg"), None)
    assert summary["variants"] == [f"{TEST_BUCKET}/300/my cat.avif"]
    assert invalidated_paths(distribution) == [["/300/my%20cat.avif", "/my%20cat.jpg"]]


def test_events_for_variants_never_loop(s3: S3Client, distribution: str) -> None:
    # A render stores a variant (ObjectCreated:Put on 300/...), the purge deletes variants (ObjectRemoved:Delete
    # on 300/...): both notify the function, which must do nothing for them.
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=_png())
    rendered = origin_handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)
    assert rendered["status"] == "200"
    assert "300/photos/cat.avif" in keys(s3)
    for name, event_name in (("s3-object-created-put", None), ("s3-object-removed-delete", None)):
        summary = handler(s3_event(name, "300/photos/cat.avif", event_name), None)
        assert summary["ignored"] == 1
        assert summary["variants"] == []
    assert "300/photos/cat.avif" in keys(s3)
    assert invalidated_paths(distribution) == []


def test_non_images_are_ignored(s3: S3Client, distribution: str) -> None:
    seed(s3)
    summary = handler(s3_event("s3-object-created-put", "notes/readme.txt"), None)
    assert summary["ignored"] == 1
    assert invalidated_paths(distribution) == []


def test_failed_deletes_raise_so_lambda_retries(
    s3: S3Client, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(s3)
    client, _ = purge_module._clients()

    def failing(**kwargs: Any) -> dict[str, Any]:
        return {"Errors": [{"Key": kwargs["Delete"]["Objects"][0]["Key"], "Code": "AccessDenied", "Message": "no"}]}

    monkeypatch.setattr(client, "delete_objects", failing)
    with pytest.raises(PurgeFailed, match="could not be deleted"):
        handler(s3_event("s3-object-created-put", "photos/cat.jpg"), None)


def _png() -> bytes:
    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )


def test_a_failing_invalidation_propagates_so_lambda_retries_and_reports_it(
    s3: S3Client, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CloudFront refusing the invalidation (3,000 paths already in progress) must fail the invocation: Lambda then
    # retries it and, past the retries, sends the event to the on-failure queue (`imgedge purge --replay-failed`).
    seed(s3)
    _, cloudfront = purge_module._clients()

    def too_many(**kwargs: Any) -> dict[str, Any]:
        raise ClientError(
            {"Error": {"Code": "TooManyInvalidationsInProgress", "Message": "slow down"}}, "CreateInvalidation"
        )

    monkeypatch.setattr(cloudfront, "create_invalidation", too_many)
    with pytest.raises(ClientError, match="TooManyInvalidationsInProgress"):
        handler(s3_event("s3-object-created-put", "photos/cat.jpg"), None)


def test_a_failing_listing_propagates(s3: S3Client, distribution: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(s3)
    client, _ = purge_module._clients()

    def denied(**kwargs: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListObjectsV2")

    monkeypatch.setattr(client, "list_objects_v2", denied)
    with pytest.raises(ClientError, match="AccessDenied"):
        handler(s3_event("s3-object-removed-delete", "photos/cat.jpg"), None)
    assert {"300/photos/cat.avif", "640/photos/cat.webp"} <= keys(s3)  # nothing was deleted
