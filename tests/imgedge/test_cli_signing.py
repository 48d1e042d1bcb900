"""``imgedge sign`` and ``imgedge srcset --sign``: the URLs they print pass the edge's signature check."""

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from edge.config import Config
from imgedge.cli import cli
from imgedge.signing_keys import KEY_ENV_VAR
from tests.conftest import Handlers, config_with, viewer_event

KEY = "s" * 40
SECRET = "imgedge/cli-signing"

Run = Callable[..., Result]
Edge = Callable[..., dict[str, Any]]


@pytest.fixture
def required() -> Config:
    """The configuration of the CLI (``run``) and the edge (``edge``): every image URL signed."""
    return config_with(signature_mode="required", signature_secret_id=SECRET)


@pytest.fixture
def run(required: Config, tmp_path: Path) -> Run:
    """``run(*args)``: ``imgedge ARGS --config FILE``, FILE holding ``required``."""
    path = tmp_path / "imgedge-config.json"
    path.write_text(required.to_json(), encoding="utf-8")
    return lambda *args: CliRunner().invoke(cli, [*args, "--config", str(path)], catch_exceptions=False)


@pytest.fixture
def edge(required: Config, handlers: Handlers) -> Edge:
    """``edge(url, accept)``: the viewer-request handler of ``required`` on that URL."""
    # The edge's keys, as the viewer-request function would fetch them (no network in this test).
    handle = handlers.viewer(required, signing_keys=lambda: (KEY.encode(),))

    def request(url: str, accept: str = "image/avif,image/webp,*/*") -> dict[str, Any]:
        path, _, query = url.partition("?")
        return handle(viewer_event(path, query, accept=accept), None)

    return request


def test_sign_prints_a_url_the_edge_accepts(run: Run, edge: Edge, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    result = run("sign", "photos/cat.jpg", "-w", "300", "--key-file", str(key_file))
    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert re.fullmatch(r"/photos/cat\.jpg\?w=300&s=[A-Za-z0-9_-]{22}", url)
    assert edge(url)["uri"] == "/300/photos/cat.avif"
    assert edge(url, "image/webp")["uri"] == "/300/photos/cat.webp"
    assert edge(url.replace("w=300", "w=640"))["status"] == "403"


def test_sign_reads_the_key_from_the_environment_or_secrets_manager(
    run: Run, edge: Edge, monkeypatch: pytest.MonkeyPatch, aws_env: None
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
    assert edge(from_secret.stdout.strip().removeprefix("https://img.example.com"))["uri"] == (
        "/300x200-contain/photos/cat.avif"
    )


def test_sign_usage_errors(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    assert run("sign", "photos/cat.jpg", "-w", "300").exit_code == 2  # no key
    monkeypatch.setenv(KEY_ENV_VAR, "short")
    assert "at least 32" in run("sign", "photos/cat.jpg", "-w", "300").output
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    assert "nothing to sign" in run("sign", "photos/cat.jpg").output


def test_srcset_sign(run: Run, edge: Edge, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    result = run("srcset", "photos/cat.jpg", "--widths", "320,640", "--sign")
    assert result.exit_code == 0, result.output
    urls = re.findall(r"(/photos/cat\.jpg\?[^ ,\"]+) \d+w", result.stdout)
    assert len(urls) == 2
    for url in urls:
        assert "&amp;s=" in url
        assert "uri" in edge(url.replace("&amp;", "&"))
    unsigned = run("srcset", "photos/cat.jpg", "--widths", "320")
    assert "&amp;s=" not in unsigned.stdout


def test_sign_and_srcset_expires_in(run: Run, edge: Edge, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    before = int(time.time())
    url = run("sign", "photos/cat.jpg", "-w", "300", "--expires-in", "3600").stdout.strip()
    match = re.fullmatch(r"/photos/cat\.jpg\?w=300&exp=(\d+)&s=[A-Za-z0-9_-]{22}", url)
    assert match is not None, url
    assert before + 3600 <= int(match[1]) <= int(time.time()) + 3600
    assert edge(url)["uri"] == "/300/photos/cat.avif"
    monkeypatch.setattr(time, "time", lambda: float(match[1]))  # the edge's clock reaches exp
    assert edge(url)["status"] == "403"
    monkeypatch.undo()
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    srcset = run("srcset", "photos/cat.jpg", "--widths", "320", "--sign", "--expires-in", "60").stdout
    assert re.search(r"w=320&amp;exp=\d+&amp;s=", srcset), srcset
    assert run("sign", "photos/cat.jpg", "-w", "300", "--expires-in", "0").exit_code == 2
