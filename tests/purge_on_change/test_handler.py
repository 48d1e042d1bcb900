"""The purge-on-change function: real S3 event JSON through the real handler, against moto S3 and CloudFront."""

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError

from edge import purge as purge_api
from edge.purge import InvalidationFailed
from origin_response.handler import handler as origin_entry_point
from purge_on_change.handler import PurgeFailed
from purge_on_change.handler import handler as purge_entry_point
from tests.conftest import (
    TEST_BUCKET,
    CloudFrontClient,
    ConfigSetter,
    Handler,
    Handlers,
    S3Client,
    invalidated_paths,
    load_event,
    origin_event,
)
from tests.edge.test_purge import keys, seed
from tests.purge_on_change.conftest import Purge


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
def handler(purge: Purge) -> Handler:
    """The purge-on-change handler of the default configuration."""
    return purge()


def test_overwritten_original_loses_its_variants_and_is_invalidated(
    s3: S3Client, distribution: str, handler: Handler
) -> None:
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


def test_removed_original_with_an_encoded_key(s3: S3Client, distribution: str, handler: Handler) -> None:
    seed(s3)
    summary = handler(s3_event("s3-object-removed-delete", "my+cat.jpg"), None)
    assert summary["variants"] == [f"{TEST_BUCKET}/300/my cat.avif"]
    assert invalidated_paths(distribution) == [["/300/my%20cat.avif", "/my%20cat.jpg"]]


def test_events_for_variants_never_loop(s3: S3Client, distribution: str, handler: Handler, handlers: Handlers) -> None:
    # A render stores a variant (ObjectCreated:Put on 300/...), the purge deletes variants (ObjectRemoved:Delete
    # on 300/...): both notify the function, which must do nothing for them.
    origin_handler = handlers.origin()
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


def test_non_images_are_ignored(s3: S3Client, distribution: str, handler: Handler) -> None:
    seed(s3)
    summary = handler(s3_event("s3-object-created-put", "notes/readme.txt"), None)
    assert summary["ignored"] == 1
    assert invalidated_paths(distribution) == []


def test_failed_deletes_raise_so_lambda_retries(
    s3: S3Client, clients: tuple[S3Client, CloudFrontClient], handler: Handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(s3)
    client, _ = clients

    def failing(**kwargs: Any) -> dict[str, Any]:
        return {"Errors": [{"Key": kwargs["Delete"]["Objects"][0]["Key"], "Code": "AccessDenied", "Message": "no"}]}

    monkeypatch.setattr(client, "delete_objects", failing)
    with pytest.raises(PurgeFailed, match="could not be deleted"):
        handler(s3_event("s3-object-created-put", "photos/cat.jpg"), None)


def _png() -> bytes:
    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )


def test_a_refused_invalidation_raises_and_deletes_nothing(
    s3: S3Client, clients: tuple[S3Client, CloudFrontClient], handler: Handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(s3)
    _, cloudfront = clients
    monkeypatch.setattr(purge_api, "INVALIDATION_BACKOFF_S", 0.0)

    def throttled(**_: Any) -> dict[str, Any]:
        raise ClientError(
            {"Error": {"Code": "TooManyInvalidationsInProgress", "Message": "busy"}}, "CreateInvalidation"
        )

    monkeypatch.setattr(cloudfront, "create_invalidation", throttled)
    before = keys(s3)
    # Raised, so that Lambda's asynchronous retries and then its on-failure destination see the event.
    with pytest.raises(InvalidationFailed):
        handler(s3_event("s3-object-created-put", "photos/cat.jpg"), None)
    assert keys(s3) == before


def test_a_changed_original_in_a_spec_shaped_folder_is_purged_with_variant_prefix(
    s3: S3Client, distribution: str, new_container: ConfigSetter
) -> None:
    """Through ``handler`` of both functions, as Lambda runs them: the bundled configuration (here ``variant_prefix``)
    and the distribution of ``IMGEDGE_DISTRIBUTION_ID``."""
    new_container(variant_prefix="_v")
    origin_handler, handler = origin_entry_point, purge_entry_point
    s3.put_object(Bucket=TEST_BUCKET, Key="2024/beach.png", Body=_png())
    assert origin_handler(origin_event(403, "/_v/2024/beach/300.avif", "/2024/beach.png"), None)["status"] == "200"
    ignored = handler(s3_event("s3-object-created-put", "_v/2024/beach/300.avif"), None)  # the render's own write
    assert ignored["ignored"] == 1
    summary = handler(s3_event("s3-object-created-put", "2024/beach.png"), None)
    assert summary["variants"] == [f"{TEST_BUCKET}/_v/2024/beach/300.avif"]
    assert keys(s3) == {"2024/beach.png"}
    assert invalidated_paths(distribution) == [["/2024/beach.png", "/_v/2024/beach/300.avif"]]


def test_a_failing_listing_propagates(
    s3: S3Client, clients: tuple[S3Client, CloudFrontClient], handler: Handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(s3)
    client, _ = clients

    def denied(**kwargs: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListObjectsV2")

    monkeypatch.setattr(client, "list_objects_v2", denied)
    with pytest.raises(ClientError, match="AccessDenied"):
        handler(s3_event("s3-object-removed-delete", "photos/cat.jpg"), None)
    assert {"300/photos/cat.avif", "640/photos/cat.webp"} <= keys(s3)  # nothing was deleted
