"""Purge on change with ``origins``: an event from an extra bucket purges the variants in that bucket only."""

from tests.conftest import TEST_BUCKET, S3Client, config_with
from tests.purge_on_change.conftest import Purge
from tests.purge_on_change.test_handler import s3_event

AVATARS = "acme-profile-images"  # a bucket the stack creates lives in the stack's region, us-east-1


def keys(s3: S3Client, bucket: str) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_an_extra_buckets_event_deletes_the_variants_in_that_bucket(s3: S3Client, purge: Purge) -> None:
    handler = purge(config_with(origins=[{"prefix": "avatars/", "bucket": AVATARS, "region": "us-east-1"}]))
    s3.create_bucket(Bucket=AVATARS)
    for bucket in (AVATARS, TEST_BUCKET):  # the same keys in both buckets: only the event's bucket is purged
        s3.put_object(Bucket=bucket, Key="avatars/ann.jpg", Body=b"x")
        for key in ("300/avatars/ann.avif", "640/avatars/ann.webp"):  # variants, as origin-response stores them
            s3.put_object(Bucket=bucket, Key=key, Body=b"x", Metadata={"imgedge-source": "avatars/ann.jpg"})
    event = s3_event("s3-object-created-put", "avatars/ann.jpg")
    event["Records"][0]["s3"]["bucket"].update(name=AVATARS, arn=f"arn:aws:s3:::{AVATARS}")

    summary = handler(event, None)

    assert sorted(summary["variants"]) == [f"{AVATARS}/300/avatars/ann.avif", f"{AVATARS}/640/avatars/ann.webp"]
    assert keys(s3, AVATARS) == ["avatars/ann.jpg"]
    assert keys(s3, TEST_BUCKET) == ["300/avatars/ann.avif", "640/avatars/ann.webp", "avatars/ann.jpg"]
