"""Shared fixtures: the owner's image corpus, CloudFront events, moto S3, the functions composed for a test."""

import csv
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from hypothesis import settings

from edge.config import CONFIG_ENV_VAR, Config, load_config
from edge.origins import store_target
from edge.ports import Renderer, StoreFactory
from edge.store import S3Store, s3_client

if TYPE_CHECKING:
    from types_boto3_cloudfront import CloudFrontClient as CloudFrontClient  # noqa: PLC0414 (explicit re-export)
    from types_boto3_s3 import S3Client as S3Client  # noqa: PLC0414 (explicit re-export for the tests)
else:
    CloudFrontClient = Any
    S3Client = Any

REPO_ROOT = Path(__file__).resolve().parent.parent
# As ./dev and cdk/app.py do: jsii's Node 20 end-of-life banner is silenced the documented way (before any test
# imports aws_cdk, which starts the jsii runtime).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# Hypothesis: random examples on a developer's machine (new ones every run, failures kept in .hypothesis/), the
# same examples on every CI run (HYPOTHESIS_PROFILE=ci, set by .ci/run), so that a landing never depends on luck.
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
CORPUS_ABSENT = f"image corpus not found at {CORPUS_DIR} (it lives in ../shared/corpus beside the project)"


@dataclass(frozen=True)
class CorpusImage:
    """One row of ``../shared/corpus/MANIFEST.tsv``."""

    path: Path
    format: str
    width: int | None
    height: int | None
    mode: str
    category: str
    tests: str


def corpus_images() -> list[CorpusImage]:
    """Rows of the corpus manifest; empty when the corpus is absent (tests then skip with ``CORPUS_ABSENT``)."""
    manifest = CORPUS_DIR / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        CorpusImage(
            path=CORPUS_DIR / row["file"],
            format=row["format"],
            width=int(row["width"]) if row["width"] else None,
            height=int(row["height"]) if row["height"] else None,
            mode=row["mode"],
            category=row["category"],
            tests=row["tests"],
        )
        for row in rows
    ]


@pytest.fixture
def corpus_dir() -> Path:
    if not (CORPUS_DIR / "MANIFEST.tsv").is_file():
        pytest.skip(CORPUS_ABSENT)
    return CORPUS_DIR


EVENTS_DIR = Path(__file__).resolve().parent / "events"
TEST_BUCKET = "imgedge-test-bucket"


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of ``tests/events/<name>.json``."""
    return json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def viewer_event(
    uri: str, querystring: str = "", *, accept: str | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The documented viewer-request event with ``uri``, ``querystring`` and optionally another ``Accept``
    (``None`` keeps Chrome's) and extra headers (name -> value)."""
    event = load_event("viewer-request")
    request = event["Records"][0]["cf"]["request"]
    request["uri"] = uri
    request["querystring"] = querystring
    if accept is not None:
        request["headers"]["accept"] = [{"key": "Accept", "value": accept}]
    for name, value in (headers or {}).items():
        request["headers"][name.lower()] = [{"key": name, "value": value}]
    return event


def origin_event(status: int, uri: str, marker: str | None, *, bucket: str = TEST_BUCKET) -> dict[str, Any]:
    """The origin-response event for an S3 answer ``status`` to ``uri``, with the marker header (or none)."""
    event = load_event(f"origin-response-{status}")
    request = event["Records"][0]["cf"]["request"]
    request["uri"] = uri
    if marker is None:
        del request["headers"]["x-imgedge-original"]
    else:
        request["headers"]["x-imgedge-original"] = [{"key": "x-imgedge-original", "value": marker}]
    domain = f"{bucket}.s3.us-east-1.amazonaws.com"
    request["origin"]["s3"]["domainName"] = domain
    request["headers"]["host"] = [{"key": "Host", "value": domain}]
    return event


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region so boto3 never looks for real ones."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def s3(aws_env: None) -> Iterator[S3Client]:
    """A moto S3 with the empty test bucket; the store's client cache is reset around it."""
    from moto import mock_aws

    s3_client.cache_clear()
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=TEST_BUCKET)
        yield client
    s3_client.cache_clear()


def create_distribution() -> str:
    """A CloudFront distribution in front of the test bucket, in moto (inside the ``s3`` fixture); its id."""
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    origin = {
        "Id": "s3",
        "DomainName": f"{TEST_BUCKET}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config: Any = {
        "CallerReference": "imgedge-test",
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "s3",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
        },
    }
    return str(cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"])


def invalidated_paths(distribution_id: str) -> list[list[str]]:
    """The paths of each invalidation moto recorded for ``distribution_id``, each batch sorted."""
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    listing = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    result = []
    for item in listing.get("Items", []):
        batch = cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"])
        result.append(sorted(batch["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", [])))
    return result


# --- the functions composed for a test ------------------------------------------------------------------------

Handler = Callable[[dict[str, Any], object], dict[str, Any]]
DEFAULT_CONFIG = Config()


def config_with(**settings: Any) -> Config:
    """The configuration with these settings, given as the bundled ``imgedge-config.json`` holds them (lists, enum
    values, mappings: ``Config.from_mapping``); the defaults for the rest."""
    return Config.from_mapping(settings)


class LogRecorder:
    """A log sink for ``make_handler(..., log=)``: the ``(function, record)`` pairs the handlers passed it, in order
    (the records ``edge.log.emit`` would have written as JSON lines)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, function: str, record: dict[str, Any]) -> None:
        self.lines.append((function, record))

    def records(self, function: str) -> list[dict[str, Any]]:
        """The records of ``function`` ("viewer-request", "origin-response" or "purge-on-change"), in order."""
        return [record for name, record in self.lines if name == function]


@dataclass(frozen=True)
class Handlers:
    """The three functions composed as their Lambda entry points compose them (``make_handler``; the purge function
    also as ``warming``, its entry point with warming), but with a test's own configuration and dependencies, all
    logging to ``log``. Unless given, a dependency is the production one
    (``stores``: ``edge.store.store_for``; ``renderer``: ``edge.render.render``; ``signing_keys``: the Secrets
    Manager secret of the configuration)."""

    log: LogRecorder

    def viewer(
        self, config: Config = DEFAULT_CONFIG, *, signing_keys: Callable[[], Sequence[bytes]] | None = None
    ) -> Handler:
        from viewer_request.handler import make_handler

        return make_handler(config, log=self.log, signing_keys=signing_keys)

    def origin(
        self, config: Config = DEFAULT_CONFIG, *, stores: StoreFactory | None = None, renderer: Renderer | None = None
    ) -> Handler:
        from origin_response.handler import make_handler

        return make_handler(config, stores=stores, renderer=renderer, log=self.log)

    def purge(
        self,
        config: Config = DEFAULT_CONFIG,
        *,
        distribution_id: str | None,
        clients: Callable[[], tuple[S3Client, CloudFrontClient]],
    ) -> Handler:
        from purge_on_change.handler import make_handler

        return make_handler(config, distribution_id=distribution_id, clients=clients, log=self.log)

    def warming(
        self,
        config: Config,
        *,
        distribution_id: str | None,
        clients: Callable[[], tuple[S3Client, CloudFrontClient]],
        renderer: Renderer | None = None,
    ) -> Handler:
        """The purge-on-change function as its warming entry point (``purge_on_change.warming``) composes it."""
        from purge_on_change.handler import make_handler
        from purge_on_change.warming import make_warmer

        warm = make_warmer(config, renderer=renderer)
        return make_handler(config, distribution_id=distribution_id, clients=clients, log=self.log, warm=warm)


@pytest.fixture
def logs() -> LogRecorder:
    """What this test's handlers logged (``handlers`` passes it to each)."""
    return LogRecorder()


@pytest.fixture
def handlers(logs: LogRecorder) -> Handlers:
    """``handlers.viewer(config)``, ``handlers.origin(config)``, ``handlers.purge(config, ...)``: this test's
    functions, logging to ``logs``."""
    return Handlers(logs)


def own_s3_client(config: Config, region: str = "us-east-1") -> S3Client:
    """A new S3 client with ``config``'s retries and timeouts, made by the code of ``edge.store.s3_client`` but not
    through its per-container cache: the test's own (to hook faults on, or to point elsewhere)."""
    storage = config.storage
    return s3_client.__wrapped__(region, storage.s3_max_attempts, storage.s3_connect_timeout, storage.s3_read_timeout)


def stores_on(client: S3Client, config: Config) -> StoreFactory:
    """The stores ``edge.store.store_for`` opens for ``config`` (the same bucket choice and limits), all on
    ``client`` instead of the container's cached client."""

    def open_store(bucket: str | None, region: str | None) -> S3Store:
        sources = config.sources
        target, _ = store_target(sources.origins, sources.bucket, sources.region, bucket, region)
        assert target is not None
        return S3Store(
            client, target, max_source_bytes=config.limits.max_source_bytes, tag_variants=config.storage.tag_variants
        )

    return open_store


# --- the Lambda entry points' own configuration ---------------------------------------------------------------

ConfigSetter = Callable[..., Config]


@pytest.fixture
def bundled_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConfigSetter]:
    """Only for the few tests of the Lambda entry points (``handler``, which compose the configuration
    ``load_config`` reads) and of ``load_config`` itself: ``bundled_config(**settings)`` writes that configuration
    as the bundled ``imgedge-config.json`` would hold it, points ``IMGEDGE_CONFIG`` at the file and clears
    ``load_config``'s cache, so that the entry points load it; returns it. No ``IMGEDGE_CONFIG`` (the defaults) until
    it is called. Every other test composes its handlers with ``handlers``."""
    monkeypatch.delenv(CONFIG_ENV_VAR, raising=False)
    load_config.cache_clear()

    def apply(**settings: Any) -> Config:
        config = config_with(**settings)
        path = tmp_path / "imgedge-config.json"
        path.write_text(config.to_json(), encoding="utf-8")
        monkeypatch.setenv(CONFIG_ENV_VAR, str(path))
        load_config.cache_clear()
        return config

    yield apply
    load_config.cache_clear()
