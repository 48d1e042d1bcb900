"""``cdk/app.py`` as a program (the cdk.json entry point), and the docs of its settings and its deployment."""

import json
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from edge.config import Config
from imgedge_cdk.application import APP_SETTINGS, DEFAULT_OUTDIR, check_context_keys, config_table, settings_table
from imgedge_cdk.props import SETTING_NAMES, ImageEdgeProps, PropsError
from tests.cdk.conftest import REPO_ROOT

SETTINGS_DOC = REPO_ROOT / "docs" / "configuration.md"
DEPLOY_DOC = REPO_ROOT / "docs" / "deploy.md"


def _run_app(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("CDK_")}
    return subprocess.run(
        [sys.executable, "cdk/app.py", *args],
        cwd=REPO_ROOT,
        env={**clean_env, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_app_synthesizes_from_the_repo_root_without_credentials(tmp_path: Path) -> None:
    # The CDK CLI runs the app with CDK_OUTDIR and its merged context (cdk.json + -c) in CDK_CONTEXT_JSON;
    # that context must win over the cdk.json defaults the app reads itself (waf_rate_limit 2000 there).
    cli_context = {"aws:cdk:bundling-stacks": [], "waf_rate_limit": 777}
    done = _run_app(
        "-c", "stack_name=ImgEdgeCi",
        env={"CDK_OUTDIR": str(tmp_path), "CDK_CONTEXT_JSON": json.dumps(cli_context)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["artifacts"]["ImgEdgeCi"]["environment"] == "aws://unknown-account/us-east-1"
    template = json.loads((tmp_path / "ImgEdgeCi.template.json").read_text())
    (acl,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::WAFv2::WebACL"]
    (rate,) = [rule for rule in acl["Properties"]["Rules"] if rule["Name"] == "RateLimit"]
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == 777
    assert DEFAULT_OUTDIR == REPO_ROOT / "cdk.out"


def test_app_rejects_a_bad_setting_naming_it(tmp_path: Path) -> None:
    done = _run_app("--outdir", str(tmp_path), "-c", "origin_response_memory_mb=64")
    assert done.returncode == 2
    assert "'origin_response_memory_mb'" in done.stderr
    assert not (tmp_path / "manifest.json").exists()


def test_app_refuses_an_unknown_setting_naming_the_closest(tmp_path: Path) -> None:
    done = _run_app("--outdir", str(tmp_path), "-c", "bucket_nme=photos")
    assert done.returncode == 2
    assert "unknown imgedge setting 'bucket_nme'" in done.stderr
    assert "did you mean 'bucket_name'?" in done.stderr
    assert not (tmp_path / "manifest.json").exists()


def test_cdk_keys_and_app_keys_are_not_settings_and_pass() -> None:
    check_context_keys({"aws:cdk:bundling-stacks": [], "@aws-cdk/core:newStyleStackSynthesis": True,
                        "availability-zones:account=1:region=us-east-1": [], "stack_name": "X", "bundling": "local",
                        "account": "1", "bucket_name": "b", "sizes": [300]})  # fmt: skip
    with pytest.raises(PropsError, match=r"'zzz'.*docs/configuration\.md"):
        check_context_keys({"zzz": 1})


def test_deploy_doc_table_lists_every_context_key() -> None:
    settings = SETTINGS_DOC.read_text(encoding="utf-8")
    text = settings[settings.index("\n## Settings (CDK context)\n") :]
    text = text[: text.find("\n## ", 1) if "\n## " in text[1:] else len(text)]
    table_keys = set(re.findall(r"^\| `([a-z0-9_]+)` \|", text, flags=re.MULTILINE))
    assert table_keys == set(SETTING_NAMES) | set(APP_SETTINGS)
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    for section in ("Bootstrap", "Deploy", "Outputs", "Upload originals", "Try a URL", "Tear down", "Cost"):
        assert re.search(rf"^#+ .*{section}", text, flags=re.MULTILINE | re.IGNORECASE), section


def test_the_settings_table_in_the_docs_is_the_generated_one() -> None:
    # One declaration (ImageEdgeProps' field metadata, APP_SETTINGS): the docs hold its output, verbatim.
    settings = SETTINGS_DOC.read_text(encoding="utf-8")
    assert settings_table() in settings, "regenerate: python3 cdk/app.py --settings-table"
    done = _run_app("--settings-table")
    assert (done.returncode, done.stdout) == (0, settings_table())


def test_the_edge_configuration_table_in_the_docs_is_the_generated_one() -> None:
    # Every key of the JSON the functions load (drawn from Config's own JSON), each in one row, in the docs.
    settings = SETTINGS_DOC.read_text(encoding="utf-8")
    assert config_table() in settings, "regenerate: python3 cdk/app.py --config-table"
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| `[a-z]+` \|", config_table(), flags=re.MULTILINE)
    assert sorted(rows) == sorted(json.loads(Config().to_json()))
    done = _run_app("--config-table")
    assert (done.returncode, done.stdout) == (0, config_table())


def _spellings(value: object) -> set[str]:
    """How a default may be written as a context value (the oracle for the table's backticked defaults)."""
    if isinstance(value, float):
        return {str(value), f"{value:g}"}
    return {_spelled(value)}


def _spelled(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value) if value else "[]"
    if isinstance(value, dict):
        return ",".join(f"{key}={item}" for key, item in value.items())
    return str(value)


def test_every_backticked_default_in_the_table_is_the_real_default() -> None:
    props = ImageEdgeProps()
    checked = 0
    for setting in fields(ImageEdgeProps):
        shown = setting.metadata["default"]
        if shown.startswith("`") and shown.endswith("`") and shown.count("`") == 2:
            assert shown.strip("`") in _spellings(getattr(props, setting.name)), setting.name
            checked += 1
    assert checked >= 15  # the image settings' defaults are printed from their values (shown_default)
