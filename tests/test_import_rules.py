"""Architecture rules: the viewer bundle stays pure, only their own modules touch boto3 and Pillow, and the runtime
never imports the tools package (``imgedge``), whose own heavy dependencies stay in the modules that need them."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: What the Lambda functions ship (their bundles are import closures over these packages).
RUNTIME_PACKAGES = ("edge", "viewer_request", "origin_response", "purge_on_change")
#: The developer tools: the CLI, the emulator and the demo page, plus the template helper ``imgedge.url``.
TOOLS_PACKAGE = "imgedge"


def imported_modules(path: Path) -> set[str]:
    """The top-level names of every absolute import in ``path``, function-local ones included."""
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
        modules = imported_modules(path)
        if {"boto3", "botocore"} & modules:
            assert relative == "edge/store.py", relative
        if "PIL" in modules:
            assert relative.startswith("edge/render/"), relative


def _python_files(*packages: str) -> list[Path]:
    files = sorted(path for package in packages for path in (REPO / package).rglob("*.py"))
    assert files, packages
    return files


def test_no_runtime_module_imports_the_tools_package() -> None:
    # Static, so that a function-local import on a path no test takes is caught too.
    offenders = [
        path.relative_to(REPO).as_posix()
        for path in _python_files(*RUNTIME_PACKAGES)
        if TOOLS_PACKAGE in imported_modules(path)
    ]
    assert offenders == []


def test_the_tools_keep_click_and_rich_in_the_cli_and_moto_in_the_emulator() -> None:
    for path in _python_files(TOOLS_PACKAGE):
        relative = path.relative_to(REPO).as_posix()
        modules = imported_modules(path)
        if {"click", "rich"} & modules:
            assert relative.startswith("imgedge/cli"), relative
        if "moto" in modules:
            assert relative.startswith("imgedge/emulator"), relative


def test_importing_the_tools_package_loads_no_cli_emulator_or_aws_sdk() -> None:
    # ``from imgedge import url`` in a web app's templates must not drag in the CLI's or the emulator's stack.
    code = (
        "import sys, json; from imgedge import url; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('click', 'rich', 'moto', 'boto3', 'botocore', 'PIL'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
