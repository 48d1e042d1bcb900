"""The two Lambda@Edge code assets, built at synth without Docker.

Each asset carries exactly its handler's import closure (``closure.import_closure``: the project modules the
handler imports, directly, transitively or lazily for an optional mode such as signing) and ``imgedge-config.json``
at the root; nothing else of the project (no dev tools, no modules of the other functions).

- **viewer-request**: the closure of ``viewer_request.handler``: pure Python, no Pillow, no boto3. It must stay
  far below Lambda@Edge's 1 MB limit for viewer events.
- **origin-response**: the closure of ``origin_response.handler``, and Pillow + boto3 for the Lambda runtime
  (CPython 3.13, Linux x86_64), installed by ``pip --platform ... --only-binary=:all: --target`` through CDK
  *local* bundling. Must stay below the 50 MB limit for origin events.

The sources are read from where the project's packages are imported from (``SOURCE_ROOT``: the repository in a
clone or an editable install, ``site-packages`` for an installed wheel), so the construct works in any CDK app.

Sources are first *staged*: the selected files and the config JSON are copied into a content-addressed directory
(under ``<cdk outdir>/.imgedge-staging``), which is the asset's source. So the asset hash changes exactly when a
bundled file, the config or the pip requirement list changes, and CDK skips re-bundling an asset whose output
already exists. The pip result is cached per requirement list under ``$IMGEDGE_CDK_CACHE`` (default
``$XDG_CACHE_HOME/imgedge-cdk`` or ``~/.cache/imgedge-cdk``), so repeated synths only copy files.

The origin-response asset also carries CPython 3.13 byte code (``__pycache__/*.cpython-313.pyc``, hash-based and
unchecked, so it is valid whatever the zip does to file times): ``/var/task`` is read-only, so without it every
cold start compiles Pillow, boto3, botocore and imgedge from source (measured here under CPython 3.13.0: the
handler's imports took 577-819 ms from source, 186-225 ms with byte code). Byte code is version-specific, so it
is written only by a CPython 3.13 interpreter (``$IMGEDGE_CDK_PYTHON313``, ``python3.13`` on ``PATH``, or a
pyenv 3.13; see ``bytecode_python``); without one the asset ships sources only and synth prints a warning. The
viewer asset ships sources only: its byte code would triple its zip (54 to 157 KB) for about 15 ms of a cold
start.

The Pillow version is the one imgedge pins (``pillow==X``): read from ``pyproject.toml`` when the source root is a
clone, else from the installed distribution's metadata. Pillow 13 publishes x86_64 Linux
wheels only as ``manylinux_2_28``, so pip is given that platform tag first; with ``manylinux2014`` alone it would
silently resolve an older Pillow. boto3 is pinned to the version installed where the CDK app runs, because the
functions need ``IfNoneMatch`` on PutObject, which the runtime's bundled boto3 may predate.
"""

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from edge.config import CONFIG_FILE_NAME
from imgedge_cdk.closure import ClosureError, import_closure

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository root when running from a clone (``cdk.json``, ``pyproject.toml``); meaningless when installed."""

DISTRIBUTION = "imgedge"
PROJECT_PACKAGES: tuple[str, ...] = ("edge", "viewer_request", "origin_response", "purge_on_change")
"""The top-level packages whose modules the bundles carry (the import closure follows only these)."""

LAMBDA_PYTHON_VERSION = "3.13"
PIP_PLATFORMS: tuple[str, ...] = ("manylinux_2_28_x86_64", "manylinux2014_x86_64")
DOCKER_IMAGE = "public.ecr.aws/sam/build-python3.13:latest"
STAGING_DIR_NAME = ".imgedge-staging"
CACHE_ENV_VAR = "IMGEDGE_CDK_CACHE"
BYTECODE_PYTHON_ENV_VAR = "IMGEDGE_CDK_PYTHON313"

VIEWER_HANDLER = "viewer_request.handler.handler"
ORIGIN_HANDLER = "origin_response.handler.handler"

_PIN = re.compile(r"^\s*(?P<name>[A-Za-z0-9_.-]+)\s*==\s*(?P<version>[A-Za-z0-9_.+-]+)\s*$")


class BundlingError(RuntimeError):
    """An asset cannot be built: a handler is missing, a pin is absent, or pip failed."""


def pinned_version(package: str, pyproject: Path) -> str:
    """The exact version ``pyproject.toml`` pins for ``package`` in ``[project] dependencies`` (``name==X``).

    Raises ``BundlingError`` when the package is absent or not pinned with ``==``.
    """
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    wanted = package.lower().replace("_", "-")
    for requirement in data.get("project", {}).get("dependencies", []):
        match = _PIN.match(requirement)
        if match and match["name"].lower().replace("_", "-") == wanted:
            return match["version"]
    raise BundlingError(f"{pyproject} must pin {package} exactly ({package}==X) in [project] dependencies")


def installed_pin(package: str, distribution: str = DISTRIBUTION) -> str:
    """The exact version the installed ``distribution``'s metadata pins for ``package`` (``Requires-Dist:
    name==X`` without an extra). Raises ``BundlingError`` when the distribution is not installed or does not pin it.
    """
    try:
        requirements = importlib.metadata.requires(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        raise BundlingError(f"{distribution} is not installed, so its {package} pin cannot be read") from None
    wanted = package.lower().replace("_", "-")
    for requirement in requirements:
        if ";" in requirement:  # an extra's or a platform's requirement, not a base dependency
            continue
        match = _PIN.match(requirement)
        if match and match["name"].lower().replace("_", "-") == wanted:
            return match["version"]
    raise BundlingError(f"the installed {distribution} does not pin {package} exactly ({package}==X)")


def find_source_root(packages: Iterable[str] = PROJECT_PACKAGES) -> Path:
    """The directory the project's packages are imported from, without importing them: the repository in a
    clone or an editable install, ``site-packages`` for an installed wheel.

    Raises ``BundlingError`` when a package is not importable or the packages do not share one directory.
    """
    roots: set[Path] = set()
    for package in packages:
        spec = importlib.util.find_spec(package)
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        if not locations:
            raise BundlingError(f"the package {package} is not importable here (is imgedge installed?)")
        roots.add(Path(locations[0]).resolve().parent)
    if len(roots) != 1:
        raise BundlingError(f"the packages {', '.join(packages)} are not installed side by side: {sorted(roots)}")
    return roots.pop()


SOURCE_ROOT = find_source_root()
"""Where the handler sources are staged from by default (see ``find_source_root``)."""


def origin_requirements(source_root: Path = SOURCE_ROOT) -> tuple[str, ...]:
    """The pip requirements of the origin-response asset: the pinned Pillow and pillow-heif (HEIF originals), and
    the local boto3 version.

    The pins come from ``source_root/pyproject.toml`` when it exists (a clone), else from the installed imgedge
    metadata. Raises ``BundlingError`` when neither pins them.
    """
    pyproject = source_root / "pyproject.toml"
    pins = {
        package: pinned_version(package, pyproject) if pyproject.is_file() else installed_pin(package)
        for package in ("pillow", "pillow-heif")
    }
    boto3 = importlib.metadata.version("boto3")
    return (f"pillow=={pins['pillow']}", f"pillow-heif=={pins['pillow-heif']}", f"boto3=={boto3}")


def handler_files(handler: str, source_root: Path = SOURCE_ROOT) -> dict[str, Path]:
    """The source files of ``handler``'s import closure (``handler`` is ``module.function``), by bundle-relative
    path. Raises ``BundlingError`` when the handler module or a module it imports has no source."""
    try:
        closure = import_closure(handler.rpartition(".")[0], source_root, PROJECT_PACKAGES)
    except ClosureError as exc:
        raise BundlingError(str(exc)) from None
    return closure.files()


def viewer_files(source_root: Path = SOURCE_ROOT) -> dict[str, Path]:
    """Files of the viewer-request asset: the import closure of ``viewer_request.handler``."""
    return handler_files(VIEWER_HANDLER, source_root)


def origin_files(source_root: Path = SOURCE_ROOT) -> dict[str, Path]:
    """Files of the origin-response asset (before pip): the import closure of ``origin_response.handler``."""
    return handler_files(ORIGIN_HANDLER, source_root)


def stage(files: Mapping[str, Path], config_json: str, staging_root: Path, kind: str) -> Path:
    """Copy ``files`` and write ``imgedge-config.json`` into a content-addressed directory; return it.

    The directory name is a digest of every relative path, file content and the config, so an existing
    directory is reused as is (staging is idempotent and safe to repeat across synths).
    """
    digest = hashlib.sha256()
    contents: dict[str, bytes] = {rel: path.read_bytes() for rel, path in sorted(files.items())}
    contents[CONFIG_FILE_NAME] = config_json.encode("utf-8")
    for rel, data in sorted(contents.items()):
        digest.update(rel.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    target = staging_root / f"{kind}-{digest.hexdigest()[:20]}"
    if target.is_dir():
        return target
    staging_root.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=staging_root))
    for rel, data in contents.items():
        destination = temporary / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    try:
        temporary.rename(target)
    except OSError:  # a concurrent synth staged the same content first
        shutil.rmtree(temporary, ignore_errors=True)
    return target


def cache_root() -> Path:
    """Where pip results are cached: ``$IMGEDGE_CDK_CACHE``, else ``$XDG_CACHE_HOME``/``~/.cache`` + imgedge-cdk."""
    explicit = os.environ.get(CACHE_ENV_VAR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "imgedge-cdk"


def pip_arguments(requirements: Iterable[str], target: str) -> list[str]:
    """The ``pip install`` arguments that fetch Linux x86_64 CPython 3.13 wheels into ``target``."""
    platforms = [arg for platform in PIP_PLATFORMS for arg in ("--platform", platform)]
    return [
        "install", "--disable-pip-version-check", "--no-input", "--no-compile", "--quiet",
        "--target", target, "--implementation", "cp", "--python-version", LAMBDA_PYTHON_VERSION,
        *platforms, "--only-binary=:all:", *requirements,
    ]  # fmt: skip


def pip_install_cached(requirements: tuple[str, ...], root: Path | None = None) -> Path:
    """Install ``requirements`` for the Lambda platform once per requirement list; return the cached directory.

    The cache key covers the requirements, platforms and Python version. The install goes to a temporary
    directory that is renamed into place only when pip succeeded, so a failed run never leaves a half cache.
    Raises ``BundlingError`` with pip's output when pip fails.
    """
    base = root or cache_root()
    python = bytecode_python()
    key_source = json.dumps([
        list(requirements), list(PIP_PLATFORMS), LAMBDA_PYTHON_VERSION, "cp", "bytecode" if python else "source",
    ])  # fmt: skip
    key = hashlib.sha256(key_source.encode("utf-8")).hexdigest()[:20]
    target = base / "pip" / key
    if target.is_dir():
        return target
    (base / "pip").mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=base / "pip"))
    command = [sys.executable, "-m", "pip", *pip_arguments(requirements, str(temporary))]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        shutil.rmtree(temporary, ignore_errors=True)
        raise BundlingError(f"pip failed ({' '.join(command)}):\n{result.stdout}\n{result.stderr}")
    shutil.rmtree(temporary / "bin", ignore_errors=True)  # console scripts are useless in a Lambda bundle
    if python is not None:
        try:
            compile_bytecode(python, [temporary])
        except BundlingError:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
    try:
        temporary.rename(target)
    except OSError:  # a concurrent synth filled the cache first
        shutil.rmtree(temporary, ignore_errors=True)
    return target


@cache
def bytecode_python() -> str | None:
    """A CPython 3.13 interpreter to write the origin asset's byte code with, or ``None`` (warned on stderr).

    Tried in order: ``$IMGEDGE_CDK_PYTHON313``, ``python3.13`` on ``PATH``, ``$PYENV_ROOT`` (default
    ``~/.pyenv``) ``/versions/3.13*/bin/python3``; each must run and report CPython 3.13 (a pyenv shim whose
    version is not active does not).
    """
    explicit = os.environ.get(BYTECODE_PYTHON_ENV_VAR)
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates: list[str | None] = [explicit, shutil.which(f"python{LAMBDA_PYTHON_VERSION}")]
    candidates += [str(p) for p in sorted(pyenv.glob(f"versions/{LAMBDA_PYTHON_VERSION}*/bin/python3"), reverse=True)]
    probe = "import sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2])"
    for candidate in candidates:
        if not candidate:
            continue
        try:
            answer = subprocess.run(  # noqa: S603 (an interpreter path we looked up, no shell)
                [candidate, "-I", "-c", probe], capture_output=True, text=True, check=False, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if answer.returncode == 0 and answer.stdout.split() == ["cpython", LAMBDA_PYTHON_VERSION]:
            return candidate
    print(
        f"imgedge-cdk: warning: no CPython {LAMBDA_PYTHON_VERSION} found (set ${BYTECODE_PYTHON_ENV_VAR}); the "
        "origin-response asset ships without byte code and compiles its modules at every cold start",
        file=sys.stderr,
    )
    return None


def compile_bytecode(python: str, paths: Iterable[Path]) -> None:
    """Write unchecked hash-based byte code for every ``.py`` under ``paths`` with the interpreter ``python``.

    Files land in ``__pycache__`` beside their sources, named for ``python``'s version, whatever
    ``PYTHONPYCACHEPREFIX``/``PYTHONDONTWRITEBYTECODE`` say here. Raises ``BundlingError`` with the compiler's
    output when a file does not compile.
    """
    command = [python, "-I", "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    command += [str(path) for path in paths]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BundlingError(f"byte compilation failed ({' '.join(command)}):\n{result.stdout}\n{result.stderr}")


@jsii.implements(cdk.ILocalBundling)
class PipLocalBundling:
    """CDK local bundling of the origin-response asset: cached pip install + the staged sources.

    ``try_bundle`` always bundles locally and returns True (it raises ``BundlingError`` rather than falling
    back silently to Docker); the Docker image is used only when the app asks for Docker bundling.
    """

    def __init__(self, staged: Path, requirements: tuple[str, ...]) -> None:
        self._staged = staged
        self._requirements = requirements

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_options: Any) -> bool:
        """Fill ``output_dir`` with the pip packages, then the staged sources (which win on a name clash)."""
        packages = pip_install_cached(self._requirements)
        shutil.copytree(packages, output_dir, dirs_exist_ok=True)
        shutil.copytree(self._staged, output_dir, dirs_exist_ok=True)
        python = bytecode_python()
        if python is not None:  # the packages' byte code came with the pip cache; now imgedge's own sources
            compile_bytecode(python, [Path(output_dir) / entry.name for entry in self._staged.iterdir()])
        return True


def viewer_code(staged: Path) -> lambda_.Code:
    """The viewer-request code: the staged directory as is (no dependencies to install)."""
    return lambda_.Code.from_asset(str(staged))


def origin_code(staged: Path, requirements: tuple[str, ...], *, docker: bool = False) -> lambda_.Code:
    """The origin-response code: staged sources plus ``requirements`` installed for Lambda.

    Local bundling by default; with ``docker=True`` the same pip command runs in the SAM Python 3.13 build
    image instead (needs Docker; a fallback for machines where local pip cannot reach an index).
    """
    shell = " && ".join([
        "pip " + " ".join(pip_arguments(requirements, "/asset-output")),
        "rm -rf /asset-output/bin",
        "cp -a /asset-input/. /asset-output/",
        "python -I -m compileall -q -j 0 --invalidation-mode unchecked-hash /asset-output",
    ])  # fmt: skip
    bundling = cdk.BundlingOptions(
        image=cdk.DockerImage.from_registry(DOCKER_IMAGE),
        command=["bash", "-c", shell],
        platform="linux/amd64",
        local=None if docker else PipLocalBundling(staged, requirements),
    )
    # The output depends on more than the staged sources: the requirements, and whether byte code is written.
    fingerprint = json.dumps([staged.name, list(requirements), docker or bytecode_python() is not None])
    return lambda_.Code.from_asset(
        str(staged),
        bundling=bundling,
        asset_hash=hashlib.sha256(fingerprint.encode("utf-8")).hexdigest(),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
    )
