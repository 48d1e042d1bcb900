"""``edge.purge``: finding, deleting and invalidating an original's variants (moto S3 + CloudFront)."""

from collections import Counter
from typing import Any, cast

import boto3
import pytest
from botocore.exceptions import ClientError

from edge.config import Config
from edge.paths import validate_original_path
from edge.purge import (
    INVALIDATION_ATTEMPTS,
    InvalidationFailed,
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
    prefixed = Config.of(variant_prefix="_v")
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
    assert original_path("2024/beach.jpg", Config.of(variant_prefix="_v")) is not None
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


# --- proof by metadata, order, retries, scale ---------------------------------------------------------------


def test_an_original_at_a_variant_key_is_never_deleted(s3: S3Client) -> None:
    # Issue 12: uploading beach.jpg deleted the original 2024/beach.jpg; avatar.png deleted 12345/avatar.png.
    for key in ("2024/beach.jpg", "beach.jpg", "12345/avatar.png", "67890/avatar.png", "avatar.png"):
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"x")
    s3.put_object(Bucket=TEST_BUCKET, Key="300/beach.avif", Body=b"v", Metadata={"imgedge-source": "beach.jpg"})
    s3.put_object(Bucket=TEST_BUCKET, Key="640/beach.jpg", Body=b"v", Metadata={"imgedge-source": "other/beach.jpg"})
    result = purge(s3, TEST_BUCKET, [original("beach.jpg"), original("avatar.png")], CONFIG)
    assert result.variants == ["300/beach.avif"]
    assert sorted(result.unproven) == ["12345/avatar.png", "2024/beach.jpg", "640/beach.jpg", "67890/avatar.png"]
    assert keys(s3) == {"2024/beach.jpg", "beach.jpg", "12345/avatar.png", "67890/avatar.png", "avatar.png",
                        "640/beach.jpg"}  # fmt: skip


class CountingS3:
    """Counts the S3 operations a client sends (botocore's before-call event)."""

    def __init__(self, client: S3Client) -> None:
        self.calls: Counter[str] = Counter()
        client.meta.events.register("before-call.s3.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1


@pytest.mark.parametrize("layout", ["default", "variant_prefix"])
def test_purge_cost_in_s3_calls(s3: S3Client, layout: str) -> None:
    config = Config.of(variant_prefix="_v") if layout == "variant_prefix" else CONFIG
    folders = [str(width) for width in range(100, 1101)]  # 1,001 spec folders (more than one listing page)
    for width in folders[:10]:
        key = f"_v/photos/cat/{width}.avif" if config.storage.variant_prefix else f"{width}/photos/cat.avif"
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"v", Metadata={"imgedge-source": "photos/cat.jpg"})
    for width in folders:
        other = f"_v/photos/dog/{width}.avif" if config.storage.variant_prefix else f"{width}/photos/dog.avif"
        s3.put_object(Bucket=TEST_BUCKET, Key=other, Body=b"v", Metadata={"imgedge-source": "photos/dog.jpg"})
    client = boto3.client("s3", region_name="us-east-1")
    counting = CountingS3(client)
    result = purge(
        client, TEST_BUCKET, [validate_original_path("/photos/dog.jpg", config.sources.source_extensions)], config
    )
    assert len(result.variants) == 1001
    if config.storage.variant_prefix:
        # One listing of _v/photos/dog/ (two pages: 1,001 keys), whatever the number of spec folders.
        assert counting.calls["ListObjectsV2"] == 2
    else:
        # Two pages of top-level folders, then one listing per spec folder.
        assert counting.calls["ListObjectsV2"] == 2 + 1001
    assert counting.calls["HeadObject"] == 1001
    assert counting.calls["DeleteObjects"] == 2


class FailingDeletes:
    """An S3 client whose DeleteObjects fails (a crash between the invalidation and the deletes)."""

    def __init__(self, client: S3Client) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def delete_objects(self, **_: Any) -> Any:
        raise ConnectionError("network down")


def test_a_failure_between_invalidation_and_delete_is_repaired_by_a_rerun(s3: S3Client, distribution: str) -> None:
    seed(s3)
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    cat = original("photos/cat.jpg")
    with pytest.raises(ConnectionError):
        purge(cast(S3Client, FailingDeletes(s3)), TEST_BUCKET, [cat], CONFIG, cloudfront=cloudfront,
              distribution_id=distribution)  # fmt: skip
    paths = ["/300/photos/cat.avif", "/300x200-contain-q60/photos/cat.jpg", "/640/photos/cat.webp"]
    assert invalidated_paths(distribution) == [paths]  # invalidated first...
    assert keys(s3) == {*ORIGINALS, *VARIANTS, "notes/readme.txt"}  # ...so the variants are still there
    rerun = purge(s3, TEST_BUCKET, [cat], CONFIG, cloudfront=cloudfront, distribution_id=distribution)
    assert rerun.paths == paths
    assert invalidated_paths(distribution) == [paths, paths]
    assert not set(paths) & {f"/{key}" for key in keys(s3)}


class ThrottledCloudFront:
    """A CloudFront client that refuses ``failures`` CreateInvalidation calls with ``code``, then answers."""

    def __init__(self, failures: int, code: str) -> None:
        self.failures, self.code, self.calls = failures, code, []  # type: ignore[var-annotated]

    def create_invalidation(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if len(self.calls) <= self.failures:
            raise ClientError({"Error": {"Code": self.code, "Message": "slow down"}}, "CreateInvalidation")
        return {"Invalidation": {"Id": "I1"}}


def test_throttled_invalidations_are_retried_with_one_caller_reference(s3: S3Client) -> None:
    seed(s3)
    cloudfront = ThrottledCloudFront(3, "TooManyInvalidationsInProgress")
    sleeps: list[float] = []
    result = purge(s3, TEST_BUCKET, [original("photos/cat.jpg")], CONFIG, cloudfront=cast(Any, cloudfront),
                   distribution_id="E1", sleep=sleeps.append)  # fmt: skip
    assert result.invalidations == ["I1"]
    assert len(cloudfront.calls) == 4
    assert len({call["InvalidationBatch"]["CallerReference"] for call in cloudfront.calls}) == 1
    assert len(sleeps) == 3
    assert all(0 <= pause <= 2**attempt for attempt, pause in enumerate(sleeps))
    assert "300/photos/cat.avif" not in keys(s3)


@pytest.mark.parametrize("code", ["TooManyInvalidationsInProgress", "Throttling"])
def test_invalidation_refused_past_the_retries_deletes_nothing(s3: S3Client, code: str) -> None:
    seed(s3)
    cloudfront = ThrottledCloudFront(100, code)
    with pytest.raises(InvalidationFailed, match="nothing was deleted"):
        purge(s3, TEST_BUCKET, [original("photos/cat.jpg")], CONFIG, cloudfront=cast(Any, cloudfront),
              distribution_id="E1", sleep=lambda _: None)  # fmt: skip
    assert len(cloudfront.calls) == INVALIDATION_ATTEMPTS
    assert keys(s3) == {*ORIGINALS, *VARIANTS, "notes/readme.txt"}


def test_other_invalidation_errors_are_not_retried(s3: S3Client) -> None:
    seed(s3)
    cloudfront = ThrottledCloudFront(100, "AccessDenied")
    with pytest.raises(ClientError):
        purge(s3, TEST_BUCKET, [original("photos/cat.jpg")], CONFIG, cloudfront=cast(Any, cloudfront),
              distribution_id="E1", sleep=lambda _: None)  # fmt: skip
    assert len(cloudfront.calls) == 1
    assert keys(s3) == {*ORIGINALS, *VARIANTS, "notes/readme.txt"}


def test_with_variant_prefix_one_listing_finds_only_this_originals_variants(s3: S3Client) -> None:
    config = Config.of(variant_prefix="_v")
    for key, source in [
        ("_v/photos/cat/300.avif", "photos/cat.jpg"),
        ("_v/photos/cat/640.webp", "photos/cat.png"),
        ("_v/photos/cat/x/300.avif", "photos/cat/x.jpg"),
        ("_v/photos/cat.v2/300.avif", "photos/cat.v2.jpg"),
    ]:
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"v", Metadata={"imgedge-source": source})
    for key in ("photos/cat.jpg", "300/photos/cat.avif", "2024/beach.jpg"):
        s3.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"x")  # originals, whatever their folders
    cat = validate_original_path("/photos/cat.jpg", config.sources.source_extensions)
    result = purge(s3, TEST_BUCKET, [cat], config)
    assert sorted(result.variants) == ["_v/photos/cat/300.avif", "_v/photos/cat/640.webp"]
    assert result.unproven == []
    assert keys(s3) == {"_v/photos/cat/x/300.avif", "_v/photos/cat.v2/300.avif", "photos/cat.jpg",
                        "300/photos/cat.avif", "2024/beach.jpg"}  # fmt: skip
