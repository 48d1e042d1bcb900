"""``imgedge warm``: originals already in a (moto) bucket get their warm variants, as origin-response stores them."""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from imgedge.cli import cli
from tests.conftest import TEST_BUCKET, Handlers, S3Client, config_with, origin_event

BUCKET = ["--bucket", TEST_BUCKET]
OTHER_BUCKET = "imgedge-other-bucket"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def image(fmt: str, size: tuple[int, int] = (900, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 90, 160)).save(buffer, fmt)
    return buffer.getvalue()


def keys(s3: S3Client, bucket: str = TEST_BUCKET) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "imgedge-config.json"
    path.write_text(json.dumps({"warm_renditions": ["w=320"], "tag_variants": True}), encoding="utf-8")
    return path


@pytest.fixture
def library(s3: S3Client) -> None:
    """Two originals under photos/, one at the top, a variant already stored, and a file that is no image."""
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/cat.jpg", Body=image("JPEG"), ContentType="image/jpeg")
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/dog.png", Body=image("PNG"), ContentType="image/png")
    s3.put_object(Bucket=TEST_BUCKET, Key="top.png", Body=image("PNG"), ContentType="image/png")
    s3.put_object(Bucket=TEST_BUCKET, Key="notes/readme.txt", Body=b"text")
    s3.put_object(
        Bucket=TEST_BUCKET, Key="320/photos/cat.webp", Body=b"stored", Metadata={"imgedge-source": "photos/cat.jpg"}
    )


def test_dry_run_lists_the_missing_variant_keys_and_writes_nothing(
    s3: S3Client, library: None, config_file: Path
) -> None:
    before = {key: s3.head_object(Bucket=TEST_BUCKET, Key=key)["ETag"] for key in keys(s3)}
    result = run("warm", "photos/", "--dry-run", "--config", str(config_file), *BUCKET)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"would render s3://{TEST_BUCKET}/320/photos/cat.avif",
        f"would render s3://{TEST_BUCKET}/320/photos/cat.jpg",
        f"would render s3://{TEST_BUCKET}/320/photos/dog.avif",
        f"would render s3://{TEST_BUCKET}/320/photos/dog.webp",
        f"would render s3://{TEST_BUCKET}/320/photos/dog.png",
    ]
    assert "5 variants of 2 originals would be rendered; 1 already stored" in result.stderr
    assert {key: s3.head_object(Bucket=TEST_BUCKET, Key=key)["ETag"] for key in keys(s3)} == before


def test_warm_stores_what_origin_response_stores_and_leaves_stored_variants_alone(
    s3: S3Client, library: None, config_file: Path, handlers: Handlers
) -> None:
    stored_etag = s3.head_object(Bucket=TEST_BUCKET, Key="320/photos/cat.webp")["ETag"]
    result = run("warm", "photos/", "/top.png", "--config", str(config_file), *BUCKET)
    assert result.exit_code == 0, result.output
    warmed = [
        "320/photos/cat.avif", "320/photos/cat.jpg", "320/photos/dog.avif", "320/photos/dog.webp",
        "320/photos/dog.png", "320/top.avif", "320/top.webp", "320/top.png",
    ]  # fmt: skip
    assert result.stdout.splitlines() == [f"warmed s3://{TEST_BUCKET}/{key}" for key in warmed]
    assert "8 variants of 3 originals warmed" in result.stderr
    assert "1 already stored" in result.stderr
    assert s3.head_object(Bucket=TEST_BUCKET, Key="320/photos/cat.webp")["ETag"] == stored_etag
    assert "320/notes/readme.avif" not in keys(s3)

    # origin-response, under the same configuration, stores the same objects for a viewer's miss.
    origin_handler = handlers.origin(config_with(**json.loads(config_file.read_text())))
    s3.create_bucket(Bucket=OTHER_BUCKET)
    for key, original in (("320/photos/dog.avif", "photos/dog.png"), ("320/top.png", "top.png")):
        body = s3.get_object(Bucket=TEST_BUCKET, Key=original)["Body"].read()
        s3.put_object(Bucket=OTHER_BUCKET, Key=original, Body=body)
        answer = origin_handler(origin_event(403, f"/{key}", f"/{original}?w=320", bucket=OTHER_BUCKET), None)
        assert answer["status"] == "200"
        assert _object(s3, TEST_BUCKET, key) == _object(s3, OTHER_BUCKET, key)

    again = run("warm", "photos/", "top.png", "--config", str(config_file), *BUCKET)
    assert again.exit_code == 0, again.output
    assert again.stdout == ""
    assert "0 variants of 3 originals warmed (0 bytes); 9 already stored" in again.stderr


def _object(s3: S3Client, bucket: str, key: str) -> dict[str, Any]:
    answer = s3.get_object(Bucket=bucket, Key=key)
    tags = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    return {
        "body": answer["Body"].read(),
        "type": answer["ContentType"],
        "cache": answer.get("CacheControl"),
        "metadata": answer["Metadata"],
        "tags": tags,
    }


def test_rendition_overrides_the_configuration(s3: S3Client, library: None) -> None:
    result = run("warm", "photos/cat.jpg", "--rendition", "w=640&format=webp", "--rendition", "w=100&h=100", *BUCKET)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"warmed s3://{TEST_BUCKET}/640/photos/cat.webp",
        f"warmed s3://{TEST_BUCKET}/100x100/photos/cat.avif",
        f"warmed s3://{TEST_BUCKET}/100x100/photos/cat.webp",
        f"warmed s3://{TEST_BUCKET}/100x100/photos/cat.jpg",
    ]
    with Image.open(io.BytesIO(s3.get_object(Bucket=TEST_BUCKET, Key="100x100/photos/cat.jpg")["Body"].read())) as im:
        assert im.size == (100, 100)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rendition", "w=abc"], "--rendition: 'w=abc': w must be a positive integer"),
        (["--rendition", "utm_source=x"], "must give image parameters"),
        ([], "nothing to warm: the configuration has no warm_renditions"),
    ],
)
def test_bad_or_missing_renditions_are_usage_errors(s3: S3Client, args: list[str], message: str) -> None:
    result = run("warm", "photos/cat.jpg", *args, *BUCKET)
    assert result.exit_code == 2
    assert message in result.output
    assert keys(s3) == set()


def test_a_missing_or_broken_original_fails_the_run_after_the_others(
    s3: S3Client, library: None, config_file: Path
) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="photos/broken.jpg", Body=b"\xff\xd8\xff\xe0 truncated")
    result = run("warm", "photos/", "photos/nothere.gif", "--config", str(config_file), *BUCKET)
    assert result.exit_code == 1
    assert f"s3://{TEST_BUCKET}/320/photos/broken.avif: " in result.output
    assert f"s3://{TEST_BUCKET}/photos/nothere.gif: no such original" in result.output
    assert {"320/photos/cat.avif", "320/photos/dog.png"} <= keys(s3)  # the others were warmed
    assert not [key for key in keys(s3) if "broken" in key and key != "photos/broken.jpg"]


def test_a_configuration_whose_renditions_the_edge_would_refuse_is_refused(s3: S3Client, tmp_path: Path) -> None:
    # The CLI and the emulator load their configuration as the CDK props check it (imgedge.local_config).
    path = tmp_path / "imgedge-config.json"
    path.write_text(json.dumps({"warm_renditions": ["w=5000"]}), encoding="utf-8")
    result = run("warm", "photos/", "--config", str(path), *BUCKET)
    assert result.exit_code == 1
    assert "configuration key 'warm_renditions': 'w=5000': w must be at most 4096" in result.output
