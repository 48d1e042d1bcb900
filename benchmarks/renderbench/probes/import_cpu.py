"""A cold import, in a fresh interpreter: ``import_cpu.py MODULE [PRELOADED ...]`` (cwd: the repository root).

The ``PRELOADED`` modules (the Lambda runtime's own imports) are imported before the clock starts. Prints JSON:
the CPU and wall-clock milliseconds of importing ``MODULE``. Nothing else is imported before the clock.
"""

import json
import sys
import time

for name in sys.argv[2:]:  # loaded before the clock starts (the Lambda runtime's own imports)
    __import__(name)
c0, t0 = time.process_time(), time.perf_counter()
__import__(sys.argv[1])
print(json.dumps({"cpu_ms": (time.process_time() - c0) * 1000, "wall_ms": (time.perf_counter() - t0) * 1000}))
