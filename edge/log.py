"""One structured JSON log line per invocation (CloudWatch Logs takes stdout)."""

from __future__ import annotations

import json
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

# What json.dumps(record, separators=(",", ":"), default=str) builds on every call, built once (stateless).
_encode = json.JSONEncoder(separators=(",", ":"), default=str).encode


def emit(function: str, fields: dict[str, Any], stream: TextIO | None = None) -> None:
    """Write ``{"fn": function, **fields}`` as one compact JSON line. Timings are rounded to 0.01 ms."""
    record: dict[str, Any] = {"fn": function, **fields}
    for name, value in fields.items():
        if isinstance(value, float):
            record[name] = round(value, 2)
    out = stream or sys.stdout
    out.write(_encode(record) + "\n")
    out.flush()
