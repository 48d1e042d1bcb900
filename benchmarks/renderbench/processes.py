"""Engine processes, seen from the driver: ``Worker`` starts one engine (a Python engine as ``python -m
renderbench.worker``, sharp as ``node sharp_worker.mjs``) pinned to given CPUs and talks JSON lines to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from renderbench.corpus import Photo
from renderbench.settings import BENCH_DIR, NODE_DIR, ROOT

#: The module a Python engine's process runs (``python -m``; ``benchmarks/`` is put on its PYTHONPATH).
WORKER_MODULE = "renderbench.worker"


class WorkerError(RuntimeError):
    pass


class Worker:
    """A running engine process pinned to ``cpus``, with ``threads`` threads for its codecs."""

    def __init__(self, engine: str, *, cpus: set[int], threads: int, plugin: bool = False) -> None:
        self.engine = engine
        env = dict(os.environ, VIPS_CONCURRENCY=str(threads), BENCH_THREADS=str(threads), PYTHONHASHSEED="0")
        env["SVT_LOG"] = "1"  # SVT-AV1 prints its configuration on every encode otherwise
        env.pop("BENCH_AVIF_PLUGIN", None)
        if plugin:
            env["BENCH_AVIF_PLUGIN"] = "1"
        if engine == "sharp":
            command = ["node", str(BENCH_DIR / "sharp_worker.mjs"), str(NODE_DIR)]
        else:
            command = [sys.executable, "-m", WORKER_MODULE, engine]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(BENCH_DIR), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
            # The driver starts every pinned child before its only threads (the emulator's) exist.
            preexec_fn=lambda: os.sched_setaffinity(0, cpus),  # noqa: PLW1509
        )

    def call(self, **message: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise WorkerError(f"{self.engine} worker exited (code {self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise WorkerError(f"{self.engine}: {answer['error']}")
        return answer

    def close(self) -> int:
        """Stop the worker and return its peak RSS in KiB."""
        rss = int(self.call(op="stats")["maxrss_kib"])
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
        self.process.stdin.close()
        self.process.wait(timeout=30)
        return rss


def load_sources(workers: dict[str, Worker], photos: Sequence[Photo]) -> None:
    for worker in workers.values():
        for photo in photos:
            worker.call(op="load", name=photo.name, path=str(photo.path.resolve()))
