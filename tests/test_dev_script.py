"""The ``./dev`` entry point's CDK verbs: a Node too old for the CDK is refused up front in one line."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _fake_node(folder: Path, version: str) -> None:
    """A ``node`` that reports ``version`` the two ways ``./dev`` asks (``--version`` and ``-p``)."""
    script = folder / "node"
    major = version.lstrip("v").split(".")[0]
    script.write_text(f'#!/bin/sh\nif [ "$1" = --version ]; then echo {version}; else echo {major}; fi\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize("verb", ["synth", "diff", "deploy", "cdk"])
def test_old_node_is_refused_in_one_line(tmp_path: Path, verb: str) -> None:
    _fake_node(tmp_path, "v18.20.4")
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    answer = subprocess.run(
        ["bash", str(REPO_ROOT / "dev"), verb], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert answer.returncode == 1
    assert answer.stderr.strip().splitlines() == ["imgedge: Node.js 20+ is needed for the CDK; this is v18.20.4"]
    assert answer.stdout == ""


def test_missing_node_is_refused_in_one_line(tmp_path: Path) -> None:
    bash = subprocess.run(["sh", "-c", "command -v bash"], capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / "bash").symlink_to(bash)
    for tool in ("dirname", "cat"):
        found = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True, check=True)
        (tmp_path / tool).symlink_to(found.stdout.strip())
    answer = subprocess.run(
        [str(tmp_path / "bash"), str(REPO_ROOT / "dev"), "synth"],
        capture_output=True,
        text=True,
        env={"PATH": str(tmp_path), "HOME": os.environ.get("HOME", "/tmp")},
        timeout=60,
        check=False,
    )
    assert answer.returncode == 1
    assert answer.stderr.strip().splitlines() == [
        "imgedge: Node.js 20+ is needed for the CDK (aws-cdk-lib runs on it); none found on PATH"
    ]


def test_cdk_app_runs_without_the_jsii_node_banner() -> None:
    env = {k: v for k, v in os.environ.items() if k != "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"}
    answer = subprocess.run(
        [sys.executable, str(REPO_ROOT / "cdk" / "app.py"), "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    assert "end-of-life" not in answer.stdout + answer.stderr
    assert "usage:" in answer.stdout
