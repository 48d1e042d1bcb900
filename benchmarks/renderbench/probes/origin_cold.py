"""origin-response's cold start, in a fresh interpreter (cwd: the repository root).

Prints JSON: the wall-clock and CPU milliseconds of importing the handler, and of making the S3 client after it.
"""

import json
import time

t0, c0 = time.perf_counter(), time.process_time()
import origin_response.handler  # noqa: E402, F401

t1, c1 = time.perf_counter(), time.process_time()
from edge.store import s3_client  # noqa: E402

s3_client("us-east-1", 3, 1.0, 3.0)
t2, c2 = time.perf_counter(), time.process_time()
print(
    json.dumps(
        {
            "import_ms": (t1 - t0) * 1000,
            "client_ms": (t2 - t1) * 1000,
            "import_cpu_ms": (c1 - c0) * 1000,
            "client_cpu_ms": (c2 - c1) * 1000,
        }
    )
)
