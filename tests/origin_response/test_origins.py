"""The real origin-response handler with ``origins``: two moto buckets besides the default one."""

import base64

import boto3
import pytest

from origin_response.handler import handler
from tests.conftest import TEST_BUCKET, ConfigSetter, S3Client, origin_event
from tests.origin_response.test_handler import image_bytes

AVATARS = {"prefix": "avatars/", "bucket": "acme-avatars", "region": "eu-west-1"}
LOGOS = {"prefix": "orgs/logos/", "bucket": "acme-org-logos", "region": "us-west-2"}


@pytest.fixture
def buckets(s3: S3Client, use_config: ConfigSetter) -> S3Client:
    for origin in (AVATARS, LOGOS):
        client = boto3.client("s3", region_name=origin["region"])
        client.create_bucket(
            Bucket=origin["bucket"],
            CreateBucketConfiguration={"LocationConstraint": origin["region"]},  # type: ignore[typeddict-item]
        )
    use_config(origins=[AVATARS, LOGOS])
    return s3


def keys(s3: S3Client, bucket: str) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


@pytest.mark.parametrize("marker", ["/avatars/ann.png", None])
def test_each_prefix_renders_from_and_stores_into_its_own_bucket(buckets: S3Client, marker: str | None) -> None:
    s3 = buckets
    s3.put_object(Bucket="acme-avatars", Key="avatars/ann.png", Body=image_bytes())
    s3.put_object(Bucket="acme-org-logos", Key="orgs/logos/acme.png", Body=image_bytes(size=(400, 400)))
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=image_bytes())

    # The avatars request arrives with the avatars origin in the event, as its cache behavior sends it.
    avatar = handler(origin_event(403, "/300/avatars/ann.avif", marker, bucket="acme-avatars"), None)
    # The logo request arrives through the default origin (misrouted): the configured origin still wins.
    logo = handler(origin_event(404, "/x100/orgs/logos/acme.webp", "/orgs/logos/acme.png"), None)
    photo = handler(origin_event(403, "/300/photos/cat.avif", "/photos/cat.png"), None)

    assert [r["status"] for r in (avatar, logo, photo)] == ["200", "200", "200"]
    assert keys(s3, "acme-avatars") == ["300/avatars/ann.avif", "avatars/ann.png"]
    assert keys(s3, "acme-org-logos") == ["orgs/logos/acme.png", "x100/orgs/logos/acme.webp"]
    assert keys(s3, TEST_BUCKET) == ["300/photos/cat.avif", "photos/cat.png"]
    stored = s3.get_object(Bucket="acme-avatars", Key="300/avatars/ann.avif")
    assert stored["Body"].read() == base64.b64decode(avatar["body"])
    assert stored["Metadata"]["imgedge-source"] == "avatars/ann.png"


def test_an_original_only_in_the_default_bucket_is_not_found_for_a_prefixed_key(buckets: S3Client) -> None:
    buckets.put_object(Bucket=TEST_BUCKET, Key="avatars/bob.png", Body=image_bytes())
    response = handler(origin_event(403, "/300/avatars/bob.avif", "/avatars/bob.png"), None)
    assert response["status"] == "404"
    assert keys(buckets, "acme-avatars") == []
    assert keys(buckets, TEST_BUCKET) == ["avatars/bob.png"]
