"""How purge's cost grows with the number of spec folders: S3 calls and wall time to find one original's variants.

    .venv/bin/python benchmarks/purge_scale.py                     # 10,000 folders, 20 ms per S3 call
    .venv/bin/python benchmarks/purge_scale.py --folders 2000 --latency-ms 0

moto (in process) holds a bucket with ``--folders`` distinct spec folders in the default layout (each holding a
variant of another original), plus 5 variants of ``photos/cat.jpg``; the same variants are then laid out under
``variant_prefix`` (``_v``). For each layout it runs ``edge.purge.find_variants`` for ``photos/cat.jpg`` and prints
the S3 calls by operation and the wall time, with every S3 call delayed by ``--latency-ms`` (a stand-in for real
S3's per-request latency; moto answers in well under a millisecond). It prints figures; it asserts nothing.
"""

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
from moto import mock_aws

from edge.config import Config
from edge.keys import SOURCE_METADATA
from edge.paths import validate_original_path
from edge.purge import HEAD_WORKERS, LIST_WORKERS, find_variants

BUCKET = "purge-scale"
TARGET = "photos/cat.jpg"
TARGET_SPECS = ("300", "640", "1280", "300x300", "x200")


def _folders(count: int) -> list[str]:
    """``count`` distinct spec folder names: widths, heights, boxes (as viewers with many sizes create)."""
    names: list[str] = []
    width = 1
    while len(names) < count:
        names += [str(width), f"x{width}", f"{width}x{width}"]
        width += 1
    return names[:count]


def _seed(client: Any, config: Config, folders: list[str]) -> None:
    def put(key: str, source: str) -> None:
        client.put_object(Bucket=BUCKET, Key=key, Body=b"v", Metadata={SOURCE_METADATA: source})

    for index, folder in enumerate(folders):
        other = f"photos/other-{index}.jpg"
        if config.storage.variant_prefix:
            put(f"{config.storage.variant_prefix}/photos/other-{index}/{folder}.avif", other)
        else:
            put(f"{folder}/photos/other-{index}.avif", other)
    for spec in TARGET_SPECS:
        prefix = config.storage.variant_prefix
        key = f"{prefix}/photos/cat/{spec}.avif" if prefix else f"{spec}/photos/cat.avif"
        put(key, TARGET)


def _measure(config: Config, folders: int, latency_s: float) -> tuple[Counter[str], float, int]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        _seed(client, config, _folders(folders))
        calls: Counter[str] = Counter()

        def count(event_name: str, **_: Any) -> None:
            calls[event_name.rsplit(".", 1)[-1]] += 1
            if latency_s:
                time.sleep(latency_s)

        client.meta.events.register("before-call.s3.*", count)
        original = validate_original_path("/" + TARGET, config.sources.source_extensions)
        started = time.perf_counter()
        proven, _unproven = find_variants(client, BUCKET, [original], config)
        return calls, time.perf_counter() - started, len(proven)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folders", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    print(f"{args.folders:,} spec folders, {args.latency_ms:g} ms per S3 call, "
          f"LIST_WORKERS={LIST_WORKERS}, HEAD_WORKERS={HEAD_WORKERS}\n")  # fmt: skip
    print("| layout | S3 calls | of which | wall s | variants found |")
    print("|---|---|---|---|---|")
    for label, config in (("default (/300/photos/cat.avif)", Config()),
                          ("variant_prefix=_v (/_v/photos/cat/300.avif)", Config.of(variant_prefix="_v"))):  # fmt: skip
        calls, seconds, found = _measure(config, args.folders, args.latency_ms / 1000)
        detail = ", ".join(f"{name} {n:,}" for name, n in sorted(calls.items()))
        print(f"| {label} | {sum(calls.values()):,} | {detail} | {seconds:.2f} | {found} |")


if __name__ == "__main__":
    main()
