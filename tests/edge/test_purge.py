"""``edge.purge``: finding, deleting and invalidating an original's variants (moto S3 + CloudFront)."""

from typing import Any

import boto3
import pytest

from edge.config import Config
from edge.purge import (
    NotAVariant,
    delete_variants,
    in_variant_namespace,
    is_variant_key,
    object_changes,
    original_path,
    originals_to_purge,
    purge,
    spec_prefixes,
)
from tests.conftest import TEST_BUCKET, S3Client, create_distribution, invalidated_paths, load_event

CONFIG = Config()
ORIGINALS = ["photos/cat.jpg", "photos/cat.v2.jpg", "photos/cat-2.png", "photos/dog.jpg", "top.png", "my cat.jpg"]
# Each stored variant with the original its metadata names (what edge.store.S3Store.put_variant writes).
VARIANT_SOURCES = {
    "300/photos/cat.avif": "photos/cat.jpg",
    "640/photos/cat.webp": "photos/cat.jpg",
    "300x200-contain-q60/photos/cat.jpg": "photos/cat.jpg",
    "300/photos/cat.v2.avif": "photos/cat.v2.jpg",
    "300/photos/cat-2.avif": "photos/cat-2.png",
    "x100/top.png": "top.png",
    "300/my cat.avif": "my%20cat.jpg",
}
VARIANTS = list(VARIANT_SOURCES)


def seed(s3: S3Client) -> None:
    for key in [*ORIGINALS, "notes/readme.txt"]:
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"x")
    for key, source in VARIANT_SOURCES.items():
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"x", Metadata={"imgedge-source": source})


def keys(s3: S3Client) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=TEST_BUCKET).get("Contents", [])}


def original(key: str) -> Any:
    found = original_path(key, CONFIG)
    assert found is not None, key
    return found


# --- the key grammar ---------------------------------------------------------------------------------------------


def test_variant_namespace_and_keys() -> None:
    assert in_variant_namespace("300/photos/cat.avif", CONFIG)
    assert not in_variant_namespace("300x200-contain-q60/x.gif", CONFIG)  # not a variant key: an original's
    assert not in_variant_namespace("photos/300/cat.avif", CONFIG)
    assert not in_variant_namespace("300", CONFIG)
    prefixed = Config(variant_prefix="_v")
    assert in_variant_namespace("_v/anything", prefixed)
    assert not in_variant_namespace("300/photos/cat.avif", prefixed)  # an original, with a prefix
    assert is_variant_key("300/photos/cat.avif", CONFIG)
    assert not is_variant_key("300/photos/cat.gif", CONFIG)  # not an output extension
    assert not is_variant_key("300x200-cover/photos/cat.jpg", CONFIG)  # not canonical
    assert not is_variant_key("photos/cat.jpg", CONFIG)


def test_original_path_is_none_for_variants_and_non_images() -> None:
    assert original("photos/cat.jpg").stem == "photos/cat"
    assert original_path("300/photos/cat.jpg", CONFIG) is None
    assert original_path("300/photos/cat.gif", CONFIG) is not None  # not a variant key: its changes count
    assert original_path("2024/beach.jpg", Config(variant_prefix="_v")) is not None
    assert original_path("notes/readme.txt", CONFIG) is None
    assert original_path("a/../b.jpg", CONFIG) is None


# --- purge against moto ----------------------------------------------------------------------------------------


@pytest.fixture
def distribution(s3: S3Client) -> str:
    return create_distribution()


def test_purge_deletes_exactly_the_variants_and_invalidates_them_and_the_originals(
    s3: S3Client, distribution: str
) -> None:
    seed(s3)
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    result = purge(
        s3, TEST_BUCKET, [original("photos/cat.jpg"), original("my cat.jpg")], CONFIG,
        cloudfront=cloudfront, distribution_id=distribution, invalidate_originals=True,
    )  # fmt: skip
    gone = {"300/photos/cat.avif", "640/photos/cat.webp", "300x200-contain-q60/photos/cat.jpg", "300/my cat.avif"}
    assert set(result.variants) == gone
    assert keys(s3) == {*ORIGINALS, *VARIANTS, "notes/readme.txt"} - gone
    assert result.errors == []
    expected = sorted([
        "/300/my%20cat.avif", "/300/photos/cat.avif", "/300x200-contain-q60/photos/cat.jpg", "/640/photos/cat.webp",
        "/my%20cat.jpg", "/photos/cat.jpg",
    ])  # fmt: skip
    assert result.paths == expected
    assert invalidated_paths(distribution) == [expected]
    assert len(result.invalidations) == 1


def test_purge_without_variants_invalidates_only_when_asked(s3: S3Client, distribution: str) -> None:
    seed(s3)
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    quiet = purge(s3, TEST_BUCKET, [original("photos/dog.jpg")], CONFIG, cloudfront=cloudfront,
                  distribution_id=distribution)  # fmt: skip
    assert quiet.variants == []
    assert quiet.invalidations == []
    loud = purge(s3, TEST_BUCKET, [original("photos/dog.jpg")], CONFIG, cloudfront=cloudfront,
                 distribution_id=distribution, invalidate_originals=True)  # fmt: skip
    assert loud.paths == ["/photos/dog.jpg"]
    assert invalidated_paths(distribution) == [["/photos/dog.jpg"]]
    assert keys(s3) == {*ORIGINALS, *VARIANTS, "notes/readme.txt"}


def test_delete_variants_refuses_any_original_before_deleting_anything(s3: S3Client) -> None:
    seed(s3)
    with pytest.raises(NotAVariant):
        delete_variants(s3, TEST_BUCKET, ["300/photos/cat.avif", "photos/cat.jpg"], CONFIG)
    with pytest.raises(NotAVariant):
        delete_variants(s3, TEST_BUCKET, ["notes/readme.txt"], CONFIG)
    assert keys(s3) == {*ORIGINALS, *VARIANTS, "notes/readme.txt"}


def test_spec_prefixes_are_the_spec_folders_only(s3: S3Client) -> None:
    seed(s3)
    assert sorted(spec_prefixes(s3, TEST_BUCKET, CONFIG)) == ["300", "300x200-contain-q60", "640", "x100"]


# --- S3 event notifications ----------------------------------------------------------------------------------


def test_object_changes_decode_the_documented_event() -> None:
    (change,) = object_changes(load_event("s3-object-created-put"))
    assert (change.event_name, change.bucket, change.key, change.region) == (
        "ObjectCreated:Put", "amzn-s3-demo-bucket", "HappyFace.jpg", "us-east-1",
    )  # fmt: skip


def test_object_keys_are_url_decoded_as_s3_encodes_them() -> None:
    event = load_event("s3-object-created-put")
    event["Records"][0]["s3"]["object"]["key"] = "photos/red+flower%C3%A9.jpg"
    assert object_changes(event)[0].key == "photos/red floweré.jpg"


def test_originals_to_purge_skips_variants_non_images_and_other_events() -> None:
    event = load_event("s3-object-created-put")
    template = event["Records"][0]
    records = []
    for name, key in [
        ("ObjectCreated:Put", "photos/cat.jpg"),
        ("ObjectRemoved:Delete", "photos/dog.png"),
        ("ObjectCreated:CompleteMultipartUpload", "big.tif"),
        ("ObjectCreated:Put", "300/photos/cat.avif"),  # origin-response's write
        ("ObjectRemoved:Delete", "300/photos/cat.avif"),  # the purge's own delete
        ("ObjectRemoved:DeleteMarkerCreated", "300x200-contain/photos/cat.jpg"),
        ("ObjectCreated:Put", "notes/readme.txt"),
        ("ObjectRestore:Completed", "photos/old.jpg"),
    ]:
        record = {**template, "eventName": name, "s3": {**template["s3"], "object": {"key": key}}}
        records.append(record)
    found = originals_to_purge(object_changes({"Records": records}), CONFIG)
    assert {bucket: [o.key for o in found[bucket]] for bucket in found} == {
        "amzn-s3-demo-bucket": ["photos/cat.jpg", "photos/dog.png", "big.tif"]
    }


def test_test_event_has_no_changes() -> None:
    assert object_changes({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}) == []
