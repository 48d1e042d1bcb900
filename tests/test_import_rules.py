"""Architecture rules: the viewer bundle stays pure, and only their own modules touch boto3 and Pillow."""

import ast
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
