"""Viewer-request per-event time for native and client-hinted URLs (``client_hints``, edge/hints.py).

    .venv/bin/python benchmarks/hints_bench.py [--events 10000] [--root DIR]

Each case runs in its own process (the configuration is loaded once per container, as at the edge), through the
real ``viewer_request.handler`` with the documented event plus a Chrome ``Accept`` and the case's hint headers,
stdout silenced; 2,000 warm-up events, then ``--events`` timed ones. It prints one JSON line per case: median and
p99 wall time per event and the key the request rewrote to. ``--root`` runs another source tree (a ``git
archive`` of an older commit) for a before/after comparison of the native case with the setting off.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from viewer_child import run_child

ROOT = Path(__file__).resolve().parent.parent
_HINTS = {"Sec-CH-Width": "828", "Sec-CH-DPR": "2.625", "Sec-CH-Viewport-Width": "412"}
#: (label, client_hints, querystring, hint headers)
CASES: tuple[tuple[str, bool, str, dict[str, str]], ...] = (
    ("native, hints off", False, "w=300&h=200&fit=inside", {}),
    ("native w=300&dpr=2, hints off", False, "w=300&dpr=2", {}),
    ("native, hints on (headers sent)", True, "w=300&h=200&fit=inside", _HINTS),
    ("w=auto, Sec-CH-Width", True, "w=auto", {"Sec-CH-Width": "828"}),
    (
        "w=auto&dpr=auto, viewport + DPR",
        True,
        "w=auto&dpr=auto",
        {"Sec-CH-Viewport-Width": "412", "Sec-CH-DPR": "2.625"},
    ),
    ("w=auto, no hints (fallback)", True, "w=auto", {}),
    ("w=300&dpr=auto, DPR", True, "w=300&dpr=auto", {"Sec-CH-DPR": "2"}),
)

_CHILD = r"""
import io, json, sys, time
from viewer_request.handler import handler

query, n, hints = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
event = json.load(open(sys.argv[4]))
request = event["Records"][0]["cf"]["request"]
request["uri"], request["querystring"] = "/photos/cat.jpg", query
request["headers"]["accept"] = [{"key": "Accept", "value": "image/avif,image/webp,image/apng,*/*;q=0.8"}]
for name, value in hints.items():
    request["headers"][name.lower()] = [{"key": name, "value": value}]

class Null(io.TextIOBase):
    def write(self, text): return len(text)

saved, sys.stdout = sys.stdout, Null()
wall = time.perf_counter_ns
walls = []
try:
    for _ in range(2000):
        handler(event, None)
    for _ in range(n):
        t0 = wall(); result = handler(event, None); walls.append(wall() - t0)
finally:
    sys.stdout = saved
walls.sort()
print(json.dumps({"median_us": walls[n // 2] / 1000, "p99_us": walls[int(n * 0.99)] / 1000,
                  "uri": result.get("uri", result.get("status"))}))
"""


def run_case(root: Path, client_hints: bool, query: str, hints: dict[str, str], events: int) -> dict[str, object]:
    """Time one case in a fresh interpreter on the source tree ``root``."""
    config: dict[str, object] = {"bucket": "images"}
    if client_hints:
        config["client_hints"] = True
    return run_child(root, config, _CHILD, [query, str(events), json.dumps(hints)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--root", type=Path, default=ROOT, help="source tree to time (default: this one)")
    parser.add_argument("--native-only", action="store_true", help="only the native case with hints off")
    options = parser.parse_args()
    for label, client_hints, query, hints in CASES[:1] if options.native_only else CASES:
        result = run_case(options.root, client_hints, query, hints, options.events)
        print(json.dumps({"case": label, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
