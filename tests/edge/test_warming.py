"""edge.warming: the variants an original's warm renditions name, and warming them into moto S3 with the real
renderer. The purge-on-change function's own tests compare warmed objects with origin-response's."""

import io
from functools import partial

import pytest
from PIL import Image

from edge.config import Config
from edge.paths import OriginalPath
from edge.ports import Renderer
from edge.purge import ObjectChange, original_path
from edge.render import Limits, render
from edge.store import S3Store
from edge.warming import (
    WarmTarget,
    edge_reads_from,
    missing_targets,
    originals_to_warm,
    warm_original,
    warm_targets,
)
from tests.conftest import TEST_BUCKET, S3Client

WARM = Config.of(warm_renditions=("w=320", "w=640&format=webp", "w=320&format=webp"))


def _original(key: str, config: Config = WARM) -> OriginalPath:
    found = original_path(key, config)
    assert found is not None, key
    return found


def jpeg(size: tuple[int, int] = (900, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def png(size: tuple[int, int] = (900, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (200, 30, 30, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def store(s3: S3Client, config: Config = WARM) -> S3Store:
    return S3Store(s3, TEST_BUCKET, max_source_bytes=config.limits.max_source_bytes, tag_variants=False)


def renderer(config: Config = WARM) -> Renderer:
    return partial(render, limits=Limits.from_config(config))


def keys(s3: S3Client) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=TEST_BUCKET).get("Contents", [])}


# --- which variants ---------------------------------------------------------------------------------------------


def test_targets_are_each_renditions_keys_once_in_order() -> None:
    targets = warm_targets(_original("photos/cat.jpg"), WARM)
    assert [(t.key, t.url) for t in targets] == [
        ("320/photos/cat.avif", "/photos/cat.jpg?w=320"),
        ("320/photos/cat.webp", "/photos/cat.jpg?w=320"),
        ("320/photos/cat.jpg", "/photos/cat.jpg?w=320"),
        ("640/photos/cat.webp", "/photos/cat.jpg?w=640&format=webp"),
    ]


def test_targets_follow_the_layout_and_the_originals_family() -> None:
    config = Config.of(variant_prefix="_v", warm_renditions=("w=300&h=200",))
    targets = warm_targets(_original("my cat.PNG", config), config)
    assert [(t.key, t.url) for t in targets] == [
        ("_v/my cat/300x200.avif", "/my%20cat.PNG?w=300&h=200"),
        ("_v/my cat/300x200.webp", "/my%20cat.PNG?w=300&h=200"),
        ("_v/my cat/300x200.png", "/my%20cat.PNG?w=300&h=200"),
    ]


def test_no_renditions_no_targets() -> None:
    assert warm_targets(_original("photos/cat.jpg", Config()), Config()) == ()


ORIGINS = Config.of(
    origins=({"prefix": "avatars/", "bucket": "avatars-bucket", "region": "eu-west-1"},),
)


@pytest.mark.parametrize(
    ("bucket", "key", "config", "reads"),
    [
        ("main", "photos/cat.jpg", Config(), True),
        ("avatars-bucket", "avatars/ann.jpg", ORIGINS, True),
        ("main", "avatars/ann.jpg", ORIGINS, False),  # the edge reads avatars/ from its own bucket
        ("avatars-bucket", "photos/cat.jpg", ORIGINS, False),  # outside the prefix: the main bucket's
        ("main", "photos/cat.jpg", ORIGINS, True),
        ("other", "photos/cat.jpg", Config.of(bucket="main"), False),
        ("main", "photos/cat.jpg", Config.of(bucket="main"), True),
    ],
)
def test_an_original_is_warmed_only_in_the_bucket_the_edge_reads_it_from(
    bucket: str, key: str, config: Config, reads: bool
) -> None:
    assert edge_reads_from(bucket, key, config) is reads


def test_originals_to_warm_are_created_originals_never_variants() -> None:
    changes = [
        ObjectChange("ObjectCreated:Put", "b", "photos/cat.jpg", "us-east-1"),
        ObjectChange("ObjectCreated:CompleteMultipartUpload", "b", "photos/dog.png", "us-east-1"),
        ObjectChange("ObjectCreated:Copy", "b", "photos/cat.jpg", "us-east-1"),  # twice: warmed once
        ObjectChange("ObjectCreated:Put", "b", "320/photos/cat.avif", "us-east-1"),  # a warmed variant's own event
        ObjectChange("ObjectRemoved:Delete", "b", "photos/bird.jpg", "us-east-1"),
        ObjectChange("ObjectCreated:Put", "b", "notes/readme.txt", "us-east-1"),
        ObjectChange("ObjectCreated:Put", "c", "photos/cow.webp", "us-east-1"),
    ]
    found = originals_to_warm(changes, WARM)
    assert {bucket: [o.key for o in originals] for bucket, originals in found.items()} == {
        "b": ["photos/cat.jpg", "photos/dog.png"],
        "c": ["photos/cow.webp"],
    }
    prefixed = Config.of(variant_prefix="_v", warm_renditions=("w=320",))
    own_write = [ObjectChange("ObjectCreated:Put", "b", "_v/photos/cat/320.avif", "us-east-1")]
    assert originals_to_warm(own_write, prefixed) == {}


# --- warming into S3 --------------------------------------------------------------------------------------------


def test_warming_stores_every_missing_variant(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=jpeg())
    report = warm_original(store(s3), _original("photos/cat.jpg"), WARM, renderer())
    expected = ["320/photos/cat.avif", "320/photos/cat.webp", "320/photos/cat.jpg", "640/photos/cat.webp"]
    assert (report.written, report.skipped, report.failed, report.gone) == (expected, [], [], False)
    assert report.source == "photos/cat.jpg"
    assert keys(s3) == {"photos/cat.jpg", *expected}
    sizes = {}
    for key in expected:
        body = s3.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read()
        with Image.open(io.BytesIO(body)) as image:
            sizes[key] = (image.format, image.size)
    assert sizes == {
        "320/photos/cat.avif": ("AVIF", (320, 213)),
        "320/photos/cat.webp": ("WEBP", (320, 213)),
        "320/photos/cat.jpg": ("JPEG", (320, 213)),
        "640/photos/cat.webp": ("WEBP", (640, 427)),
    }
    assert report.bytes_in == len(jpeg())
    assert report.bytes_out == sum(s3.head_object(Bucket=TEST_BUCKET, Key=key)["ContentLength"] for key in expected)
    assert {"check", "fetch", "decode", "transform", "encode", "store"} <= set(report.ms)


def test_an_existing_variant_is_left_alone(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=jpeg())
    s3.put_object(Bucket=TEST_BUCKET, Key="320/photos/cat.webp", Body=b"stored before", ContentType="image/webp")
    etag = s3.head_object(Bucket=TEST_BUCKET, Key="320/photos/cat.webp")["ETag"]
    report = warm_original(store(s3), _original("photos/cat.jpg"), WARM, renderer())
    assert report.skipped == ["320/photos/cat.webp"]
    assert "320/photos/cat.webp" not in report.written
    assert len(report.written) == 3
    assert s3.head_object(Bucket=TEST_BUCKET, Key="320/photos/cat.webp")["ETag"] == etag
    again = warm_original(store(s3), _original("photos/cat.jpg"), WARM, renderer())
    assert (again.written, len(again.skipped), again.source) == ([], 4, None)  # nothing read, nothing rendered


def test_a_variant_stored_meanwhile_is_left_alone_by_the_conditional_write(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=jpeg())
    target = warm_targets(_original("photos/cat.jpg"), WARM)[0]
    racing = store(s3)
    # The existence check saw nothing; a viewer's miss stores the key before the warm write lands.
    racing.has_object = lambda key: False  # type: ignore[method-assign]
    s3.put_object(Bucket=TEST_BUCKET, Key=target.key, Body=b"a concurrent render")
    report = warm_original(racing, _original("photos/cat.jpg"), WARM, renderer())
    assert target.key in report.skipped
    assert target.key not in report.written
    assert s3.get_object(Bucket=TEST_BUCKET, Key=target.key)["Body"].read() == b"a concurrent render"


def test_the_sibling_origin_response_would_render_from_is_the_source(s3: S3Client) -> None:
    # photos/cat.jpg and photos/cat.png share their variants; jpg comes first in source_extensions.
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=jpeg())
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.png", Body=png())
    report = warm_original(store(s3), _original("photos/cat.png"), WARM, renderer())
    assert report.source == "photos/cat.jpg"
    metadata = s3.head_object(Bucket=TEST_BUCKET, Key="320/photos/cat.avif")["Metadata"]
    assert metadata["imgedge-source"] == "photos/cat.jpg"


def test_a_deleted_original_is_gone_not_failed(s3: S3Client) -> None:
    report = warm_original(store(s3), _original("photos/cat.jpg"), WARM, renderer())
    assert (report.gone, report.failed, report.written) == (True, [], [])
    assert keys(s3) == set()


def test_a_corrupt_original_fails_each_variant_and_stores_nothing(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=b"\xff\xd8\xff\xe0 not really a jpeg")
    report = warm_original(store(s3), _original("photos/cat.jpg"), WARM, renderer())
    assert len(report.failed) == 4
    assert report.failed[0].startswith("320/photos/cat.avif: ")
    assert report.written == []
    assert keys(s3) == {"photos/cat.jpg"}


def test_an_original_that_is_itself_a_variant_is_refused(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=jpeg(), Metadata={"imgedge-source": "photos/x.png"})
    report = warm_original(store(s3), _original("photos/cat.jpg"), WARM, renderer())
    assert len(report.failed) == 4
    assert "itself a stored variant" in report.failed[0]
    assert keys(s3) == {"photos/cat.jpg"}


def test_missing_targets_splits_by_existence(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="320/photos/cat.webp", Body=b"x")
    targets = warm_targets(_original("photos/cat.jpg"), WARM)
    missing, present = missing_targets(store(s3), targets)
    assert [t.key for t in present] == ["320/photos/cat.webp"]
    assert [t.key for t in missing] == ["320/photos/cat.avif", "320/photos/cat.jpg", "640/photos/cat.webp"]
    assert missing_targets(store(s3), ()) == ([], [])
    assert isinstance(targets[0], WarmTarget)
