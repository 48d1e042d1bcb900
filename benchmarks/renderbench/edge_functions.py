"""The edge functions outside the render matrix, each measured in fresh interpreters running the programs in
``probes/``: viewer-request per event and its cold import, origin-response's cold start, the viewer bundle's size,
the corpus's huge originals under the default limits; and warm misses through the local emulator."""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from renderbench.corpus import Photo
from renderbench.settings import FORMATS, HUGE, PACKAGE_DIR, ROOT, log

PROBES = PACKAGE_DIR / "probes"


def run_python(
    command: Sequence[str], *, cpus: set[int] | None = None, args: Sequence[str] = (), argv: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (a script path, or ``-c`` and code) in a fresh interpreter with interpreter options ``args``
    and script arguments ``argv``, in the repository root with it on PYTHONPATH, pinned to ``cpus`` if given."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("IMGEDGE_CONFIG", None)
    return subprocess.run(
        [sys.executable, *args, *command, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    )


def run_probe(name: str, *, cpus: set[int] | None = None, argv: Sequence[str] = ()) -> Any:
    """Run ``probes/<name>.py`` by path in a fresh interpreter and return the JSON it prints."""
    return json.loads(run_python([str(PROBES / f"{name}.py")], cpus=cpus, argv=argv).stdout)


def importtime_us(module: str, cpus: set[int]) -> float:
    """Cumulative ``-X importtime`` microseconds of ``module`` in a fresh interpreter."""
    result = run_python(["-c", f"import {module}"], cpus=cpus, args=("-X", "importtime"))
    for line in result.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return float(parts[1])
    raise RuntimeError(f"no importtime line for {module}")


def measure_edge(cpus: set[int], events: int, repeats: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    # Bytecode first (both handlers' packages): with PYTHONDONTWRITEBYTECODE set, a module edited since its .pyc
    # was written would be compiled again in every fresh interpreter below, and the cold imports would measure the
    # compiler.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "edge", "viewer_request", "origin_response"],
        cwd=ROOT,
        check=True,
        env={name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
    )
    log(f"viewer-request: {events:,} events per mode")
    results["viewer"] = run_probe("viewer_timing", cpus=cpus, argv=(str(events),))
    log("cold imports")
    results["viewer_import_us"] = statistics.median(
        importtime_us("viewer_request.handler", cpus) for _ in range(repeats)
    )
    imports = [run_probe("import_cpu", cpus=cpus, argv=("viewer_request.handler",)) for _ in range(repeats)]
    results["viewer_import_cpu_ms"] = statistics.median(i["cpu_ms"] for i in imports)
    results["viewer_import_wall_ms"] = statistics.median(i["wall_ms"] for i in imports)
    # The standard-library modules AWS's Python runtime has loaded when it imports a handler: exactly those that
    # awslambdaric 4.2.2 (PyPI wheel; ``python -m awslambdaric``: ``__main__``, ``bootstrap``, ``lambda_config``,
    # ``lambda_context``, ``lambda_runtime_client``, ``lambda_runtime_exception``, ``lambda_runtime_log_utils``,
    # ``lambda_runtime_marshaller``) and its simplejson pull in, checked against ``sys.modules``. Not awslambdaric
    # itself, its C runtime client or simplejson, which are not installed here.
    runtime_imports = ("__future__", "decimal", "enum", "importlib", "json", "logging", "math", "os", "sys", "time",
                       "traceback")  # fmt: skip
    after_runtime = [
        run_probe("import_cpu", cpus=cpus, argv=("viewer_request.handler", *runtime_imports)) for _ in range(repeats)
    ]
    results["viewer_import_after_runtime_cpu_ms"] = statistics.median(i["cpu_ms"] for i in after_runtime)
    results["origin_import_us"] = statistics.median(
        importtime_us("origin_response.handler", cpus) for _ in range(repeats)
    )
    origin = [run_probe("origin_cold", cpus=cpus) for _ in range(repeats)]
    results["origin_cold"] = {name: statistics.median(o[name] for o in origin) for name in origin[0]}
    try:
        results["viewer_bundle"] = run_probe("viewer_bundle")
    except subprocess.CalledProcessError as err:
        results["viewer_bundle"] = {"error": err.stderr.strip().splitlines()[-1:]}
    return results


def measure_huge(corpus: Path, cpus: set[int]) -> list[dict[str, Any]]:
    rows = []
    for name in HUGE:
        path = corpus / name
        if not path.is_file():
            continue
        for width in (300, 1280):
            log(f"huge original {name} -> {width}")
            answer = run_probe("huge_render", cpus=cpus, argv=(str(path.resolve()), str(width)))
            rows.append({"file": name, "width": width, **answer})
    return rows


def measure_emulator(
    photos: Sequence[Photo], widths: Sequence[int], formats: Sequence[str] = FORMATS
) -> dict[str, Any]:
    """Warm misses through the local emulator (embedded moto S3): total, handler and render milliseconds."""
    from imgedge.emulator import Emulator, Settings  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="imgedge-bench-") as directory:
        for photo in photos:
            (Path(directory) / photo.name).symlink_to(photo.path.resolve())
        settings = Settings(port=0, originals=Path(directory))
        quiet = io.StringIO()
        samples: dict[str, list[dict[str, float]]] = {}
        with contextlib.redirect_stderr(quiet), Emulator(settings, log=lambda line: None) as emulator:
            accept = "image/avif,image/webp,*/*"
            emulator.handle("GET", f"/{photos[0].name}?w=100", [("Accept", accept)], "127.0.0.1")  # cold start
            for fmt in formats:
                for photo in photos:
                    for width in widths:
                        response = emulator.handle(
                            "GET", f"/{photo.name}?w={width}&format={fmt}", [("Accept", accept)], "127.0.0.1"
                        )
                        timings = dict(response.timings)
                        if response.cache != "Miss":
                            raise RuntimeError(f"expected a miss, got {response.cache} {response.status}")
                        samples.setdefault(fmt, []).append(timings)
    result = {}
    for fmt, rows in samples.items():
        result[fmt] = {
            name: statistics.median(row.get(name, 0.0) for row in rows) for name in ("total", "s3", "origin", "render")
        }
        result[fmt]["overhead"] = statistics.median(row["origin"] - row.get("render", 0.0) for row in rows)
    return result
