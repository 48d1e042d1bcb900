"""viewer-request per event, in a fresh interpreter: ``viewer_timing.py EVENTS`` (cwd: the repository root).

Prints JSON: per mode (``silent``: the log line to a null writer; ``logging``: to /dev/null) the median and p99
wall-clock and the median CPU (thread) time per event in microseconds, after 2,000 warm-up events; and the
overhead of the clock calls. The loop runs at module level, as the benchmark has always timed it.
"""

import io
import json
import os
import statistics
import sys
import time

from viewer_request.handler import handler


class Null(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


with open("tests/events/viewer-request.json") as file:
    event = json.load(file)
n = int(sys.argv[1])
results: dict[str, object] = {}
with open(os.devnull, "w") as devnull:
    for label, stream in (("silent", Null()), ("logging", devnull)):
        saved, sys.stdout = sys.stdout, stream
        wall, cpu = time.perf_counter_ns, time.thread_time_ns
        walls, cpus = [], []
        try:
            for _ in range(2000):
                handler(event, None)
            for _ in range(n):
                c0 = cpu()
                t0 = wall()
                handler(event, None)
                t1 = wall()
                c1 = cpu()
                walls.append(t1 - t0)
                cpus.append(c1 - c0)
        finally:
            sys.stdout = saved
        walls.sort()
        cpus.sort()
        results[label] = {
            "median_us": walls[n // 2] / 1000,
            "p99_us": walls[int(n * 0.99)] / 1000,
            "cpu_median_us": cpus[n // 2] / 1000,
        }
empty = []
for _ in range(n // 10):
    c0 = time.thread_time_ns()
    t0 = time.perf_counter_ns()
    t1 = time.perf_counter_ns()
    c1 = time.thread_time_ns()
    empty.append(c1 - c0)
results["clock_overhead_us"] = statistics.median(empty) / 1000
print(json.dumps(results))
