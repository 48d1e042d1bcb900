"""``imgedge sign`` and ``imgedge srcset --sign``: the URLs they print pass the edge's signature check."""

import re
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner, Result

from edge import signing
from edge.config import Config
from imgedge.cli import cli
from imgedge.signing_keys import KEY_ENV_VAR
from tests.conftest import ConfigSetter, viewer_event
from viewer_request.handler import handler as viewer_handler

KEY = "s" * 40
SECRET = "imgedge/cli-signing"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def required(use_config: ConfigSetter, monkeypatch: pytest.MonkeyPatch) -> Iterator[Config]:
    # The edge's keys, as the viewer-request function would fetch them (no network in this test).
    signing.key_cache.cache_clear()
    monkeypatch.setattr(signing, "keys_for", lambda config: lambda: (KEY.encode(),))
    yield use_config(signature_mode="required", signature_secret_id=SECRET)
    signing.key_cache.cache_clear()


def _edge(url: str, accept: str = "image/avif,image/webp,*/*") -> dict[str, object]:
    path, _, query = url.partition("?")
    return viewer_handler(viewer_event(path, query, accept=accept), None)


def test_sign_prints_a_url_the_edge_accepts(required: Config, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    result = run("sign", "photos/cat.jpg", "-w", "300", "--key-file", str(key_file))
    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert re.fullmatch(r"/photos/cat\.jpg\?w=300&s=[A-Za-z0-9_-]{22}", url)
    assert _edge(url)["uri"] == "/300/photos/cat.avif"
    assert _edge(url, "image/webp")["uri"] == "/300/photos/cat.webp"
    assert _edge(url.replace("w=300", "w=640"))["status"] == "403"


def test_sign_reads_the_key_from_the_environment_or_secrets_manager(
    required: Config, monkeypatch: pytest.MonkeyPatch, aws_env: None
) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    from_env = run("sign", "/photos/cat.jpg?w=300&h=200&fit=contain", "--base-url", "https://img.example.com/")
    assert from_env.exit_code == 0, from_env.output
    assert from_env.stdout.startswith("https://img.example.com/photos/cat.jpg?w=300&h=200&fit=contain&s=")
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        client.create_secret(Name=SECRET, SecretString=f'{{"keys": ["{KEY}", "{"o" * 40}"]}}')
        from_secret = run("sign", "/photos/cat.jpg?w=300&h=200&fit=contain", "--base-url", "https://img.example.com",
                          "--secret-id", SECRET)  # fmt: skip
    assert from_secret.stdout == from_env.stdout
    assert _edge(from_secret.stdout.strip().removeprefix("https://img.example.com"))["uri"] == (
        "/300x200-contain/photos/cat.avif"
    )


def test_sign_usage_errors(required: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    assert run("sign", "photos/cat.jpg", "-w", "300").exit_code == 2  # no key
    monkeypatch.setenv(KEY_ENV_VAR, "short")
    assert "at least 32" in run("sign", "photos/cat.jpg", "-w", "300").output
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    assert "nothing to sign" in run("sign", "photos/cat.jpg").output


def test_srcset_sign(required: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    result = run("srcset", "photos/cat.jpg", "--widths", "320,640", "--sign")
    assert result.exit_code == 0, result.output
    urls = re.findall(r"(/photos/cat\.jpg\?[^ ,\"]+) \d+w", result.stdout)
    assert len(urls) == 2
    for url in urls:
        assert "&amp;s=" in url
        assert "uri" in _edge(url.replace("&amp;", "&"))
    unsigned = run("srcset", "photos/cat.jpg", "--widths", "320")
    assert "&amp;s=" not in unsigned.stdout


def test_sign_and_srcset_expires_in(required: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    before = int(time.time())
    url = run("sign", "photos/cat.jpg", "-w", "300", "--expires-in", "3600").stdout.strip()
    match = re.fullmatch(r"/photos/cat\.jpg\?w=300&exp=(\d+)&s=[A-Za-z0-9_-]{22}", url)
    assert match is not None, url
    assert before + 3600 <= int(match[1]) <= int(time.time()) + 3600
    assert _edge(url)["uri"] == "/300/photos/cat.avif"
    monkeypatch.setattr(time, "time", lambda: float(match[1]))  # the edge's clock reaches exp
    assert _edge(url)["status"] == "403"
    monkeypatch.undo()
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    srcset = run("srcset", "photos/cat.jpg", "--widths", "320", "--sign", "--expires-in", "60").stdout
    assert re.search(r"w=320&amp;exp=\d+&amp;s=", srcset), srcset
    assert run("sign", "photos/cat.jpg", "-w", "300", "--expires-in", "0").exit_code == 2
