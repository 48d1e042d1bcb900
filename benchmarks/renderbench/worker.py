"""A Python engine's worker process: ``python -m renderbench.worker ENGINE`` (``benchmarks/`` on the path).

It answers JSON lines on stdin with JSON lines on stdout, one answer per request (``sharp_worker.mjs`` serves the
same protocol for sharp): ``hello`` (library versions), ``load`` (an original read into memory by name),
``render`` (format, width, optional ``out`` path and job options; the answer has wall and CPU ms, bytes, size and
imgedge's stage timings), ``stats`` (peak RSS) and ``quit``. ``BENCH_AVIF_PLUGIN=1`` loads pillow-avif-plugin.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from renderbench.engines import LAST_STAGES, renderer_for
from renderbench.environment import library_versions


def serve(engine: str) -> int:
    """Serve render requests for ``engine`` on stdin/stdout until ``quit`` or the end of stdin."""
    protocol = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers on the protocol stream
    if os.environ.get("BENCH_AVIF_PLUGIN") == "1":
        from PIL import Image  # noqa: PLC0415

        Image.init()  # the plugin must register after Pillow's own AVIF plugin, to replace it
        import pillow_avif  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: F401, PLC0415
    renderer = renderer_for(engine)
    sources: dict[str, bytes] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        op = message["op"]
        if op == "quit":
            break
        answer: dict[str, Any]
        try:
            if op == "hello":
                answer = {"versions": library_versions()}
            elif op == "load":
                sources[message["name"]] = Path(message["path"]).read_bytes()
                answer = {"ok": True}
            elif op == "render":
                data = sources[message["name"]]
                cpu_started = time.process_time()
                started = time.perf_counter()
                body, width, height = renderer(data, message["format"], message["width"], message)
                elapsed = (time.perf_counter() - started) * 1000
                cpu = (time.process_time() - cpu_started) * 1000
                if message.get("out"):
                    Path(message["out"]).write_bytes(body)
                answer = {
                    "ms": elapsed,
                    "cpu_ms": cpu,
                    "bytes": len(body),
                    "width": width,
                    "height": height,
                    "stages": LAST_STAGES,
                }
            elif op == "stats":
                import resource  # noqa: PLC0415

                answer = {"maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
            else:
                answer = {"error": f"unknown op {op}"}
        except Exception as err:
            answer = {"error": f"{type(err).__name__}: {err}"}
        protocol.write(json.dumps(answer) + "\n")
        protocol.flush()
    return 0


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        raise SystemExit("usage: python -m renderbench.worker ENGINE")
    return serve(argv[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
