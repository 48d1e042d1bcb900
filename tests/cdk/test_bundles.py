"""The real code assets (viewer-request, origin-response, and purge-on-change with warming), from ONE synthesis with
local bundling (pip for Linux x86_64, CPython 3.13).

The first run downloads Pillow and boto3 wheels from the package index into the pip cache
(``$IMGEDGE_CDK_CACHE`` or ``~/.cache/imgedge-cdk``); later runs only copy them.
"""

import ast
import importlib.util
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import PIL
import pytest

from edge.config import CONFIG_FILE_NAME, Config
from imgedge_cdk.bundling import (
    ORIGIN_HANDLER,
    PROJECT_PACKAGES,
    VIEWER_HANDLER,
    BundlingError,
    bytecode_python,
    compile_bytecode,
    origin_requirements,
    pinned_version,
)
from imgedge_cdk.closure import import_closure
from imgedge_cdk.props import props_from_context
from imgedge_cdk.purge import WARM_HANDLER
from tests.cdk.conftest import (
    REPO_ROOT,
    Synthesized,
    assert_closure_matches,
    loaded_project_modules,
    synthesize,
)

VIEWER_ZIP_LIMIT = 1_048_576  # Lambda@Edge: 1 MB for viewer-request/response packages
VIEWER_ZIP_BUDGET = 100_000  # "far under": the viewer bundle is a few pure-Python modules
ORIGIN_ZIP_LIMIT = 52_428_800  # Lambda@Edge: 50 MB for origin-request/response packages
ELF_MACHINE_X86_64 = 62
# Non-default settings, so the bundled config proves it follows the props.
CONTEXT: dict[str, object] = {
    "sizes": "160,320,640,1280",
    "default_format": "webp",
    "cache_control": "public, max-age=604800",
    "variant_expiry_days": "30",
    # Deploys the purge-on-change function with warming: its asset is bundled with Pillow as origin-response's is.
    "warm_renditions": "w=320",
}


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(CONTEXT, tmp_path_factory.mktemp("cdk-bundled"), bundling=True)


@pytest.fixture(scope="module")
def viewer_dir(bundled: Synthesized) -> Path:
    return bundled.asset_dir(VIEWER_HANDLER)


@pytest.fixture(scope="module")
def origin_dir(bundled: Synthesized) -> Path:
    return bundled.asset_dir(ORIGIN_HANDLER)


@pytest.fixture(scope="module")
def warm_dir(bundled: Synthesized) -> Path:
    return bundled.asset_dir(WARM_HANDLER)


def _zip(directory: Path, tmp_path: Path) -> Path:
    """The asset zipped as CDK uploads it (every file, deflated); the archive's path."""
    archive = tmp_path / f"{directory.name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(directory).as_posix())
    return archive


def _zip_size(directory: Path, tmp_path: Path) -> int:
    return _zip(directory, tmp_path).stat().st_size


def _unzipped(directory: Path, tmp_path: Path) -> Path:
    """The asset zipped and extracted again into a new folder (what Lambda puts in /var/task)."""
    target = tmp_path / "task"
    with zipfile.ZipFile(_zip(directory, tmp_path)) as zipped:
        zipped.extractall(target)
    return target


@pytest.fixture(scope="module")
def viewer_task(viewer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _unzipped(viewer_dir, tmp_path_factory.mktemp("viewer-task"))


@pytest.fixture(scope="module")
def origin_task(origin_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _unzipped(origin_dir, tmp_path_factory.mktemp("origin-task"))


def _files(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}


def _elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", f"{path.name} is not an ELF file"
    assert header[4] == 2, f"{path.name} is not 64-bit"
    assert header[5] == 1, f"{path.name} is not little-endian"
    (machine,) = struct.unpack_from("<H", header, 18)
    return int(machine)


class _RuntimeImports(ast.NodeVisitor):
    """Top-level module names imported at run time (``if TYPE_CHECKING:`` bodies are skipped)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.names.update(alias.name.split(".")[0] for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.names.add(node.module.split(".")[0])


def _top_level_imports(directory: Path, packages: tuple[str, ...]) -> set[str]:
    visitor = _RuntimeImports()
    for package in packages:
        for source in (directory / package).rglob("*.py"):
            visitor.visit(ast.parse(source.read_text(encoding="utf-8")))
    return visitor.names


# --- viewer-request -------------------------------------------------------------------------------------------


def test_viewer_zip_is_far_under_the_viewer_limit(viewer_dir: Path, tmp_path: Path) -> None:
    size = _zip_size(viewer_dir, tmp_path)
    assert size < VIEWER_ZIP_LIMIT
    assert size < VIEWER_ZIP_BUDGET, f"viewer bundle grew to {size} bytes zipped"


def test_viewer_bundle_is_pure_python_without_pillow_boto3_or_dev_tools(viewer_dir: Path) -> None:
    files = _files(viewer_dir)
    assert "viewer_request/handler.py" in files
    assert CONFIG_FILE_NAME in files
    assert all(f.endswith(".py") for f in files - {CONFIG_FILE_NAME}), sorted(files)
    top_dirs = {f.split("/")[0] for f in files}
    assert top_dirs == {"edge", "viewer_request", CONFIG_FILE_NAME}
    forbidden = ("edge/store.py", "edge/render/", "imgedge/", "PIL/", "boto3/", "botocore/", "__pycache__")
    assert [f for f in files if f.startswith(forbidden) or "__pycache__" in f] == []
    assert not (_top_level_imports(viewer_dir, ("edge", "viewer_request")) & {"PIL", "boto3", "botocore"})


def test_viewer_bundle_runs_alone_on_the_standard_library(viewer_dir: Path) -> None:
    # -I -S: no site-packages, so any import the bundle does not carry (Pillow, boto3, ...) fails here.
    event_file = REPO_ROOT / "tests" / "events" / "viewer-request.json"
    script = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(viewer_dir)!r})\n"
        "from viewer_request.handler import handler\n"
        "from edge.config import load_config\n"
        f"event = json.load(open({str(event_file)!r}))\n"
        "result = handler(event, None)\n"
        "assert isinstance(result, dict), result\n"
        "assert not {'PIL', 'boto3', 'botocore'} & set(sys.modules)\n"
        "print('CONFIG=' + json.dumps(json.loads(load_config().to_json())))\n"
    )
    done = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("CONFIG=")]
    loaded = Config.from_mapping(json.loads(line.removeprefix("CONFIG=")))
    assert loaded == props_from_context(CONTEXT).to_config()


def test_viewer_zip_is_exactly_what_its_handler_and_lazy_modes_import(viewer_task: Path) -> None:
    # The handler module, then the modules it imports lazily for its optional modes (signing, extra origins),
    # as the closure reads them from the zip's own sources: the zip must hold these and nothing else.
    handler_module = VIEWER_HANDLER.rpartition(".")[0]
    lazy = sorted(import_closure(handler_module, viewer_task, PROJECT_PACKAGES).lazy)
    assert {"edge.signing", "edge.secrets", "edge.origins"} <= set(lazy)
    loaded = loaded_project_modules(viewer_task, [handler_module, *lazy])
    assert_closure_matches(viewer_task, VIEWER_HANDLER, loaded)
    assert not {"edge.origin_flow", "edge.faces", "edge.watermarks", "edge.store", "edge.purge"} & set(loaded)


def test_viewer_zip_runs_its_signing_and_origins_modes_alone(viewer_task: Path, tmp_path: Path) -> None:
    # Independently of the closure: run the handler with every optional mode on (signing required, an extra
    # origin, every URL dialect): the unsigned request is refused (403) by the signing module, after every module
    # of the modes loaded.
    config = json.loads((viewer_task / CONFIG_FILE_NAME).read_text())
    config.update(
        signature_mode="required",
        signature_secret_id="imgedge/signing",
        origins=[{"prefix": "avatars/", "bucket": "acme-avatars", "region": "eu-west-1"}],
        url_dialects=["thumbor", "sih", "query_aliases"],
        variant_prefix="_v",
    )
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    event_file = REPO_ROOT / "tests" / "events" / "viewer-request.json"
    run = (
        "from viewer_request.handler import handler\n"
        f"result = handler(json.load(open({str(event_file)!r})), None)\n"
        "assert (result['status'], result['body']) == ('403', 'signature required\\n'), result\n"
    )
    handler_module = VIEWER_HANDLER.rpartition(".")[0]
    loaded = loaded_project_modules(
        viewer_task, [handler_module], then=run, env={"IMGEDGE_CONFIG": str(config_file), "PATH": os.defpath}
    )
    assert {"edge.signing", "edge.secrets", "edge.origins", "edge.dialects"} <= set(loaded)
    assert_closure_matches(viewer_task, VIEWER_HANDLER, loaded)


# --- origin-response ------------------------------------------------------------------------------------------


def test_origin_zip_is_under_the_origin_limit(origin_dir: Path, tmp_path: Path) -> None:
    assert _zip_size(origin_dir, tmp_path) < ORIGIN_ZIP_LIMIT


def test_origin_bundle_carries_the_code_but_no_dev_tools_or_foreign_bytecode(origin_dir: Path) -> None:
    files = _files(origin_dir)
    assert "origin_response/handler.py" in files
    assert "edge/store.py" in files
    assert any(f.startswith("edge/render/") for f in files)
    assert not [f for f in files if f.startswith("imgedge/")]
    assert not [f for f in files if f.startswith("bin/")]
    foreign = [f for f in files if f.endswith((".pyc", ".pyo")) and not f.endswith(".cpython-313.pyc")]
    assert foreign == []


def test_origin_bundle_carries_unchecked_cpython_313_bytecode_for_every_module(origin_dir: Path) -> None:
    if bytecode_python() is None:
        pytest.skip("no CPython 3.13 on this machine: the asset ships sources only (bundling.bytecode_python)")
    sources = [
        p for top in ("edge", "origin_response", "PIL", "boto3", "botocore") for p in (origin_dir / top).rglob("*.py")
    ]
    assert len(sources) > 100
    # Checked by the 3.13 interpreter itself: its magic number, flags 0b01 (PEP 552: hash-based, source not
    # checked, so zip file times cannot invalidate it) and the hash of the bundled source.
    check = """
import importlib.util, pathlib, sys
bad = []
for line in sys.stdin.read().splitlines():
    source = pathlib.Path(line)
    header = pathlib.Path(importlib.util.cache_from_source(line)).read_bytes()[:16]
    expected = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + importlib.util.source_hash(source.read_bytes())
    if header != expected:
        bad.append(line)
print(len(bad), bad[:5])
"""
    python = bytecode_python()
    assert python is not None
    result = subprocess.run(
        [python, "-I", "-c", check], input="\n".join(map(str, sources)), capture_output=True, text=True, check=True
    )
    assert result.stdout.split(" ", 1)[0] == "0", result.stdout


def test_compile_bytecode_writes_unchecked_hash_pycs_beside_the_sources(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text("VALUE = 42\n")
    compile_bytecode(sys.executable, [package])
    tag = sys.implementation.cache_tag
    header = (package / "__pycache__" / f"mod.{tag}.pyc").read_bytes()[:16]
    assert header[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(header[4:8], "little") == 1


def test_compile_bytecode_reports_a_file_that_does_not_compile(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def (:\n")
    with pytest.raises(BundlingError, match="byte compilation failed"):
        compile_bytecode(sys.executable, [tmp_path])


def test_origin_bundle_has_pillow_compiled_for_linux_x86_64_cpython_313(origin_dir: Path) -> None:
    (imaging,) = (origin_dir / "PIL").glob("_imaging.*.so")
    assert imaging.name == "_imaging.cpython-313-x86_64-linux-gnu.so"
    assert _elf_machine(imaging) == ELF_MACHINE_X86_64
    for library in (origin_dir / "pillow.libs").glob("*.so*"):
        assert _elf_machine(library) == ELF_MACHINE_X86_64, library.name


def test_bundled_pillow_is_the_version_the_tests_run_with(origin_dir: Path) -> None:
    version_source = (origin_dir / "PIL" / "_version.py").read_text()
    (bundled_version,) = [
        node.value.value
        for node in ast.walk(ast.parse(version_source))
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
        and isinstance(node.value, ast.Constant)
    ]
    assert bundled_version == PIL.__version__
    assert bundled_version == pinned_version("pillow", REPO_ROOT / "pyproject.toml")
    assert (origin_dir / f"pillow-{bundled_version}.dist-info").is_dir()


def test_bundled_pillow_can_encode_avif(origin_dir: Path) -> None:
    # The cp313 extension cannot be imported by this interpreter; its AVIF module and codec library must exist.
    (avif,) = (origin_dir / "PIL").glob("_avif.*.so")
    assert avif.name == "_avif.cpython-313-x86_64-linux-gnu.so"
    assert _elf_machine(avif) == ELF_MACHINE_X86_64
    assert list((origin_dir / "pillow.libs").glob("libavif*.so*"))
    assert (origin_dir / "PIL" / "AvifImagePlugin.py").is_file()


def test_bundled_pillow_heif_decodes_heic_for_cpython_313(origin_dir: Path) -> None:
    # HEIF originals: the pinned pillow-heif, its cp313 extension and the libheif/libde265 it loads, for x86_64.
    version = pinned_version("pillow-heif", REPO_ROOT / "pyproject.toml")
    assert (origin_dir / f"pillow_heif-{version}.dist-info").is_dir()
    (extension,) = origin_dir.glob("_pillow_heif.*.so")
    assert extension.name == "_pillow_heif.cpython-313-x86_64-linux-gnu.so"
    libraries = list((origin_dir / "pillow_heif.libs").glob("*.so*"))
    assert {"libheif", "libde265"} <= {library.name.split("-")[0] for library in libraries}
    assert all(_elf_machine(library) == ELF_MACHINE_X86_64 for library in libraries)


def test_bundled_boto3_is_pinned_to_the_local_version(origin_dir: Path) -> None:
    boto3_requirement = [r for r in origin_requirements() if r.startswith("boto3==")]
    (version,) = [r.split("==")[1] for r in boto3_requirement]
    assert (origin_dir / f"boto3-{version}.dist-info").is_dir()


def test_origin_code_imports_only_what_the_bundle_carries(origin_dir: Path) -> None:
    carried = {p.name.split(".")[0] for p in origin_dir.iterdir()} | {"PIL"}
    imported = _top_level_imports(origin_dir, ("edge", "origin_response"))
    missing = sorted(name for name in imported if name not in sys.stdlib_module_names and name not in carried)
    assert missing == []


def _pillow_handler_closure(task: Path, handler: str) -> dict[str, str | None]:
    """The project modules that importing ``handler`` (and its lazy imports) loads from the unzipped ``task``."""
    handler_module = handler.rpartition(".")[0]
    lazy = sorted(import_closure(handler_module, task, PROJECT_PACKAGES).lazy)
    python = bytecode_python()
    if python is not None:
        # CPython 3.13 imports the asset exactly as Lambda would: its own cp313 Pillow and boto3, nothing else.
        return loaded_project_modules(task, [handler_module, *lazy], python=python)
    # This interpreter cannot load the cp313 Pillow: third-party packages come from this environment's
    # site-packages (which holds no imgedge module: the editable install only maps them through site).
    import boto3

    site_packages = str(Path(PIL.__file__).parent.parent), str(Path(boto3.__file__).parent.parent)
    return loaded_project_modules(task, [handler_module, *lazy], extra_paths=site_packages)


def test_origin_zip_is_exactly_what_its_handler_imports(origin_task: Path) -> None:
    loaded = _pillow_handler_closure(origin_task, ORIGIN_HANDLER)
    assert_closure_matches(origin_task, ORIGIN_HANDLER, loaded)
    # The optional modes (faces, watermark) are part of its closure; the purge function's module is not.
    assert {"edge.faces", "edge.watermarks", "edge.render.faces", "edge.render.overlay"} <= set(loaded)
    assert "edge.purge" not in loaded


# --- purge-on-change with warming ---------------------------------------------------------------------------


def _third_party(directory: Path) -> set[str]:
    return {entry.name for entry in directory.iterdir() if entry.name not in {*PROJECT_PACKAGES, CONFIG_FILE_NAME}}


def test_warm_bundle_carries_origin_responses_pillow_and_boto3(warm_dir: Path, origin_dir: Path) -> None:
    assert _third_party(warm_dir) == _third_party(origin_dir)  # the same pip install (pillow, pillow-heif, boto3)
    (imaging,) = (warm_dir / "PIL").glob("_imaging.*.so")
    assert imaging.name == "_imaging.cpython-313-x86_64-linux-gnu.so"
    assert _elf_machine(imaging) == ELF_MACHINE_X86_64
    assert (warm_dir / "PIL" / "_version.py").read_bytes() == (origin_dir / "PIL" / "_version.py").read_bytes()


def test_warm_zip_is_under_the_origin_limit(warm_dir: Path, tmp_path: Path) -> None:
    assert _zip_size(warm_dir, tmp_path) < ORIGIN_ZIP_LIMIT


def test_warm_zip_is_exactly_what_its_handler_imports(warm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    task = _unzipped(warm_dir, tmp_path_factory.mktemp("warm-task"))
    loaded = _pillow_handler_closure(task, WARM_HANDLER)
    assert_closure_matches(task, WARM_HANDLER, loaded)
    # The purge, the warming core and origin-response's render and store code; not origin-response's handler.
    assert {"edge.purge", "edge.warming", "edge.origin_flow", "edge.render", "edge.store"} <= set(loaded)
    assert not {"origin_response.handler", "viewer_request.handler"} & set(loaded)


# --- all -------------------------------------------------------------------------------------------------------


def test_every_bundle_carries_the_config_of_the_props(
    bundled: Synthesized, viewer_dir: Path, origin_dir: Path, warm_dir: Path
) -> None:
    expected = props_from_context(CONTEXT).to_config()
    assert expected.storage.tag_variants is True
    assert expected == bundled.stack.image_edge.config
    for directory in (viewer_dir, origin_dir, warm_dir):
        bundled_config = json.loads((directory / CONFIG_FILE_NAME).read_text())
        assert Config.from_mapping(bundled_config) == expected
        assert bundled_config == json.loads(expected.to_json())
