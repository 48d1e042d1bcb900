"""Architecture rules: the viewer bundle stays pure, and only their own modules touch boto3 and Pillow."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_viewer_request_imports_neither_pillow_nor_boto3() -> None:
    code = (
        "import sys, json; import viewer_request.handler; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('PIL', 'boto3', 'botocore'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# Modules the viewer-request function no longer loads at its cold start: signing and its Secrets Manager client
# (with hashlib, hmac, datetime) load only when signature_mode is not off; the rest only on the requests or
# configurations that need them (fractions with decimal at the first dpr or focus, unicodedata at the first
# non-ASCII path, edge.origins with extra origins, the watermark with origin-response, edge.dialects with
# url_dialects).
VIEWER_COLD_START_EXCLUDED = (
    "edge.signing",
    "edge.dialects",
    "edge.secrets",
    "edge.origins",
    "edge.watermarks",
    "hashlib",
    "hmac",
    "datetime",
    "pathlib",
    "typing",
    "fractions",
    "decimal",
    "base64",
    "unicodedata",
)


def test_viewer_request_cold_start_loads_none_of_the_lazy_modules() -> None:
    # -S: no site, so no .pth file (this venv's editable install imports pathlib) loads anything first; the
    # Lambda runtime has none either.
    code = "import sys, json; import viewer_request.handler; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(result.stdout))
    assert "viewer_request.handler" in loaded
    assert sorted(loaded.intersection(VIEWER_COLD_START_EXCLUDED)) == []


def test_only_store_imports_boto3_and_only_render_imports_pillow() -> None:
    for path in sorted((REPO / "edge").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if relative.startswith("edge/local/"):
            continue
        modules = imported_modules(path)
        if {"boto3", "botocore"} & modules:
            assert relative == "edge/store.py", relative
        if "PIL" in modules:
            assert relative.startswith("edge/render/"), relative
