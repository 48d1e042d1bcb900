"""What the benchmark needs and runs on: pinned Python packages (pip into the running environment), sharp (``npm
ci`` into ``benchmarks/.bench/node``), the machine's facts, and the library versions a worker process reports."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from renderbench.settings import BENCH_DIR, NODE_DIR, PY_REQUIREMENTS, ROOT, log


def ensure_python_packages(distributions: Sequence[str]) -> None:
    """pip-install the pinned requirement of each of ``distributions`` that is not installed."""
    missing = []
    for name in distributions:
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(PY_REQUIREMENTS[name])
    if missing:
        log(f"installing {' '.join(missing)} into {sys.prefix}")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)


def ensure_sharp() -> bool:
    """``npm ci`` the pinned sharp into ``NODE_DIR`` unless it is there already; False when node/npm are missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        log("node/npm not found: sharp is skipped")
        return False
    wanted = json.loads((BENCH_DIR / "package.json").read_text())["dependencies"]["sharp"]
    installed = NODE_DIR / "node_modules" / "sharp" / "package.json"
    if installed.is_file() and json.loads(installed.read_text()).get("version") == wanted:
        return True
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        if (BENCH_DIR / name).is_file():
            shutil.copy2(BENCH_DIR / name, NODE_DIR / name)
    log(f"installing sharp {wanted} into {NODE_DIR.relative_to(ROOT)}")
    verb = "ci" if (NODE_DIR / "package-lock.json").is_file() else "install"
    subprocess.run(["npm", verb, "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True)
    return True


def has_sharp() -> bool:
    """Whether sharp is installed in ``NODE_DIR`` (without installing it)."""
    return (NODE_DIR / "node_modules" / "sharp").is_dir()


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "nproc": str(os.cpu_count()),
        "affinity": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "memory": memory,
        "kernel": platform.release(),
        "node": subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
        if shutil.which("node")
        else "-",
    }


def library_versions() -> dict[str, str]:
    """Python's, Pillow's and its codecs', and those of pyvips and pillow-avif-plugin when this process loaded them
    (a Python worker's answer to ``hello``)."""
    versions: dict[str, str] = {"python": platform.python_version()}
    with contextlib.suppress(ImportError):
        import PIL  # noqa: PLC0415
        from PIL import features  # noqa: PLC0415

        versions["pillow"] = PIL.__version__
        for name in ("libjpeg_turbo", "webp", "avif", "littlecms2"):
            versions[f"pillow-{name}"] = str(features.version(name))
        with contextlib.suppress(ImportError, AttributeError):
            from PIL import _avif  # noqa: PLC0415

            versions["pillow-avif-codecs"] = _avif.codec_versions()
    if "pyvips" in sys.modules:
        pyvips = sys.modules["pyvips"]
        versions["pyvips"] = pyvips.__version__
        versions["libvips"] = ".".join(str(pyvips.version(i)) for i in range(3))
    if "pillow_avif" in sys.modules:
        plugin = sys.modules["pillow_avif"]
        versions["pillow-avif-plugin"] = plugin.__version__
        versions["pillow-avif-plugin-codecs"] = plugin._avif.codec_versions()
    return versions
