"""``imgedge upload/ls/rm/purge`` with ``origins`` configured: each key goes to its origin's bucket (moto S3)."""

import json
from pathlib import Path

import boto3
import pytest

from imgedge.samples import sample_originals
from tests.conftest import TEST_BUCKET, S3Client
from tests.imgedge.test_cli import run

AVATARS = {"prefix": "avatars/", "bucket": "acme-avatars", "region": "eu-west-1"}


@pytest.fixture
def config_file(s3: S3Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("IMGEDGE_BUCKET", raising=False)
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="acme-avatars",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    path = tmp_path / "imgedge-config.json"
    path.write_text(json.dumps({"origins": [AVATARS]}))
    return path


def keys(s3: S3Client, bucket: str) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


@pytest.fixture
def image(tmp_path: Path) -> Path:
    sample = next(s for s in sample_originals() if s.key.endswith(".jpg"))
    path = tmp_path / "ann.jpg"
    path.write_bytes(sample.body)
    return path


def test_upload_ls_purge_rm_without_bucket_use_the_origin(s3: S3Client, config_file: Path, image: Path) -> None:
    config = ["--config", str(config_file)]
    result = run("upload", str(image), "--prefix", "avatars", *config)
    assert result.exit_code == 0, result.output
    assert "uploaded s3://acme-avatars/avatars/ann.jpg" in result.stdout
    assert keys(s3, "acme-avatars") == ["avatars/ann.jpg"]  # the full key, prefix included
    s3.put_object(
        Bucket="acme-avatars",
        Key="300/avatars/ann.avif",
        Body=b"variant",
        Metadata={"imgedge-source": "avatars/ann.jpg"},
    )

    listed = run("ls", "avatars/", *config)
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.startswith("avatars/ann.jpg\t")
    assert listed.stdout.split("\t")[2] == "1"  # one variant, found in the origin's bucket

    purged = run("purge", "avatars/ann.jpg", *config)
    assert purged.exit_code == 0, purged.output
    assert keys(s3, "acme-avatars") == ["avatars/ann.jpg"]

    removed = run("rm", "avatars/ann.jpg", *config)
    assert removed.exit_code == 0, removed.output
    assert "deleted s3://acme-avatars/avatars/ann.jpg" in removed.stdout
    assert keys(s3, "acme-avatars") == []


def test_keys_are_split_between_the_default_bucket_and_the_origin(
    s3: S3Client, config_file: Path, image: Path, tmp_path: Path
) -> None:
    config = ["--config", str(config_file), "--bucket", TEST_BUCKET]
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(image.read_bytes())
    assert run("upload", str(other / "cat.jpg"), "--prefix", "photos", *config).exit_code == 0
    assert run("upload", str(image), "--prefix", "avatars", *config).exit_code == 0
    assert keys(s3, TEST_BUCKET) == ["photos/cat.jpg"]
    assert keys(s3, "acme-avatars") == ["avatars/ann.jpg"]
    # A stray copy under the prefix in the default bucket is not listed: the edge never reads it there.
    s3.put_object(Bucket=TEST_BUCKET, Key="avatars/stray.jpg", Body=b"x")
    listed = run("ls", *config)
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["photos/cat.jpg", "avatars/ann.jpg"]
    assert run("rm", "photos/cat.jpg", "avatars/ann.jpg", *config).exit_code == 0
    assert keys(s3, TEST_BUCKET) == ["avatars/stray.jpg"]
    assert keys(s3, "acme-avatars") == []


def test_a_key_outside_every_prefix_still_needs_bucket(s3: S3Client, config_file: Path) -> None:
    result = run("purge", "avatars/ann.jpg", "photos/cat.jpg", "--config", str(config_file))
    assert result.exit_code == 2
    assert "Missing option '--bucket'" in result.output
    assert "photos/cat.jpg" in result.output
