"""Load test of the emulator on loopback: sustained hits, then a burst of distinct misses (issue 6).

    python benchmarks/load.py                          # 60 s of hits, 200 distinct misses
    python benchmarks/load.py --seconds 5 --misses 40  # the short run

It starts its own emulator (embedded moto S3, the generated samples) on 127.0.0.1 with ``size_policy: any``, so
every width is a distinct variant, and drives it with a thread pool of keep-alive ``http.client`` connections.
Bounded in time (``--seconds``, plus a hard deadline on the miss burst) and in count (``--max-requests``); it
stops by itself. Prints requests/s, p50/p99 latency and the errors of each phase, and exits 1 on any error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.config import Config
from imgedge.emulator import Emulator, Settings

ORIGINAL = "/photos/landscape.jpg"
ACCEPT = "image/avif,image/webp,image/*,*/*;q=0.8"
MISS_DEADLINE_SECONDS = 300.0


@dataclass
class Phase:
    """Latencies (seconds) and errors of one phase."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, latency: float, error: str | None) -> None:
        with self.lock:
            self.latencies.append(latency)
            if error:
                self.errors.append(error)

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0

        return {
            "phase": self.name,
            "requests": len(ordered),
            "seconds": round(self.elapsed, 2),
            "req_per_s": round(len(ordered) / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": round(pct(0.50), 2),
            "p99_ms": round(pct(0.99), 2),
            "max_ms": round(ordered[-1] * 1000, 2) if ordered else 0.0,
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2) if ordered else 0.0,
            "errors": len(self.errors),
            "first_errors": self.errors[:3],
        }


class Client:
    """One keep-alive connection per thread."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("load.py only targets loopback")
        self.host, self.port = parts.hostname, parts.port
        self.local = threading.local()

    def get(self, path: str, expect_cache: str | None) -> tuple[float, str | None]:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            connection.connect()
            # No Nagle on the client: a keep-alive request must not wait for the server's delayed ACK.
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.local.connection = connection
        start = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Accept": ACCEPT})
            response = connection.getresponse()
            body = response.read()
            latency = time.perf_counter() - start
        except (OSError, http.client.HTTPException) as err:
            connection.close()
            self.local.connection = None
            return time.perf_counter() - start, f"{path}: {type(err).__name__}: {err}"
        if response.status != 200 or not body:
            return latency, f"{path}: status {response.status}"
        cache = response.getheader("x-imgedge-cache")
        if expect_cache and cache != expect_cache:
            return latency, f"{path}: x-imgedge-cache {cache}, expected {expect_cache}"
        return latency, None


def hits(client: Client, seconds: float, workers: int, max_requests: int) -> Phase:
    phase = Phase("hits")
    path = f"{ORIGINAL}?w=300"
    client.get(path, None)  # warm the cache: every request below must be a Hit
    deadline = time.monotonic() + seconds
    counter = iter(range(max_requests))
    counter_lock = threading.Lock()

    def worker() -> None:
        while time.monotonic() < deadline:
            with counter_lock:
                if next(counter, None) is None:
                    return
            phase.add(*client.get(path, "Hit"))

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for _ in range(workers):
            pool.submit(worker)
    phase.elapsed = time.perf_counter() - start
    return phase


def misses(client: Client, count: int, workers: int) -> Phase:
    phase = Phase("misses")
    # size_policy any: each width is its own variant, never seen before (widths 101..100+count, WebP).
    paths = [f"{ORIGINAL}?w={100 + index}&format=webp" for index in range(1, count + 1)]
    deadline = time.monotonic() + MISS_DEADLINE_SECONDS

    def one(path: str) -> None:
        if time.monotonic() < deadline:
            phase.add(*client.get(path, "Miss"))

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, paths))
    phase.elapsed = time.perf_counter() - start
    return phase


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of the hit phase (default 60)")
    parser.add_argument("--misses", type=int, default=200, help="distinct misses in the burst (default 200)")
    parser.add_argument("--workers", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="cap on hit requests")
    parser.add_argument("--json", action="store_true", help="print the summaries as JSON lines only")
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 600 and 0 < args.misses <= 5000 and 0 < args.workers <= 256):
        parser.error("bounds: 0 < seconds <= 600, 0 < misses <= 5000, 0 < workers <= 256")

    with tempfile.TemporaryDirectory() as folder:
        config_path = Path(folder) / "imgedge-config.json"
        config_path.write_text(Config.from_mapping({"size_policy": "any"}).to_json(), encoding="utf-8")
        settings = Settings(host="127.0.0.1", port=0, config_path=config_path)
        with Emulator(settings, log=lambda _line: None) as emulator:
            client = Client(emulator.url)
            results = [hits(client, args.seconds, args.workers, args.max_requests), misses(client, args.misses, 8)]
    summaries = [phase.summary() for phase in results]
    for summary in summaries:
        if args.json:
            print(json.dumps(summary))
        else:
            print(
                f"{summary['phase']:>6}: {summary['requests']} requests in {summary['seconds']} s = "
                f"{summary['req_per_s']} req/s; p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, "
                f"max {summary['max_ms']} ms; errors {summary['errors']} {summary['first_errors'] or ''}"
            )
    return 1 if any(phase.errors for phase in results) else 0


if __name__ == "__main__":
    sys.exit(main())
