"""The release artefacts (issue 15): ``python -m build`` from a copy of the source tree, then the wheel and sdist
inspected, the wheel installed with the ``cdk`` extra into a fresh virtualenv, and a CDK app outside this
repository that imports ``ImageEdge`` from that install synthesized with real bundling.

Everything here runs subprocesses against the configured package index (pip's own configuration: on these
machines local indexes and find-links), so the module is marked ``slow``. The expected contents are derived from
the source tree and ``pyproject.toml``, never listed by hand.
"""

import email.message
import email.parser
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import edge
from imgedge_cdk.bundling import ORIGIN_HANDLER, VIEWER_HANDLER, pinned_version, viewer_files

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
RUNTIME_PACKAGES = ("edge", "viewer_request", "origin_response", "purge_on_change")
TOOLS_PACKAGE = "imgedge"
CONSTRUCT_PACKAGE = "imgedge_cdk"
# Never copied into the build: VCS data, virtualenvs, node modules, synth output, earlier builds, caches.
_NOT_SOURCE = shutil.ignore_patterns(
    ".*", "node_modules", "cdk.out", "build", "dist", "*.egg-info", "__pycache__", "*.pyc"
)
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
SUBPROCESS_TIMEOUT_S = 600


@dataclass(frozen=True)
class Release:
    """The artefacts of one ``python -m build``."""

    wheel: Path
    sdist: Path


def _run(
    command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``command``; fail the test with its output unless it exits 0."""
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=SUBPROCESS_TIMEOUT_S, env=env, cwd=cwd
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without anything that would put the repository on a child's ``sys.path``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, **extra}


def _source_files() -> set[str]:
    """What the wheel must hold of the project: every file of the runtime packages and of the tools package (at the
    root) and of the construct package (in ``cdk/``), by path inside the wheel, without byte code."""
    files: set[str] = set()
    packages = [*((REPO_ROOT, p) for p in (*RUNTIME_PACKAGES, TOOLS_PACKAGE)), (REPO_ROOT / "cdk", CONSTRUCT_PACKAGE)]
    for root, package in packages:
        for path in (root / package).rglob("*"):
            relative = path.relative_to(root)
            if path.is_file() and "__pycache__" not in relative.parts and path.suffix != ".pyc":
                files.add(relative.as_posix())
    return files


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    # Built from a copy, so that the build's egg-info and build/ never land in the working tree.
    base = tmp_path_factory.mktemp("release")
    source = base / "src"
    shutil.copytree(REPO_ROOT, source, ignore=_NOT_SOURCE)
    _run([sys.executable, "-m", "build", "--outdir", str(base / "dist"), str(source)], env=_clean_env())
    (wheel,) = (base / "dist").glob("*.whl")
    (sdist,) = (base / "dist").glob("*.tar.gz")
    return Release(wheel=wheel, sdist=sdist)


def _wheel_metadata(wheel: Path) -> email.message.EmailMessage:
    with zipfile.ZipFile(wheel) as zipped:
        (name,) = [n for n in zipped.namelist() if n.endswith(".dist-info/METADATA")]
        text = zipped.read(name).decode()
    message = email.parser.Parser(policy=email.policy.default).parsestr(text)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_the_release_passes_twine_check(release: Release) -> None:
    done = _run([sys.executable, "-m", "twine", "check", "--strict", str(release.wheel), str(release.sdist)])
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_the_wheel_holds_the_runtime_tools_and_construct_packages_and_nothing_else(release: Release) -> None:
    with zipfile.ZipFile(release.wheel) as zipped:
        names = zipped.namelist()
    dist_info = {n for n in names if n.split("/")[0].endswith(".dist-info")}
    assert set(names) - dist_info == _source_files()
    # The contract, spelled out: the tools and the construct are in, the repo's own app and dev files are out.
    assert {
        "imgedge/__init__.py",
        "imgedge/static/index.html",
        "imgedge_cdk/__init__.py",
        "imgedge_cdk/closure.py",
    } <= set(names)
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "cdk/")) or n in ("app.py", "conftest.py")]
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]


def test_the_wheel_metadata_is_the_release(release: Release) -> None:
    metadata = _wheel_metadata(release.wheel)
    assert metadata["Name"] == PYPROJECT["project"]["name"]
    assert metadata["Version"] == edge.__version__
    assert SEMVER.match(edge.__version__)
    assert release.wheel.name == f"imgedge-{edge.__version__}-py3-none-any.whl"
    assert metadata["License-Expression"] == PYPROJECT["project"]["license"]
    with zipfile.ZipFile(release.wheel) as zipped:
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in zipped.namelist())
        (entry_points,) = [n for n in zipped.namelist() if n.endswith(".dist-info/entry_points.txt")]
        assert "imgedge = imgedge.cli:main" in zipped.read(entry_points).decode()
    requires = metadata.get_all("Requires-Dist") or []
    for requirement in PYPROJECT["project"]["optional-dependencies"]["cdk"]:
        name = re.split(r"[=<>!~\[ ]", requirement, maxsplit=1)[0]
        assert any(r.startswith(name) and 'extra == "cdk"' in r for r in requires), (name, requires)


def test_the_changelog_has_the_release() -> None:
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text()
    assert "[Keep a Changelog](https://keepachangelog.com/" in changelog
    assert re.search(rf"^## \[{re.escape(edge.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M)


def test_the_sdist_holds_the_sources_without_tests_or_benchmarks(release: Release) -> None:
    with tarfile.open(release.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "LICENSE", "README.md", "CHANGELOG.md"} <= names
    # The construct package sits in cdk/ in the source tree, as in the repository.
    assert {f"cdk/{f}" if f.startswith(f"{CONSTRUCT_PACKAGE}/") else f for f in _source_files()} <= names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/")) or "__pycache__" in n]


# --- installed into a fresh virtualenv --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def installed(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv (no system site-packages) with ``imgedge[cdk]`` installed from the built wheel; its
    ``bin`` directory."""
    home = tmp_path_factory.mktemp("venv") / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(home)
    python = home / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", f"imgedge[cdk] @ {release.wheel.as_uri()}"], env=_clean_env())
    return home / "bin"


def test_the_installed_command_answers_help(installed: Path) -> None:
    done = _run([str(installed / "imgedge"), "--help"], env=_clean_env(), cwd=installed)
    assert done.stdout.startswith("Usage: imgedge")
    version = _run([str(installed / "imgedge"), "--version"], env=_clean_env(), cwd=installed)
    assert edge.__version__ in version.stdout


def test_the_cdk_extra_brings_what_the_construct_needs(installed: Path) -> None:
    probe = (
        "import json, sys, imgedge_cdk, aws_cdk, constructs\n"
        "from imgedge_cdk import ImageEdge, ImageEdgeProps\n"
        "from imgedge_cdk.bundling import SOURCE_ROOT\n"
        "print(json.dumps([imgedge_cdk.__file__, str(SOURCE_ROOT), sys.prefix]))\n"
    )
    done = _run([str(installed / "python"), "-I", "-c", probe], env=_clean_env(), cwd=installed)
    construct_file, source_root, prefix = json.loads(done.stdout.splitlines()[-1])
    # The construct and the handler sources it stages come from the virtualenv, not from this repository.
    assert Path(construct_file).is_relative_to(prefix)
    assert Path(source_root).is_relative_to(prefix)
    assert Path(source_root).name == "site-packages"
    _run([str(installed / "python"), "-m", "pip", "check"], env=_clean_env())


README_EXAMPLE_HEADING = "## The construct in your own CDK app"


def _readme_example() -> str:
    """The Python block of docs/deploy.md's section on using the construct in another app: the external app runs
    exactly what the docs show."""
    readme = (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = readme[readme.index(README_EXAMPLE_HEADING) :]
    match = re.search(r"^```python\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    assert match is not None, f"no python block under {README_EXAMPLE_HEADING!r}"
    return match[1]


@dataclass(frozen=True)
class ExternalSynth:
    """The cloud assembly of the external app: its template and the folder of each function's asset."""

    template: dict[str, object]
    assets: dict[str, Path]


@pytest.fixture(scope="module")
def external_app(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> ExternalSynth:
    folder = tmp_path_factory.mktemp("external-app")
    (folder / "app.py").write_text(_readme_example())
    (folder / "cdk.json").write_text(json.dumps({"app": "python app.py", "context": {}}))
    # What `cdk synth` does: run cdk.json's "app" command in the app folder with the context and the output
    # directory in the environment (here with the virtualenv first on PATH, as an activated one would be).
    cdk_json = json.loads((folder / "cdk.json").read_text())
    outdir = folder / "cdk.out"
    env = _clean_env(
        PATH=f"{installed}{os.pathsep}{os.environ.get('PATH', '')}",
        CDK_OUTDIR=str(outdir),
        CDK_CONTEXT_JSON=json.dumps(cdk_json["context"]),
    )
    _run(["sh", "-c", cdk_json["app"]], env=env, cwd=folder)
    template = json.loads((outdir / "Photos.template.json").read_text())
    manifest = json.loads((outdir / "Photos.assets.json").read_text())
    assets: dict[str, Path] = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function" and "S3Key" in resource["Properties"]["Code"]:
            key = resource["Properties"]["Code"]["S3Key"].removesuffix(".zip")
            assets[resource["Properties"]["Handler"]] = outdir / manifest["files"][key]["source"]["path"]
    return ExternalSynth(template=template, assets=assets)


def _resources(template: dict[str, object], kind: str) -> dict[str, dict[str, object]]:
    resources = template["Resources"]
    assert isinstance(resources, dict)
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def test_the_construct_synthesizes_in_an_app_outside_the_repository(external_app: ExternalSynth) -> None:
    template = external_app.template
    version_ids = _resources(template, "AWS::Lambda::Version")
    (distribution,) = _resources(template, "AWS::CloudFront::Distribution").values()
    (acl_id,) = _resources(template, "AWS::WAFv2::WebACL")
    config = distribution["Properties"]["DistributionConfig"]  # type: ignore[index]
    assert config["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    associations = [
        (association["EventType"], association["LambdaFunctionARN"]["Ref"])
        for association in config["DefaultCacheBehavior"]["LambdaFunctionAssociations"]
    ]
    assert sorted(event for event, _ in associations) == ["origin-response", "viewer-request"]
    assert {ref for _, ref in associations} <= set(version_ids)
    assert {VIEWER_HANDLER, ORIGIN_HANDLER} <= set(external_app.assets)
    # The imported bucket: none is created, and the distribution's origin is the named one.
    assert _resources(template, "AWS::S3::Bucket") == {}
    assert "acme-photos.s3.eu-west-1.amazonaws.com" in json.dumps(config["Origins"])


def test_the_outside_apps_assets_come_from_the_installed_package(external_app: ExternalSynth) -> None:
    viewer = external_app.assets[VIEWER_HANDLER]
    viewer_project = {p.relative_to(viewer).as_posix() for p in viewer.rglob("*") if p.is_file() and p.suffix == ".py"}
    assert viewer_project == set(viewer_files(REPO_ROOT))
    assert not (viewer / "PIL").exists()
    assert not (viewer / "boto3").exists()
    # Real bundling: the origin asset has the Pillow that imgedge pins, installed for the Lambda runtime.
    origin = external_app.assets[ORIGIN_HANDLER]
    pin = pinned_version("pillow", REPO_ROOT / "pyproject.toml")
    assert (origin / f"pillow-{pin}.dist-info").is_dir()
    assert (origin / "origin_response" / "handler.py").is_file()
