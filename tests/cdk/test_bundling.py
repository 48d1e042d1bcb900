"""``imgedge_cdk.bundling`` without synthesis: file selection, staging, pins and the pip command."""

from pathlib import Path

import pytest
from aws_cdk import App, Environment

from edge.config import CONFIG_FILE_NAME
from imgedge_cdk.application import build_app
from imgedge_cdk.bundling import (
    PIP_PLATFORMS,
    SOURCE_ROOT,
    BundlingError,
    installed_pin,
    origin_files,
    origin_requirements,
    pinned_version,
    pip_arguments,
    stage,
    viewer_files,
)
from imgedge_cdk.props import ImageEdgeProps
from imgedge_cdk.stack import ImageEdgeStack
from tests.cdk.conftest import NO_BUNDLING, REPO_ROOT, write_tree


@pytest.fixture
def source_root(tmp_path: Path) -> Path:
    return write_tree(
        tmp_path / "src",
        {
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["boto3>=1.35", "Pillow == 13.0.0"]\n',
            "edge/__init__.py": "",
            "edge/config.py": "import json\n",
            "edge/store.py": "import boto3\nfrom edge.config import json\n",
            "edge/purge.py": "",
            "edge/origin_flow.py": "",
            "edge/py.typed": "",
            "edge/render/__init__.py": "import PIL\n",
            "imgedge/cli.py": "",
            "edge/__pycache__/config.cpython-311.pyc": "",
            "viewer_request/__init__.py": "",
            "viewer_request/handler.py": "from edge.config import json\ndef handler(e, c): return e\n",
            "origin_response/__init__.py": "",
            "origin_response/handler.py": "from edge import store\nfrom edge.render import PIL\n"
            "def handler(e, c): return e\n",
            "origin_response/test_handler.py": "",
        },
    )


def test_viewer_files_are_the_handlers_import_closure(source_root: Path) -> None:
    # Modules the handler does not import (origin_flow, purge, store, render) and the tools package stay out, as do
    # data and caches.
    assert sorted(viewer_files(source_root)) == [
        "edge/__init__.py", "edge/config.py", "viewer_request/__init__.py", "viewer_request/handler.py",
    ]  # fmt: skip


def test_origin_files_are_the_handlers_import_closure(source_root: Path) -> None:
    assert sorted(origin_files(source_root)) == [
        "edge/__init__.py", "edge/config.py", "edge/render/__init__.py", "edge/store.py",
        "origin_response/__init__.py", "origin_response/handler.py",
    ]  # fmt: skip


def test_the_viewer_asset_leaves_out_the_origin_only_modules() -> None:
    # Read from the repository: the viewer handler never imports these (they serve origin-response).
    files = viewer_files(REPO_ROOT)
    assert {"edge/origin_flow.py", "edge/faces.py", "edge/watermarks.py", "edge/store.py", "edge/purge.py"}.isdisjoint(
        files
    )
    assert not [f for f in files if f.startswith(("edge/render/", "imgedge/"))]
    # ... and carries the modules of the optional modes it imports lazily (signing, extra origins, dialects).
    assert {"edge/signing.py", "edge/secrets.py", "edge/origins.py", "edge/dialects.py"} <= set(files)


def test_the_source_root_is_where_the_packages_are_imported_from() -> None:
    import edge

    assert Path(edge.__file__).resolve().parent.parent == SOURCE_ROOT
    assert (SOURCE_ROOT / "viewer_request" / "handler.py").is_file()


def test_the_pillow_pin_comes_from_the_installed_metadata_without_a_pyproject(tmp_path: Path) -> None:
    # A directory without pyproject.toml stands for site-packages: the pin is read from imgedge's metadata.
    (pillow,) = [r for r in origin_requirements(tmp_path) if r.startswith("pillow==")]
    assert pillow == f"pillow=={installed_pin('pillow')}"
    assert installed_pin("pillow") == pinned_version("pillow", REPO_ROOT / "pyproject.toml")
    with pytest.raises(BundlingError, match="boto3"):
        installed_pin("boto3")  # a lower bound, not a pin


def test_a_missing_handler_stops_synth(source_root: Path) -> None:
    (source_root / "viewer_request" / "handler.py").unlink()
    with pytest.raises(BundlingError, match="handler"):
        viewer_files(source_root)
    app = App(context=NO_BUNDLING)
    with pytest.raises(BundlingError, match="handler"):
        ImageEdgeStack(app, "S", props=ImageEdgeProps(), env=Environment(region="us-east-1"), source_root=source_root)


def test_staging_is_content_addressed_and_idempotent(source_root: Path, tmp_path: Path) -> None:
    files = viewer_files(source_root)
    first = stage(files, '{"a": 1}', tmp_path / "staging", "viewer")
    assert stage(files, '{"a": 1}', tmp_path / "staging", "viewer") == first
    assert (first / CONFIG_FILE_NAME).read_text() == '{"a": 1}'
    assert stage(files, '{"a": 2}', tmp_path / "staging", "viewer") != first


def test_pillow_pin_is_read_from_pyproject(source_root: Path) -> None:
    assert pinned_version("pillow", source_root / "pyproject.toml") == "13.0.0"
    assert pinned_version("pillow", REPO_ROOT / "pyproject.toml")
    with pytest.raises(BundlingError, match="boto3"):
        pinned_version("boto3", source_root / "pyproject.toml")


def test_pip_targets_manylinux_2_28_first_binary_only_cpython_313() -> None:
    # Pillow 13 ships x86_64 Linux wheels only as manylinux_2_28: manylinux2014 alone resolves an older Pillow.
    assert PIP_PLATFORMS[0] == "manylinux_2_28_x86_64"
    args = pip_arguments(["pillow==13.0.0"], "/out")
    for flag in (["--platform", "manylinux_2_28_x86_64"], ["--python-version", "3.13"], ["--implementation", "cp"]):
        index = args.index(flag[0])
        assert args[index : index + 2] == flag
    assert "--only-binary=:all:" in args
    assert "--no-compile" in args
    assert args[args.index("--target") + 1] == "/out"


def test_docker_bundling_is_a_selectable_fallback(tmp_path: Path) -> None:
    built = build_app(context={**NO_BUNDLING, "bundling": "docker"}, outdir=str(tmp_path), nag=False)
    assert built.app.synth().get_stack_by_name(built.stack.stack_name).template
