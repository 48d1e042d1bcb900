"""Races through the emulator: many concurrent viewers ask for the same variant that does not exist yet."""

from concurrent.futures import ThreadPoolExecutor

import boto3

from imgedge.emulator import Emulator
from tests.imgedge.conftest import CHROME_ACCEPT, fetch

VIEWERS = 32


def test_32_concurrent_requests_for_one_new_variant_store_one_object(emulator: Emulator) -> None:
    path = "/photos/landscape.jpg?w=512&h=512&fit=contain&format=webp"
    client = boto3.client("s3", endpoint_url=emulator.s3_endpoint, region_name="us-east-1")
    before = {item["Key"] for item in client.list_objects_v2(Bucket=emulator.bucket).get("Contents", [])}

    with ThreadPoolExecutor(VIEWERS) as pool:
        replies = list(pool.map(lambda _: fetch(emulator.url, path, headers={"Accept": CHROME_ACCEPT}), range(VIEWERS)))

    assert [reply.status for reply in replies] == [200] * VIEWERS
    assert {reply.header("content-type") for reply in replies} == {"image/webp"}
    bodies = {reply.body for reply in replies}
    assert len(bodies) == 1
    assert sorted(reply.header("x-imgedge-cache") or "" for reply in replies) == ["Hit"] * (VIEWERS - 1) + ["Miss"]

    keys = {reply.header("x-imgedge-key") for reply in replies}
    assert len(keys) == 1
    key = str(keys.pop()).lstrip("/")
    after = {item["Key"] for item in client.list_objects_v2(Bucket=emulator.bucket).get("Contents", [])}
    assert key not in before
    assert after - before == {key}
    stored = client.get_object(Bucket=emulator.bucket, Key=key)["Body"].read()
    assert bodies == {stored}
