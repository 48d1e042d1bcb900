"""edge.origins: the ``origins`` configuration key, and origin-response picking the bucket by prefix."""

import json
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from edge.config import Config
from edge.errors import ConfigError
from edge.events import OriginResponse
from edge.origin_flow import handle_origin_response
from edge.origins import Origin, origin_for, parse_origins, route, store_target
from edge.ports import Original, Renderer, Store
from tests.conftest import TEST_BUCKET, origin_event
from tests.edge.test_origin_flow import FakeRenderer, FakeStore

AVATARS = {"prefix": "avatars/", "bucket": "acme-avatars", "region": "eu-west-1"}
LOGOS = {"prefix": "orgs/logos/", "bucket": "acme-org-logos", "region": "us-west-2"}


def config(*entries: dict[str, str], **overrides: Any) -> Config:
    return Config.from_mapping({"origins": list(entries), **overrides})


# --- configuration ----------------------------------------------------------------------------------------


def test_default_is_no_origins() -> None:
    assert Config().sources.origins == ()


def test_origins_load_and_round_trip_through_json() -> None:
    loaded = config(AVATARS, LOGOS)
    assert loaded.sources.origins == (
        Origin("avatars/", "acme-avatars", "eu-west-1"),
        Origin("orgs/logos/", "acme-org-logos", "us-west-2"),
    )
    assert Config.from_mapping(json.loads(loaded.to_json())) == loaded
    assert json.loads(loaded.to_json())["origins"] == [AVATARS, LOGOS]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{**AVATARS, "prefix": ""}], r"origins\[0\] \(''\): prefix must be a non-empty string"),
        ([{**AVATARS, "prefix": "avatars"}], r"origins\[0\] \('avatars'\): prefix 'avatars' must end with '/'"),
        ([{**AVATARS, "prefix": "/avatars/"}], "must not start with '/'"),
        ([{**AVATARS, "prefix": "ava*/"}], "must not contain"),
        ([{**AVATARS, "prefix": "a//b/"}], "empty, '.' or '..' segments"),
        ([{**AVATARS, "prefix": "../b/"}], "empty, '.' or '..' segments"),
        ([AVATARS, {**LOGOS, "prefix": "avatars/"}], r"origins\[1\] \('avatars/'\): duplicates origins\[0\]"),
        ([AVATARS, {**LOGOS, "prefix": "avatars/big/"}], r"origins\[1\] .*overlaps origins\[0\] \('avatars/'\)"),
        ([{**LOGOS, "prefix": "orgs/logos/x/"}, {**LOGOS, "prefix": "orgs/"}], r"origins\[1\] .*overlaps"),
        ([{**AVATARS, "bucket": "Acme_Avatars"}], r"origins\[0\] \('avatars/'\): bucket 'Acme_Avatars' is not a valid"),
        ([{**AVATARS, "bucket": "ab"}], "is not a valid S3 bucket name"),
        ([{**AVATARS, "bucket": "192.168.1.1"}], "is not a valid S3 bucket name"),
        ([{**AVATARS, "region": "europe"}], "must be an AWS region"),
        ([{"prefix": "a/", "bucket": "acme-a"}], "region None must be an AWS region"),
        ([{**AVATARS, "role": "x"}], "unknown key"),
        (["avatars/"], r"origins\[0\] must be an object"),
    ],
)
def test_bad_origins_are_refused_naming_the_entry(entries: list[object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        Config.from_mapping({"origins": entries})
    assert str(raised.value).startswith("configuration key 'origins': origins[")


def test_origins_must_be_a_list() -> None:
    with pytest.raises(ConfigError, match="origins must be a list"):
        Config.from_mapping({"origins": "avatars/=acme-avatars"})


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ConfigError, match="overlaps"):
        Config.of(origins=(Origin("a/", "acme-a", "eu-west-1"), Origin("a/b/", "acme-b", "eu-west-1")))


def test_prefixes_match_whole_key_prefixes_only() -> None:
    origins = parse_origins([AVATARS, LOGOS])
    assert origin_for(origins, "avatars/ann.jpg") == origins[0]
    assert origin_for(origins, "/orgs/logos/acme") == origins[1]
    assert origin_for(origins, "avatarsx/ann.jpg") is None
    assert origin_for(origins, "orgs/other/acme.png") is None
    assert route(origins, "photos/cat", ("default-bucket", "us-east-1")) == ("default-bucket", "us-east-1")
    assert route(origins, "avatars/ann", ("default-bucket", "us-east-1")) == ("acme-avatars", "eu-west-1")


def test_a_configured_bucket_wins_over_the_default_bucket_override() -> None:
    origins = parse_origins([AVATARS])
    assert store_target(origins, "main", "us-east-1", "acme-avatars", "us-east-1") == ("acme-avatars", "eu-west-1")
    assert store_target(origins, "main", "us-east-1", "other", "ap-south-1") == ("main", "us-east-1")
    assert store_target(origins, None, None, "other", "ap-south-1") == ("other", "ap-south-1")


# --- origin-response picks the bucket by prefix -------------------------------------------------------------


@dataclass
class Buckets:
    """A fake store factory: one ``FakeStore`` per bucket name, recording each (bucket, region) asked for."""

    stores: dict[str, FakeStore]
    asked: list[tuple[str | None, str | None]] = field(default_factory=list)

    def __call__(self, bucket: str | None, region: str | None) -> Store:
        self.asked.append((bucket, region))
        assert bucket is not None
        return self.stores[bucket]


def run(buckets: Buckets, event: dict[str, Any], cfg: Config) -> dict[str, Any]:
    result = handle_origin_response(OriginResponse(event), cfg, buckets, cast(Renderer, FakeRenderer()))
    return result.response


@pytest.fixture
def buckets() -> Buckets:
    return Buckets(
        {
            TEST_BUCKET: FakeStore(objects={"photos/cat.png": b"main"}),
            "acme-avatars": FakeStore(objects={"avatars/ann.png": b"ann"}),
            "acme-org-logos": FakeStore(objects={"orgs/logos/acme.png": b"acme"}),
        }
    )


@pytest.mark.parametrize("marker", ["/avatars/ann.png", None])
def test_a_prefixed_stem_renders_from_and_stores_into_its_own_bucket(buckets: Buckets, marker: str | None) -> None:
    # The event came through the default origin (a misrouted request, or no behavior for the prefix): the
    # configured origin still wins, with the marker and with the probing fallback alike.
    response = run(buckets, origin_event(403, "/300/avatars/ann.avif", marker), config(AVATARS, LOGOS))
    assert response["status"] == "200"
    assert buckets.asked == [("acme-avatars", "eu-west-1")]
    avatars = buckets.stores["acme-avatars"]
    assert [put.key for put in avatars.puts] == ["300/avatars/ann.avif"]
    assert avatars.puts[0].source == Original("avatars/ann.png", b"ann", "etag-avatars/ann.png")
    assert buckets.stores[TEST_BUCKET].gets == []


def test_each_prefix_goes_to_its_bucket_and_the_rest_to_the_event_origin(buckets: Buckets) -> None:
    cfg = config(AVATARS, LOGOS)
    for uri, marker in (("/x200/orgs/logos/acme.webp", "/orgs/logos/acme.png"), ("/300/photos/cat.avif", None)):
        assert run(buckets, origin_event(404, uri, marker), cfg)["status"] == "200"
    assert buckets.asked == [("acme-org-logos", "us-west-2"), (TEST_BUCKET, "us-east-1")]
    assert [p.key for p in buckets.stores["acme-org-logos"].puts] == ["x200/orgs/logos/acme.webp"]
    assert [p.key for p in buckets.stores[TEST_BUCKET].puts] == ["300/photos/cat.avif"]


def test_a_missing_original_in_its_origin_is_a_404_not_a_fallback_to_the_default(buckets: Buckets) -> None:
    buckets.stores[TEST_BUCKET].objects["avatars/bob.png"] = b"wrong bucket"
    response = run(buckets, origin_event(403, "/300/avatars/bob.avif", "/avatars/bob.png"), config(AVATARS))
    assert response["status"] == "404"
    assert buckets.stores[TEST_BUCKET].gets == []


def test_the_marker_check_is_unchanged_per_origin(buckets: Buckets) -> None:
    response = run(buckets, origin_event(403, "/300/avatars/ann.avif", "/avatars/bob.png"), config(AVATARS))
    assert response["status"] == "400"
    assert buckets.stores["acme-avatars"].puts == []
