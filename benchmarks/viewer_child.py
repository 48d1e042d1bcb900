"""Run a viewer-request timing program in a fresh interpreter on a source tree (shared by the viewer benchmarks:
``dialects_bench.py``, ``hints_bench.py``).

The program gets its own arguments, then the path of the documented CloudFront viewer-request event as its last
argument; it loads the configuration ``config`` (written to a temporary file named by ``IMGEDGE_CONFIG``, read
once per process as at the edge) and prints one JSON object, which ``run_child`` returns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENT = ROOT / "tests" / "events" / "viewer-request.json"


def run_child(root: Path, config: dict[str, object], program: str, args: list[str]) -> dict[str, object]:
    """Run ``program`` (Python source) with ``args`` and the event path, on the source tree ``root``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(root), "IMGEDGE_CONFIG": str(path)}
        command = [sys.executable, "-c", program, *args, str(EVENT)]
        output = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=True).stdout
    result: dict[str, object] = json.loads(output)
    return result
