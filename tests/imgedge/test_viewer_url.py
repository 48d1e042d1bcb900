"""``imgedge.url``: the same URLs as ``imgedge url`` and ``imgedge sign``, which the viewer-request function
accepts and rewrites."""

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edge.config import Config
from edge.errors import BadRequest
from imgedge import url
from imgedge.cli import cli
from tests.conftest import Handlers, config_with, viewer_event

KEY = "k" * 40

# (PATH, the CLI's options, the same parameters as url()'s keywords)
CASES: list[tuple[str, list[str], dict[str, Any]]] = [
    ("photos/cat.jpg", ["-w", "300"], {"w": 300}),
    ("photos/my cat.png", ["-w", "640", "-h", "480", "--fit", "contain", "--format", "webp"],
     {"w": 640, "h": 480, "fit": "contain", "format": "webp"}),
    ("photos/cat.jpg", ["-w", "300", "-h", "300", "--gravity", "north", "-q", "60", "--grayscale"],
     {"w": 300, "h": 300, "gravity": "north", "q": 60, "grayscale": True}),
    ("/photos/cat.jpg?w=1024", ["--dpr", "2", "--rotate", "90", "--accept", "image/avif,*/*"],
     {"dpr": 2, "rotate": 90, "accept": "image/avif,*/*"}),
]  # fmt: skip


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


Edge = Callable[..., dict[str, Any]]


@pytest.fixture
def edge_of(handlers: Handlers) -> Callable[[Config], Edge]:
    """``edge_of(config)``: ``edge(viewer_url, base_url)``, the viewer-request handler of ``config`` (its signing
    key ``KEY``) on that URL."""

    def bind(config: Config) -> Edge:
        handle = handlers.viewer(config, signing_keys=lambda: (KEY.encode(),))

        def edge(viewer_url: str, base_url: str = "") -> dict[str, Any]:
            path, _, query = viewer_url.removeprefix(base_url).partition("?")
            return handle(viewer_event(path, query, accept="image/avif,image/webp,*/*"), None)

        return edge

    return bind


NOW = 4102444000
BASE = "https://img.example.com"


@pytest.fixture
def configured(tmp_path: Path) -> Callable[..., tuple[Config, Path]]:
    """``configured(**overrides)``: one configuration for the CLI (``--config``, the returned path), ``url()``
    (``config=``, the returned Config) and the viewer-request handler (``edge_of(config)``)."""

    def apply(**overrides: Any) -> tuple[Config, Path]:
        loaded = config_with(**overrides)
        path = tmp_path / "cli-config.json"
        path.write_text(loaded.to_json(), encoding="utf-8")
        return loaded, path

    return apply


@pytest.mark.parametrize(("path", "options", "keywords"), CASES)
def test_url_is_the_viewer_url_of_imgedge_url_and_the_edge_rewrites_it(
    configured: Callable[..., tuple[Config, Path]], edge_of: Callable[[Config], Edge], path: str, options: list[str],
    keywords: dict[str, Any],
) -> None:  # fmt: skip
    loaded, config_path = configured()
    edge = edge_of(loaded)
    printed = json.loads(_cli("url", path, *options, "--base-url", BASE, "--json", "--config", str(config_path)))
    returned = url(path, **keywords, base_url=BASE, config=loaded)
    assert returned == printed["viewer_url"]
    assert url(path, **keywords, base_url=BASE + "/", config=loaded) == returned
    rewritten = edge(returned, BASE)
    assert rewritten["uri"] == printed["variant_key"]
    assert rewritten["querystring"] == ""


@pytest.mark.parametrize(("path", "options", "keywords"), CASES)
def test_signed_url_is_what_imgedge_sign_prints_and_the_edge_rewrites_it(
    configured: Callable[..., tuple[Config, Path]], edge_of: Callable[[Config], Edge], path: str, options: list[str],
    keywords: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    loaded, config_path = configured(signature_mode="required", signature_secret_id="imgedge/test")
    edge = edge_of(loaded)
    monkeypatch.setattr(time, "time", lambda: float(NOW))  # the CLI's --expires-in and the edge's clock
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    printed = json.loads(_cli("url", path, *options, "--json", "--config", str(config_path)))
    sign = (
        "sign",
        printed["viewer_url"],
        "--base-url",
        BASE,
        "--key-file",
        str(key_file),
        "--config",
        str(config_path),
    )
    unexpiring = url(path, **keywords, base_url=BASE, signing_key=KEY, config=loaded)
    assert unexpiring == _cli(*sign)
    assert url(path, **keywords, base_url=BASE, signing_key=KEY.encode(), config=loaded) == unexpiring
    expiring = url(path, **keywords, base_url=BASE, signing_key=KEY, expires=NOW + 800, config=loaded)
    assert expiring == _cli(*sign, "--expires-in", "800")
    assert f"&exp={NOW + 800}&s=" in expiring
    for accepted in (unexpiring, expiring):
        rewritten = edge(accepted, BASE)
        assert rewritten["uri"] == printed["variant_key"]
        assert rewritten["querystring"] == ""
    assert edge(unexpiring.replace("&s=", "&s=x"), BASE)["status"] == "403"


def test_url_refuses_what_the_edge_refuses(configured: Callable[..., tuple[Config, Path]]) -> None:
    loaded, _ = configured()
    with pytest.raises(BadRequest):
        url("photos/cat.jpg", w=300, fit="squash", config=loaded)
    with pytest.raises(BadRequest):
        url("../etc/passwd.jpg", w=300, config=loaded)
    assert url("photos/cat.jpg", base_url=BASE, config=loaded) == f"{BASE}/photos/cat.jpg"
    with pytest.raises(ValueError, match="nothing to sign"):
        url("photos/cat.jpg", signing_key=KEY, config=loaded)
