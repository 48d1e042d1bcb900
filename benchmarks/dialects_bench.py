"""Viewer-request per-event time for native and dialect URLs (``url_dialects``, edge/dialects.py).

    .venv/bin/python benchmarks/dialects_bench.py [--events 10000] [--root DIR]

Each case runs in its own process (the configuration is loaded once per container, as at the edge), through the
real ``viewer_request.handler`` with the documented event, stdout silenced; 2,000 warm-up events, then
``--events`` timed ones. It prints one JSON line per case: median and p99 wall time per event, and the median of
``edge.rewrite.rewrite`` alone (for a dialect URL: ``translate`` then ``rewrite``). ``--root`` runs another
source tree (a ``git archive`` of an older commit) for a before/after comparison of the native cases.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

from viewer_child import run_child

ROOT = Path(__file__).resolve().parent.parent
_SIH_REQUEST = {"bucket": "images", "key": "photos/cat.jpg", "edits": {"resize": {"width": 300}, "toFormat": "webp"}}
_SIH = "/" + base64.b64encode(json.dumps(_SIH_REQUEST).encode()).decode()
#: (label, url_dialects, uri, querystring)
CASES = (
    ("native, dialects off", None, "/photos/cat.jpg", "w=300&h=200&fit=inside"),
    ("native, all dialects on", ["thumbor", "sih", "query_aliases"], "/photos/cat.jpg", "w=300&h=200&fit=inside"),
    ("thumbor", ["thumbor"], "/fit-in/300x200/filters:format(webp):quality(80)/photos/cat.jpg", ""),
    ("sih", ["sih"], _SIH, ""),
    ("query_aliases", ["query_aliases"], "/photos/cat.jpg", "width=300&height=200&fit=inside"),
)

_CHILD = r"""
import io, json, sys, time
from edge.config import load_config
from edge.rewrite import rewrite
from viewer_request.handler import handler

uri, query, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ACCEPT = "image/avif,image/webp"
event = json.load(open(sys.argv[4]))
request = event["Records"][0]["cf"]["request"]
request["uri"], request["querystring"] = uri, query
config = load_config()
if getattr(config, "url_dialects", ()):  # absent before the dialects existed (--root of an older tree)
    from edge.dialects import translate
else:
    def translate(uri, query, config):
        return uri, query

class Null(io.TextIOBase):
    def write(self, text): return len(text)

saved, sys.stdout = sys.stdout, Null()
wall = time.perf_counter_ns
walls, rewrites = [], []
try:
    for _ in range(2000):
        handler(event, None)
    for _ in range(n):
        t0 = wall(); result = handler(event, None); walls.append(wall() - t0)
    for _ in range(n):
        t0 = wall(); rewrite(*translate(uri, query, config), ACCEPT, config); rewrites.append(wall() - t0)
finally:
    sys.stdout = saved
walls.sort(); rewrites.sort()
print(json.dumps({"median_us": walls[n // 2] / 1000, "p99_us": walls[int(n * 0.99)] / 1000,
                  "rewrite_median_us": rewrites[n // 2] / 1000, "uri": result.get("uri", result.get("status"))}))
"""


def run_case(root: Path, dialects: list[str] | None, uri: str, query: str, events: int) -> dict[str, object]:
    """Time one case in a fresh interpreter on the source tree ``root``."""
    config: dict[str, object] = {"bucket": "images"}
    if dialects is not None:
        config.update(url_dialects=dialects, variant_prefix="_v")
    return run_child(root, config, _CHILD, [uri, query, str(events)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--root", type=Path, default=ROOT, help="source tree to time (default: this one)")
    parser.add_argument("--native-only", action="store_true", help="only the native case with dialects off")
    options = parser.parse_args()
    for label, dialects, uri, query in CASES[:1] if options.native_only else CASES:
        result = run_case(options.root, dialects, uri, query, options.events)
        print(json.dumps({"case": label, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
