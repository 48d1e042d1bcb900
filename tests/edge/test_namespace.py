"""Originals and variants never meet (issue 12 §1), in both layouts, against moto S3.

The originals are generated here, independently of the code under test: keys under ordinary, numeric, year-like
and spec-like top-level folders (``2024/``, ``300/``, ``12345/``, ``300x200-gray/``), with every extension a
variant can have. They are uploaded, then variants are made the way production makes them (``rewrite`` for the
viewer's URL, then ``handle_origin_response`` with the real ``S3Store`` and the real renderer, S3's answer built
from the object moto holds). The oracle is the set of keys this test uploaded as originals:

- purge never deletes one (and does delete every variant origin-response stored for the purged original);
- origin-response never serves one as a variant (an original at the variant key answers 409, no-store);
- no variant of a variant exists: a viewer URL with image parameters on a variant's path is a 400, and
  origin-response refuses to render from an object that carries the variant metadata.
"""

import base64
import contextlib
from functools import partial
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from edge.config import Config
from edge.errors import BadRequest
from edge.events import OriginResponse
from edge.keys import decode_key, is_spec_shaped, namespace_warning
from edge.marker import marker_value
from edge.origin_flow import handle_origin_response
from edge.paths import encode_path, validate_original_path
from edge.purge import purge
from edge.render import Limits, render
from edge.rewrite import rewrite
from edge.store import S3Store
from tests.conftest import TEST_BUCKET, S3Client, origin_event

PNG_8X8 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP4z8CAFWEXHbQSACj/P8Fu7N9hAAAAAElFTkSuQmCC"
)
PRESETS = {"thumb": {"w": "300"}}
LAYOUTS = {
    "default": Config.of(presets=PRESETS),
    "variant_prefix": Config.of(presets=PRESETS, variant_prefix="_v"),
}
# What viewers ask for: explicit formats, so that the keys do not depend on an Accept header.
QUERIES = ("w=300&format=jpeg", "w=300&format=avif", "w=2048&format=png", "preset=thumb&format=webp")

folders = st.one_of(
    st.sampled_from(["photos", "team", "a"]),
    st.integers(1, 99_999).map(str),  # numeric user ids
    st.integers(1990, 2035).map(str),  # years
    st.sampled_from(["300", "x200", "300x200", "300x200-gray", "640x480-contain", "300x200-contain-q60", "2048"]),
)
names = st.sampled_from(["cat", "beach", "ann", "avatar", "photos"])
extensions = st.sampled_from(["jpg", "png", "webp", "avif", "gif"])
original_keys = st.lists(
    st.tuples(st.lists(folders, max_size=2), names, extensions).map(lambda t: "/".join([*t[0], f"{t[1]}.{t[2]}"])),
    min_size=1,
    max_size=5,
    unique=True,
)


@pytest.fixture
def aws(aws_env: None) -> None:
    """Fake credentials for every example (each example starts its own moto)."""


def _s3_answer(client: S3Client, key: str) -> tuple[int, dict[str, list[dict[str, str]]]]:
    """What S3 answers CloudFront for ``key``: 200 with its headers (user metadata as ``x-amz-meta-*``), or 403
    (the OAI has no s3:ListBucket)."""
    try:
        answer = client.head_object(Bucket=TEST_BUCKET, Key=key)
    except client.exceptions.ClientError:
        return 403, {}
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    return 200, {name.lower(): [{"key": name, "value": str(value)}] for name, value in headers.items()}


def _origin_response(client: S3Client, config: Config, uri: str, marker: str | None) -> dict[str, Any]:
    """origin-response for a request of ``uri`` (a variant key), as CloudFront would run it against moto."""
    status, headers = _s3_answer(client, unquote(uri[1:]))  # a variant's S3 key is its URI decoded
    event = origin_event(status, uri, marker)
    if status == 200:
        event["Records"][0]["cf"]["response"]["headers"] = headers
    store = S3Store(client, TEST_BUCKET, max_source_bytes=config.limits.max_source_bytes)
    result = handle_origin_response(
        OriginResponse(event),
        config,
        stores=lambda bucket, region: store,
        renderer=partial(render, limits=Limits.from_config(config)),
    )
    return result.response


def _stored(client: S3Client) -> set[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=TEST_BUCKET)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=original_keys)
def test_originals_and_variants_never_meet(aws: None, layout: str, keys: list[str]) -> None:
    config = LAYOUTS[layout]
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=TEST_BUCKET)
        originals = set(keys)
        for key in keys:
            client.put_object(Bucket=TEST_BUCKET, Key=key, Body=PNG_8X8, ContentType="image/png")

        variants_of: dict[str, set[str]] = {}  # original key -> variant keys stored for it
        for key in keys:
            uri = encode_path(key)
            for query in QUERIES:
                if layout == "default" and _is_variant_key(key, config):
                    # A path that is itself a variant key (default layout only) is refused, naming the fix.
                    with pytest.raises(BadRequest, match="variant_prefix"):
                        rewrite(uri, query, "", config)
                    continue
                rewritten = rewrite(uri, query, "", config)
                assert rewritten is not None
                s3_key = unquote(rewritten.uri[1:])
                before = _stored(client)
                response = _origin_response(client, config, rewritten.uri, marker_value(rewritten.original, query))
                status = int(response["status"])
                if s3_key in originals:
                    # An original sits at the variant key: never served as a variant, never overwritten.
                    assert layout == "default"
                    assert status == 409, (key, query, s3_key, status)
                    assert response["headers"]["cache-control"][0]["value"] == "no-store"
                    continue
                first = _first_candidate(_stem(key), before, config, upto=key.rpartition(".")[2])
                if first is not None and first not in originals:
                    # Default layout: a stored variant of another original (300/cat.jpg of cat.jpg) comes before
                    # this original (300/cat.gif) in the candidate order: nothing renders from it (409, no-store).
                    assert layout == "default"
                    assert status == 409, (key, query, first, status)
                    assert response["headers"]["cache-control"][0]["value"] == "no-store"
                    continue
                assert status in (200, 302), (key, query, s3_key, response.get("body"))
                # Stored by origin-response (now, or by an earlier query mapping to the same key).
                assert s3_key in _stored(client) - originals
                assert s3_key in before or int(response["status"]) in (200, 302)
                stem = decode_key(rewritten.uri, config).stem
                owner = next(k for k in sorted(originals, key=lambda k: _extension_rank(k, config)) if _stem(k) == stem)
                variants_of.setdefault(owner, set()).add(s3_key)
                # A second request is S3's 200 for the stored variant: it passes, as a proven variant.
                again = _origin_response(client, config, rewritten.uri, marker_value(rewritten.original, query))
                assert int(again["status"]) == 200
                assert "body" not in again

        variants = set().union(*variants_of.values()) if variants_of else set()
        assert not variants & originals

        # No variant of a variant: the viewer refuses image parameters on a variant's path, and origin-response
        # refuses to render from an object carrying the variant metadata (requested by its key directly).
        for variant in sorted(variants):
            for query in ("preset=thumb", "w=300&format=jpeg"):
                with pytest.raises(BadRequest, match="variant"):
                    rewrite(encode_path(variant), query, "", config)
            nested = _nested_key(variant, config)
            first = None if nested is None else _first_candidate(_stem(variant), _stored(client), config)
            if nested is not None and first not in originals:  # else it renders from a genuine original
                before = _stored(client)
                response = _origin_response(client, config, nested, None)
                assert int(response["status"]) == 409, (variant, nested, response)
                assert _stored(client) == before

        # Purge every original: no original is ever deleted; the variants stored for it are.
        for key in sorted(originals):
            original = validate_original_path(encode_path(key), config.sources.source_extensions)
            result = purge(client, TEST_BUCKET, [original], config)
            assert not set(result.variants) & originals
            assert originals <= _stored(client), (key, result)
        assert _stored(client) == originals


def _stem(key: str) -> str:
    folder, slash, name = key.rpartition("/")
    return f"{folder}{slash}{name.rpartition('.')[0]}"


def _is_variant_key(key: str, config: Config) -> bool:
    """Whether the key codec (property-tested on its own in test_keys) reads ``key`` as a variant key."""
    try:
        decode_key(encode_path(key), config)
    except BadRequest:
        return False
    return True


def _first_candidate(stem: str, stored: set[str], config: Config, upto: str | None = None) -> str | None:
    """The object origin-response reads as the original of ``stem``: without a marker, the first stored key in
    the configured extension order (each in lower then upper case); with the marker's extension ``upto``, the
    configured extensions before it, then that extension as written."""
    if upto is None:
        extensions = [spelling for ext in config.sources.source_extensions for spelling in (ext, ext.upper())]
    else:
        order = list(config.sources.source_extensions)
        before = order[: order.index(upto.lower())] if upto.lower() in order else []
        extensions = [*before, upto]
    return next((f"{stem}.{ext}" for ext in extensions if f"{stem}.{ext}" in stored), None)


def _extension_rank(key: str, config: Config) -> int:
    return config.sources.source_extensions.index(key.rpartition(".")[2].lower())


def _nested_key(variant: str, config: Config) -> str | None:
    """The key of a 300-px AVIF variant whose original would be the stored ``variant`` (a variant of a variant),
    or ``None`` when the grammar itself cannot express it (under ``variant_prefix``: a stem under the prefix)."""
    stem = _stem(variant)
    uri = f"/_v{encode_path(stem)}/300.avif" if config.storage.variant_prefix else f"/300{encode_path(stem)}.avif"
    try:
        decode_key(uri, config)
    except BadRequest:
        return None
    return uri


def test_a_stem_under_the_variant_prefix_is_no_variant_key() -> None:
    config = LAYOUTS["variant_prefix"]
    assert decode_key("/_v/photos/cat/300.avif", config).stem == "photos/cat"
    with pytest.raises(BadRequest):
        decode_key("/_v/_v/photos/cat/300/300.avif", config)


@given(folder=folders)
def test_spec_shaped_folders(folder: str) -> None:
    # Independent oracle: a folder is spec-shaped when some canonical variant key has it as its spec.
    config = LAYOUTS["default"]
    expected = False
    for extension in ("avif", "webp", "jpg", "png"):
        with contextlib.suppress(BadRequest):
            expected = decode_key(f"/{folder}/x.{extension}", config).stem == "x" or expected
    assert is_spec_shaped(folder, config) is expected
    warning = namespace_warning(f"{folder}/cat.jpg", config)
    assert (warning is not None) is expected
    assert warning is None or "variant_prefix" in warning
    assert namespace_warning(f"{folder}/cat.jpg", LAYOUTS["variant_prefix"]) is None
