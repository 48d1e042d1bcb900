"""Warm on upload: the purge-on-change function with warming on real S3 event JSON, against moto; the objects it
stores are compared with those the viewer-request and origin-response functions store for the same URLs."""

import io
import json
import random
from typing import Any

import pytest
from PIL import Image

from edge.errors import ConfigError
from edge.marker import MARKER_HEADER
from purge_on_change.handler import WarmFailed
from purge_on_change.handler import handler as purge_entry_point
from purge_on_change.warming import handler as warming_entry_point
from tests.conftest import (
    TEST_BUCKET,
    ConfigSetter,
    Handlers,
    LogRecorder,
    S3Client,
    config_with,
    invalidated_paths,
    origin_event,
    viewer_event,
)
from tests.purge_on_change.conftest import Purge
from tests.purge_on_change.test_handler import s3_event

RENDITIONS = ["w=320", "w=640&format=webp"]
#: The variants RENDITIONS give photos/cat.jpg, written out by hand: w=320 in each format format=auto can pick
#: (AVIF, WebP, then JPEG for a JPEG original), w=640 in WebP only.
WARMED = ["320/photos/cat.avif", "320/photos/cat.webp", "320/photos/cat.jpg", "640/photos/cat.webp"]
#: Accept headers that make viewer-request pick each format: Chrome's, Safari 15's, and curl's.
ACCEPTS = (
    "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5",
    "*/*",
)
VIEWERS_BUCKET = "imgedge-viewers-bucket"


def photo(size: tuple[int, int] = (1200, 800)) -> bytes:
    """A JPEG with some detail (noise over a gradient), so the encoders have something to decide about."""
    rng = random.Random(18)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.frombytes("RGB", size, bytes(rng.randrange(256) for _ in range(size[0] * size[1] * 3)))
    buffer = io.BytesIO()
    Image.blend(image, noise, 0.3).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def keys(s3: S3Client, bucket: str = TEST_BUCKET) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def stored(s3: S3Client, bucket: str, key: str) -> dict[str, Any]:
    """Everything of a stored object a viewer or a lifecycle rule sees."""
    answer = s3.get_object(Bucket=bucket, Key=key)
    return {
        "body": answer["Body"].read(),
        "content_type": answer["ContentType"],
        "cache_control": answer.get("CacheControl"),
        "metadata": answer["Metadata"],
        "tags": s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"],
    }


WARM = config_with(warm_renditions=RENDITIONS)


def test_a_created_original_is_warmed_with_what_a_viewers_miss_stores(
    s3: S3Client, distribution: str, warming: Purge, handlers: Handlers
) -> None:
    config = config_with(warm_renditions=RENDITIONS, tag_variants=True)
    body = photo()
    s3.create_bucket(Bucket=VIEWERS_BUCKET)
    for bucket in (TEST_BUCKET, VIEWERS_BUCKET):
        s3.put_object(Bucket=bucket, Key="photos/cat.jpg", Body=body, ContentType="image/jpeg")

    summary = warming(config)(s3_event("s3-object-created-put", "photos/cat.jpg"), None)

    assert summary["warmed"] == [f"{TEST_BUCKET}/{key}" for key in WARMED]
    assert (summary["warm_skipped"], summary["warm_failed"]) == ([], [])
    assert keys(s3) == {"photos/cat.jpg", *WARMED}
    # What viewers asking for the same URLs get stored: viewer-request decides key and marker, origin-response
    # renders and stores the miss (in another bucket holding the same original), both under the same configuration.
    viewer, origin = handlers.viewer(config), handlers.origin(config)
    for query in RENDITIONS:
        for accept in ACCEPTS:
            request = viewer(viewer_event("/photos/cat.jpg", query, accept=accept), None)
            marker = request["headers"][MARKER_HEADER][0]["value"]
            response = origin(origin_event(403, request["uri"], marker, bucket=VIEWERS_BUCKET), None)
            assert response["status"] == "200", response
    assert keys(s3, VIEWERS_BUCKET) == keys(s3)
    for key in WARMED:
        assert stored(s3, TEST_BUCKET, key) == stored(s3, VIEWERS_BUCKET, key), key
    assert stored(s3, TEST_BUCKET, "320/photos/cat.avif")["tags"] == [{"Key": "imgedge", "Value": "variant"}]
    # The purge ran first: the original's own path was invalidated (it had no variants yet).
    assert invalidated_paths(distribution) == [["/photos/cat.jpg"]]


def test_an_existing_variant_is_left_alone(s3: S3Client, warming: Purge) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=photo())
    # An object at a warm key that the purge does not delete (no variant metadata proves it is one).
    s3.put_object(Bucket=TEST_BUCKET, Key="320/photos/cat.webp", Body=b"kept", ContentType="image/webp")
    etag = s3.head_object(Bucket=TEST_BUCKET, Key="320/photos/cat.webp")["ETag"]

    summary = warming(WARM)(s3_event("s3-object-created-put", "photos/cat.jpg"), None)

    assert summary["warm_skipped"] == [f"{TEST_BUCKET}/320/photos/cat.webp"]
    assert summary["warmed"] == [f"{TEST_BUCKET}/{key}" for key in WARMED if key != "320/photos/cat.webp"]
    assert s3.head_object(Bucket=TEST_BUCKET, Key="320/photos/cat.webp")["ETag"] == etag


@pytest.mark.parametrize("variant_prefix", ["", "_v"])
def test_the_functions_own_writes_do_not_warm_again(
    s3: S3Client, distribution: str, warming: Purge, variant_prefix: str
) -> None:
    handler = warming(config_with(warm_renditions=RENDITIONS, variant_prefix=variant_prefix))
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=photo())
    first = handler(s3_event("s3-object-created-put", "photos/cat.jpg"), None)
    written = [entry.removeprefix(f"{TEST_BUCKET}/") for entry in first["warmed"]]
    assert len(written) == 4
    etags = {key: s3.head_object(Bucket=TEST_BUCKET, Key=key)["ETag"] for key in written}
    # Each write of the warming notifies the function (ObjectCreated:Put on the variant key): nothing happens.
    for key in written:
        summary = handler(s3_event("s3-object-created-put", key), None)
        assert (summary["ignored"], summary["originals"], summary["variants"]) == (1, 0, [])
        assert (summary["warmed"], summary["warm_skipped"], summary["warm_failed"]) == ([], [], [])
    assert {key: s3.head_object(Bucket=TEST_BUCKET, Key=key)["ETag"] for key in written} == etags
    assert len(invalidated_paths(distribution)) == 1  # the original's own event only


def test_an_overwritten_original_is_purged_then_warmed_afresh(s3: S3Client, warming: Purge) -> None:
    handler = warming(config_with(warm_renditions=["w=320&format=jpeg"]))
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=photo((1200, 800)))
    handler(s3_event("s3-object-created-put", "photos/cat.jpg"), None)
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=photo((800, 1200)))  # now portrait

    summary = handler(s3_event("s3-object-created-put", "photos/cat.jpg"), None)

    assert summary["variants"] == [f"{TEST_BUCKET}/320/photos/cat.jpg"]  # the old variant, purged
    assert summary["warmed"] == [f"{TEST_BUCKET}/320/photos/cat.jpg"]  # and the new one stored
    with Image.open(io.BytesIO(s3.get_object(Bucket=TEST_BUCKET, Key="320/photos/cat.jpg")["Body"].read())) as image:
        assert image.size == (320, 480)


def test_a_removed_original_is_purged_not_warmed(s3: S3Client, warming: Purge) -> None:
    summary = warming(WARM)(s3_event("s3-object-removed-delete", "photos/cat.jpg"), None)
    assert (summary["originals"], summary["warmed"], summary["warm_gone"]) == (1, [], [])
    assert keys(s3) == set()


def test_failures_raise_after_logging_one_line(s3: S3Client, warming: Purge, logs: LogRecorder) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=b"\xff\xd8\xff\xe0 truncated")
    with pytest.raises(WarmFailed, match="4 variants could not be warmed"):
        warming(WARM)(s3_event("s3-object-created-put", "photos/cat.jpg"), None)
    (record,) = logs.records("purge-on-change")
    assert [entry.partition(":")[0] for entry in record["warm_failed"]] == [f"{TEST_BUCKET}/{key}" for key in WARMED]
    assert keys(s3) == {"photos/cat.jpg"}


def test_the_entry_point_logs_one_line_with_the_warmed_and_skipped_keys_bytes_and_stage_times(
    s3: S3Client, new_container: ConfigSetter, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through ``purge_on_change.warming.handler``, as Lambda runs it: the bundled configuration, the distribution
    of ``IMGEDGE_DISTRIBUTION_ID`` and one JSON line on stdout."""
    new_container(warm_renditions=RENDITIONS)
    body = photo()
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=body)
    s3.put_object(Bucket=TEST_BUCKET, Key="640/photos/cat.webp", Body=b"kept")
    warming_entry_point(s3_event("s3-object-created-put", "photos/cat.jpg"), None)
    (line,) = capsys.readouterr().out.strip().splitlines()
    record = json.loads(line)
    assert record["fn"] == "purge-on-change"
    assert record["warmed"] == [f"{TEST_BUCKET}/{key}" for key in WARMED[:3]]
    assert record["warm_skipped"] == [f"{TEST_BUCKET}/640/photos/cat.webp"]
    assert record["warm_bytes_in"] == len(body)
    sizes = [s3.head_object(Bucket=TEST_BUCKET, Key=key)["ContentLength"] for key in WARMED[:3]]
    assert record["warm_bytes_out"] == sum(sizes)
    for stage in ("ms_purge", "ms_warm_check", "ms_warm_fetch", "ms_warm_decode", "ms_warm_transform",
                  "ms_warm_encode", "ms_warm_store", "ms"):  # fmt: skip
        assert record[stage] >= 0, stage
    assert record["ms"] >= record["ms_purge"] + record["ms_warm_encode"]


def test_the_purge_only_entry_point_refuses_a_warming_configuration(s3: S3Client, new_container: ConfigSetter) -> None:
    new_container(warm_renditions=RENDITIONS)
    with pytest.raises(ConfigError, match="'warm_renditions': warming needs the entry point"):
        purge_entry_point(s3_event("s3-object-created-put", "photos/cat.jpg"), None)
