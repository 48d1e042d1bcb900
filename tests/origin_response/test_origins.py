"""The real origin-response handler with ``origins``: two moto buckets besides the default one."""

import base64
import io
import random

import boto3
import pytest
from PIL import Image

from edge.config import Config
from tests.conftest import TEST_BUCKET, Handler, Handlers, S3Client, config_with, origin_event, viewer_event
from tests.origin_response.test_handler import image_bytes

AVATARS = {"prefix": "avatars/", "bucket": "acme-avatars", "region": "eu-west-1"}
LOGOS = {"prefix": "orgs/logos/", "bucket": "acme-org-logos", "region": "us-west-2"}
WITH_ORIGINS = config_with(origins=[AVATARS, LOGOS])


@pytest.fixture
def buckets(s3: S3Client) -> S3Client:
    for origin in (AVATARS, LOGOS):
        client = boto3.client("s3", region_name=origin["region"])
        client.create_bucket(
            Bucket=origin["bucket"],
            CreateBucketConfiguration={"LocationConstraint": origin["region"]},  # type: ignore[typeddict-item]
        )
    return s3


@pytest.fixture
def handler(handlers: Handlers) -> Handler:
    """The origin-response handler of ``WITH_ORIGINS``."""
    return handlers.origin(WITH_ORIGINS)


def keys(s3: S3Client, bucket: str) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


@pytest.mark.parametrize("marker", ["/avatars/ann.png", None])
def test_each_prefix_renders_from_and_stores_into_its_own_bucket(
    buckets: S3Client, handler: Handler, marker: str | None
) -> None:
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


def test_an_original_only_in_the_default_bucket_is_not_found_for_a_prefixed_key(
    buckets: S3Client, handler: Handler
) -> None:
    buckets.put_object(Bucket=TEST_BUCKET, Key="avatars/bob.png", Body=image_bytes())
    response = handler(origin_event(403, "/300/avatars/bob.avif", "/avatars/bob.png"), None)
    assert response["status"] == "404"
    assert keys(buckets, "acme-avatars") == []
    assert keys(buckets, TEST_BUCKET) == ["avatars/bob.png"]


def noise_png(size: tuple[int, int] = (800, 600)) -> bytes:
    """A PNG of random pixels: its 300 px variants are tens of kilobytes in every format."""
    image = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _behavior_bucket(path: str) -> str:
    """The bucket CloudFront fetches a viewer path from: the origin whose behavior ``/<prefix>*`` matches it."""
    for origin in (AVATARS, LOGOS):
        if path.startswith("/" + origin["prefix"]):
            return origin["bucket"]
    return TEST_BUCKET


def _follow(
    handlers: Handlers, config: Config, s3: S3Client, location: str, accept: str, hops: int = 4
) -> list[tuple[str, str, str]]:
    """Follow ``location`` as CloudFront and a browser sending ``accept`` would, through the real handlers of
    ``config``, until an answer is not a redirect; returns each hop's (bucket, key, status)."""
    viewer_handler, handler = handlers.viewer(config), handlers.origin(config)
    seen: list[tuple[str, str, str]] = []
    for _ in range(hops):
        path, _, query = location.partition("?")
        bucket = _behavior_bucket(path)
        request = viewer_handler(viewer_event(path, query, accept=accept), None)
        uri = request["uri"]
        marker = request["headers"].get("x-imgedge-original", [{}])[0].get("value")
        if uri[1:] in keys(s3, bucket):
            seen.append((bucket, uri, "200 from S3"))
            return seen
        response = handler(origin_event(403, uri, marker, bucket=bucket), None)
        seen.append((bucket, uri, response["status"]))
        if response["status"] != "302":
            return seen
        location = response["headers"]["location"][0]["value"]
    return seen


@pytest.mark.parametrize("accept", ["image/avif,image/webp", "image/webp", "*/*"])
def test_an_oversize_direct_key_of_a_prefixed_origin_never_redirects_back_to_the_same_miss(
    buckets: S3Client, handlers: Handlers, accept: str
) -> None:
    """``/300/avatars/ann.avif`` requested directly reaches the default behavior (its path matches no ``/<prefix>*``)
    while the variant is stored in the avatars bucket: redirecting to the key itself rendered it again on every
    hop. With ``format`` disabled, the canonical viewer URL (which spells ``format``) is refused too."""
    config = config_with(origins=[AVATARS, LOGOS], allowed_parameters=["w", "h", "q"], max_response_bytes=2000)
    buckets.put_object(Bucket="acme-avatars", Key="avatars/ann.png", Body=noise_png())
    hops = _follow(handlers, config, buckets, "/300/avatars/ann.avif", accept)
    assert hops[0] == ("imgedge-test-bucket", "/300/avatars/ann.avif", "302")
    assert len(set(hops)) == len(hops), hops  # no miss repeats
    assert hops[-1][2] in ("200", "200 from S3"), hops
    assert all(hop[:2] != hops[0][:2] for hop in hops[1:]), hops
