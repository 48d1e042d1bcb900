"""One structured JSON log line per invocation (CloudWatch Logs takes stdout)."""

import json
import sys
from typing import Any, TextIO


def emit(function: str, fields: dict[str, Any], stream: TextIO | None = None) -> None:
    """Write ``{"fn": function, **fields}`` as one compact JSON line. Timings are rounded to 0.01 ms."""
    record: dict[str, Any] = {"fn": function}
    for name, value in fields.items():
        record[name] = round(value, 2) if isinstance(value, float) else value
    print(json.dumps(record, separators=(",", ":"), default=str), file=stream or sys.stdout, flush=True)
