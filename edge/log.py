"""One structured JSON log line per invocation (CloudWatch Logs takes stdout).

The origin-response line also carries CloudWatch Embedded Metric Format (EMF) members (``with_metrics``), so
CloudWatch Logs extracts its metrics in each region the function runs in, with no metric-filter code. EMF
specification: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
"""

from __future__ import annotations

import json
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

# What json.dumps(record, separators=(",", ":"), default=str) builds on every call, built once (stateless).
_encode = json.JSONEncoder(separators=(",", ":"), default=str).encode

METRIC_NAMESPACE = "imgedge"
"""CloudWatch namespace of the origin-response metrics (in each region where the function ran)."""
OUTCOMES = ("rendered", "stored", "redirected", "refused", "failed")
"""``outcome`` of a miss: rendered (returned inline, not newly stored), stored (rendered, stored and returned
inline), redirected (rendered, stored, too large to inline), refused (a 4xx), failed (a 5xx)."""
# Metric names and units (EMF MetricDefinition). ``outcome`` is the only dimension: 5 outcomes x 3 metrics = at most
# 15 custom metrics per region; the output format stays a plain member of the line (searchable, not a dimension).
MISSES = "Misses"
RENDER_MS = "RenderMs"
BYTES_OUT = "BytesOut"
_UNITS = {MISSES: "Count", RENDER_MS: "Milliseconds", BYTES_OUT: "Bytes"}
_RENDER_STAGES = ("ms_decode", "ms_transform", "ms_encode")


def emit(function: str, fields: dict[str, Any], stream: TextIO | None = None) -> None:
    """Write ``{"fn": function, **fields}`` as one compact JSON line. Timings are rounded to 0.01 ms."""
    record: dict[str, Any] = {"fn": function, **fields}
    for name, value in fields.items():
        if isinstance(value, float):
            record[name] = round(value, 2)
    out = stream or sys.stdout
    out.write(_encode(record) + "\n")
    out.flush()


def outcome(fields: dict[str, Any]) -> str | None:
    """The outcome of an origin-response log line (one of ``OUTCOMES``), or None for a pass-through (no miss)."""
    action = fields.get("action")
    if action == "inline":
        return "stored" if fields.get("stored") == "written" else "rendered"
    if action == "redirect":
        return "redirected"
    if action == "error":
        return "failed" if int(fields.get("status", 500)) >= 500 else "refused"
    return None


def with_metrics(fields: dict[str, Any], now_ms: int | None = None) -> dict[str, Any]:
    """``fields`` of an origin-response log line plus its EMF members, or ``fields`` unchanged for a pass-through.

    Adds ``outcome``, ``format`` (the variant key's extension) and the metric members ``Misses`` (1),
    ``RenderMs`` (decode + transform + encode, when a render ran) and ``BytesOut`` (when an image was produced),
    and the ``_aws`` metadata naming them, with ``Timestamp`` ``now_ms`` (default: the current time).
    """
    result = outcome(fields)
    if result is None:
        return fields
    uri = str(fields.get("uri", ""))
    extension = uri.rsplit(".", 1)[-1] if "." in uri.rsplit("/", 1)[-1] else "none"
    values: dict[str, Any] = {MISSES: 1}
    if any(stage in fields for stage in _RENDER_STAGES):
        values[RENDER_MS] = round(sum(float(fields.get(stage, 0.0)) for stage in _RENDER_STAGES), 2)
    if "bytes_out" in fields:
        values[BYTES_OUT] = int(fields["bytes_out"])
    directive = {
        "Namespace": METRIC_NAMESPACE,
        "Dimensions": [["outcome"]],
        "Metrics": [{"Name": name, "Unit": _UNITS[name]} for name in values],
    }
    timestamp = int(time.time() * 1000) if now_ms is None else now_ms
    return {
        **fields,
        "outcome": result,
        "format": extension,
        **values,
        "_aws": {"Timestamp": timestamp, "CloudWatchMetrics": [directive]},
    }
