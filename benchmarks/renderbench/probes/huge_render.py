"""One huge original under the default limits, in a fresh interpreter: ``huge_render.py PATH WIDTH``.

Renders ``PATH`` to ``WIDTH`` px as JPEG q80 with imgedge's ``render`` and prints JSON: the outcome (rendered, or
refused and why), milliseconds, and the process's peak RSS after the call and before it (MiB).
"""

import json
import resource
import sys
import time

from edge.config import Config
from edge.errors import EdgeError
from edge.options import Fit, OutputFormat, RenderSpec
from edge.render import Limits, render

with open(sys.argv[1], "rb") as file:
    data = file.read()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
try:
    spec = RenderSpec(int(sys.argv[2]), None, Fit.INSIDE, OutputFormat.JPEG, 80)
    r = render(data, spec, Limits.from_config(Config()))
    outcome = f"rendered {r.width}x{r.height}, {len(r.body):,} bytes"
except EdgeError as err:
    outcome = f"refused: {type(err).__name__} ({err.status}): {err.detail}"
ms = (time.perf_counter() - t0) * 1000
print(
    json.dumps(
        {
            "outcome": outcome,
            "ms": ms,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rss_before_mib": base / 1024,
        }
    )
)
