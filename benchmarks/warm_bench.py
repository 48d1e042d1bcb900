"""The warm path's time per original (issue 18): ``edge.warming.warm_original``, the code the purge-on-change
function and ``imgedge warm`` run, on the corpus's photos.

    .venv/bin/python benchmarks/warm_bench.py [--photos 3] [--rounds 3] [--rendition w=320 ...] [--corpus DIR]

Default list: ``w=320``, ``w=640``, ``w=1280`` with ``format=auto``, which is 9 variants per original (AVIF, WebP
and JPEG at each width). Each photo of the ``photo`` rows of ``MANIFEST.tsv`` is put into an in-process moto S3
bucket and warmed ``--rounds`` times (the variants deleted between rounds, so every round renders all of them),
with origin-response's renderer at the default memory budget (``memory_mb`` 1536). It prints a Markdown table: per
photo, the median wall and CPU time of one original's warming and the median milliseconds of each stage
(``WarmReport.ms``: the existence check, the fetch, then decode, transform, encode and store summed over the
variants), plus the machine's load average. Not a test.

moto answers in-process, so the S3 stages (check, fetch, store) are moto's time, not S3's: in Lambda each is a
round trip of tens of ms (the 9 HEADs run 8 at a time; the 9 PUTs one after another).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from moto import mock_aws

from edge.config import Config
from edge.paths import OriginalPath
from edge.render import Limits, render
from edge.rewrite import check_warm_renditions
from edge.store import S3Store
from edge.warming import warm_original, warm_targets

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
else:
    S3Client = Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_RENDITIONS = ("w=320", "w=640", "w=1280")
BUCKET = "warm-bench"
STAGES = ("check", "fetch", "decode", "transform", "encode", "store")


def corpus_photos(corpus: Path, count: int) -> list[Path]:
    """The first ``count`` rows of the manifest whose category is ``photo``."""
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["category"] == "photo"]
    return [corpus / row["file"] for row in rows[:count]]


def warm_rounds(s3: S3Client, photo: Path, config: Config, rounds: int) -> dict[str, Any]:
    """Warm ``photo`` ``rounds`` times from scratch; the medians of its figures."""
    key = f"photos/{photo.name}"
    body = photo.read_bytes()
    s3.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType="image/jpeg")
    store = S3Store(s3, BUCKET, max_source_bytes=config.limits.max_source_bytes, tag_variants=True)
    renderer = partial(render, limits=Limits.from_config(config))
    original = OriginalPath(key, key.rpartition(".")[0], key.rpartition(".")[2])
    targets = warm_targets(original, config)
    walls: list[float] = []
    cpus: list[float] = []
    stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
    bytes_out = 0
    for _ in range(rounds):
        for target in targets:
            s3.delete_object(Bucket=BUCKET, Key=target.key)
        wall, cpu = time.perf_counter(), time.process_time()
        report = warm_original(store, original, config, renderer)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        if report.failed or len(report.written) != len(targets):
            raise SystemExit(f"{photo.name}: {report.failed or report.written}")
        for stage in STAGES:
            stages[stage].append(report.ms.get(stage, 0.0))
        bytes_out = report.bytes_out
    return {
        "photo": photo.name,
        "bytes_in": len(body),
        "variants": len(targets),
        "bytes_out": bytes_out,
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        **{stage: statistics.median(values) for stage, values in stages.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=3, help="How many corpus photos (default 3).")
    parser.add_argument("--rounds", type=int, default=3, help="Warmings per photo; medians are printed (default 3).")
    parser.add_argument("--rendition", action="append", dest="renditions", metavar="QUERY",
                        help="A warm rendition (repeatable; default w=320, w=640, w=1280).")  # fmt: skip
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help=f"Corpus folder (default {DEFAULT_CORPUS})."
    )
    args = parser.parse_args()
    config = Config.of(warm_renditions=tuple(args.renditions or DEFAULT_RENDITIONS))
    check_warm_renditions(config)
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ.setdefault(name, value)
    load_before = os.getloadavg()
    rows = []
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        for photo in corpus_photos(args.corpus, args.photos):
            rows.append(warm_rounds(s3, photo, config, args.rounds))
    load_after = os.getloadavg()
    print(f"renditions: {', '.join(config.warming.warm_renditions)}; {args.rounds} rounds per photo, medians; "
          f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after\n")  # fmt: skip
    header = ["photo", "bytes in", "variants", "bytes out", "wall ms", "CPU ms", *[f"{s} ms" for s in STAGES]]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        cells = [row["photo"], f"{row['bytes_in']:,}", str(row["variants"]), f"{row['bytes_out']:,}",
                 f"{row['wall']:.0f}", f"{row['cpu']:.0f}", *[f"{row[stage]:.0f}" for stage in STAGES]]  # fmt: skip
        print("| " + " | ".join(cells) + " |")
    print(f"\nmedian wall ms per original: {statistics.median(row['wall'] for row in rows):.0f}")


if __name__ == "__main__":
    main()
