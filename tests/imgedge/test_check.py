"""``imgedge check``: run against the emulator (which sends CloudFront's cache headers), and against deployments
that break one promise each (the emulator's answers with one thing removed)."""

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from edge import signing
from edge.config import Config, SignatureMode
from imgedge.check import Answer, Check, Fetch, Outcome, http_get, run_checks, versioning_check
from imgedge.cli import cli
from imgedge.emulator import Emulator, Settings
from tests.imgedge.conftest import CHROME_ACCEPT, fetch

LANDSCAPE = "/photos/landscape.jpg"
KEY = "c" * 40
#: What cannot be checked without a signing key or a WAF probe.
SKIPPED_WITHOUT_KEY_OR_PROBE = {"unsigned render refused", "signed render works", "WAF refuses the probe"}


def outcomes(results: list[Check]) -> dict[str, Outcome]:
    return {result.name: result.outcome for result in results}


def test_the_emulator_sends_cloudfronts_x_cache_and_age(emulator: Emulator) -> None:
    path = f"{LANDSCAPE}?w=200&format=webp"
    first = fetch(emulator.url, path, headers={"Accept": CHROME_ACCEPT})
    second = fetch(emulator.url, path, headers={"Accept": CHROME_ACCEPT})
    assert (first.status, second.status) == (200, 200)
    assert (first.header("x-cache"), first.header("age")) == ("Miss from cloudfront", None)
    assert second.header("x-cache") == "Hit from cloudfront"
    assert int(second.header("age") or "-1") >= 0
    missing = fetch(emulator.url, "/no/such/image.jpg")
    assert (missing.status, missing.header("x-cache")) == (404, "Error from cloudfront")
    bad = fetch(emulator.url, f"{LANDSCAPE}?w=abc")
    assert (bad.status, bad.header("x-cache")) == (400, "LambdaGeneratedResponse from cloudfront")


def test_a_working_deployment_passes_every_check(emulator: Emulator) -> None:
    results = run_checks(emulator.url, LANDSCAPE)
    found = outcomes(results)
    assert {name for name, outcome in found.items() if outcome is Outcome.SKIP} == SKIPPED_WITHOUT_KEY_OR_PROBE
    failed = [result for result in results if result.outcome is Outcome.FAIL]
    assert failed == []
    assert {"missing original is a 404", "bad parameter is a 400", "original passes through", "variant renders",
            "variant is cached", "negotiation", "variant headers", "revalidation",
            "viewer marker ignored"} <= found.keys()  # fmt: skip


def test_without_a_path_the_render_checks_are_skipped_not_passed(emulator: Emulator) -> None:
    found = outcomes(run_checks(emulator.url))
    assert found["missing original is a 404"] is Outcome.PASS
    assert found["variant renders"] is Outcome.SKIP
    assert Outcome.FAIL not in found.values()


def _without(header: str) -> Fetch:
    def fetch_without(url: str, headers: Mapping[str, str]) -> Answer:
        answer = http_get(url, headers)
        kept = tuple((name, value) for name, value in answer.all_headers if name != header)
        return replace(answer, headers={k: v for k, v in answer.headers.items() if k != header}, all_headers=kept)

    return fetch_without


@pytest.mark.parametrize(
    ("dropped", "failing"),
    [
        ("vary", {"variant headers"}),
        ("etag", {"variant headers", "revalidation"}),
        ("x-cache", set()),  # Age alone still shows the hit
    ],
)
def test_each_missing_promise_fails_its_check(emulator: Emulator, dropped: str, failing: set[str]) -> None:
    results = run_checks(emulator.url, LANDSCAPE, fetch=_without(dropped))
    found = outcomes(results)
    failed = {name for name, outcome in found.items() if outcome is Outcome.FAIL}
    # Without an ETag there is nothing to revalidate: that check is skipped, not passed.
    assert failed == failing - ({"revalidation"} if dropped == "etag" else set())
    if dropped == "etag":
        assert found["revalidation"] is Outcome.SKIP


def test_a_deployment_that_leaks_s3_xml_and_metadata_fails(emulator: Emulator) -> None:
    def s3_like(url: str, headers: Mapping[str, str]) -> Answer:
        answer = http_get(url, headers)
        if answer.status == 404:
            return Answer(403, {"content-type": "application/xml"}, b"<Error><Code>AccessDenied</Code></Error>")
        if "?" not in url:
            extra = (("x-amz-meta-imgedge-source", "photos/landscape.jpg"),)
            return replace(answer, all_headers=answer.all_headers + extra)
        return answer

    found = outcomes(run_checks(emulator.url, LANDSCAPE, fetch=s3_like))
    assert found["missing original is a 404"] is Outcome.FAIL
    assert found["original passes through"] is Outcome.FAIL
    assert found["variant renders"] is Outcome.PASS


def test_an_original_under_a_spec_shaped_folder_is_reported(emulator: Emulator) -> None:
    found = outcomes(run_checks(emulator.url, "/2024/beach.jpg"))
    assert found["original outside variant folders"] is Outcome.FAIL


@pytest.fixture
def signed_emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Emulator, Config]]:
    config = Config.of(signature_mode=SignatureMode.REQUIRED, signature_secret_id="imgedge/check")
    config_path = tmp_path / "config.json"
    config_path.write_text(config.to_json(), encoding="utf-8")
    # The keys of the emulator's own viewer-request handler (it composes it with the default key source).
    monkeypatch.setattr(signing, "keys_for", lambda config: lambda: (KEY.encode(),))
    with Emulator(Settings(port=0, config_path=config_path), log=lambda line: None) as running:
        yield running, config


def test_signing_checks_with_the_key_and_without(signed_emulator: tuple[Emulator, Config]) -> None:
    emulator, config = signed_emulator
    with_key = outcomes(run_checks(emulator.url, LANDSCAPE, signing_key=KEY.encode(), config=config))
    assert with_key["unsigned render refused"] is Outcome.PASS
    assert with_key["signed render works"] is Outcome.PASS
    assert Outcome.FAIL not in with_key.values()
    wrong_key = outcomes(run_checks(emulator.url, LANDSCAPE, signing_key=b"w" * 40, config=config))
    assert wrong_key["signed render works"] is Outcome.FAIL
    without_key = outcomes(run_checks(emulator.url, LANDSCAPE))
    assert without_key["variant renders"] is Outcome.FAIL  # refused: a deployment that signs needs the key


def test_cli_prints_the_table_and_gates_on_failures(emulator: Emulator, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["check", emulator.url, "--path", LANDSCAPE], catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    assert re.search(r"variant is cached\s+│\s+pass", ok.output), ok.output
    assert "skipped" in ok.output
    broken = runner.invoke(cli, ["check", emulator.url, "--path", "/2024/beach.jpg"], catch_exceptions=False)
    assert broken.exit_code == 1
    assert "check(s) failed" in broken.output
    unreachable = runner.invoke(cli, ["check", "http://127.0.0.1:9", "--path", LANDSCAPE], catch_exceptions=False)
    assert unreachable.exit_code == 1
    assert "cannot reach" in unreachable.output


def test_versioning_of_the_originals_bucket_is_a_pass_or_a_warning() -> None:
    assert versioning_check("photos", "Enabled").outcome is Outcome.PASS
    for status in (None, "Suspended"):
        row = versioning_check("photos", status)
        assert row.outcome is Outcome.WARN
        assert "put-bucket-versioning" in row.detail


def test_cli_warns_about_an_unversioned_bucket_without_failing(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check reads the bucket with the caller's AWS configuration: here the emulator's own S3 (moto's server).
    assert emulator.s3_endpoint is not None
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.s3_endpoint)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    runner = CliRunner()
    args = ["check", emulator.url, "--path", LANDSCAPE, "--bucket", emulator.bucket]
    unversioned = runner.invoke(cli, args, catch_exceptions=False)
    assert unversioned.exit_code == 0, unversioned.output
    assert re.search(r"originals bucket versioned\s+│\s+warning", unversioned.output), unversioned.output
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=emulator.s3_endpoint)
    client.put_bucket_versioning(Bucket=emulator.bucket, VersioningConfiguration={"Status": "Enabled"})
    try:
        versioned = runner.invoke(cli, args, catch_exceptions=False)
        assert re.search(r"originals bucket versioned\s+│\s+pass", versioned.output), versioned.output
    finally:
        client.put_bucket_versioning(Bucket=emulator.bucket, VersioningConfiguration={"Status": "Suspended"})
