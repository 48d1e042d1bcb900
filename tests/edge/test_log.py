"""edge.log: one compact JSON line per invocation."""

import io
import json
from datetime import UTC, datetime
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # (cfn-lint's dependency; no stubs installed)
import pytest

from edge.log import emit, with_metrics


def test_one_json_line_with_the_function_name_first() -> None:
    stream = io.StringIO()
    emit("viewer-request", {"uri": "/a.png", "status": 400}, stream)
    text = stream.getvalue()
    assert text.endswith("\n")
    assert text.count("\n") == 1
    assert " " not in text.strip()
    record = json.loads(text)
    assert record == {"fn": "viewer-request", "uri": "/a.png", "status": 400}
    assert next(iter(record)) == "fn"


def test_floats_are_rounded_to_hundredths_and_other_values_kept() -> None:
    stream = io.StringIO()
    emit("origin-response", {"ms_total": 12.34567, "ms_fetch": 0.004, "bytes_out": 10, "stored": True}, stream)
    record = json.loads(stream.getvalue())
    assert record["ms_total"] == 12.35
    assert record["ms_fetch"] == 0.0
    assert record["bytes_out"] == 10
    assert record["stored"] is True


def test_values_json_cannot_encode_are_stringified() -> None:
    stream = io.StringIO()
    when = datetime(2024, 1, 2, tzinfo=UTC)
    emit("fn", {"at": when, "none": None}, stream)
    record = json.loads(stream.getvalue())
    assert record["at"] == str(when)
    assert record["none"] is None


def test_line_breaks_inside_values_stay_escaped_on_one_line() -> None:
    stream = io.StringIO()
    emit("fn", {"uri": "/a\r\nfake log line"}, stream)
    assert stream.getvalue().count("\n") == 1
    assert json.loads(stream.getvalue())["uri"] == "/a\r\nfake log line"


def test_default_stream_is_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    emit("viewer-request", {"us": 42})
    out = capsys.readouterr().out
    assert json.loads(out) == {"fn": "viewer-request", "us": 42}


# --- Embedded Metric Format ------------------------------------------------------------------------------------

# The JSON schema AWS publishes for EMF documents, as printed in "Specification: Embedded metric format"
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html,
# section "Embedded metric format example and JSON schema"; also awsdocs/amazon-cloudwatch-user-guide
# doc_source/CloudWatch_Embedded_Metric_Format_Specification.md). "$id" and "examples" annotations are left out.
_NAME = {"type": "string", "pattern": "^(.*)$", "minLength": 1, "maxLength": 255}
_UNIT = (
    "^(Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes|Gigabytes|Terabytes|Bits|Kilobits|Megabits|"
    "Gigabits|Terabits|Percent|Count|Bytes\\/Second|Kilobytes\\/Second|Megabytes\\/Second|Gigabytes\\/Second|"
    "Terabytes\\/Second|Bits\\/Second|Kilobits\\/Second|Megabits\\/Second|Gigabits\\/Second|Terabits\\/Second|"
    "Count\\/Second|None)$"
)
EMF_SCHEMA = {
    "type": "object",
    "title": "Root Node",
    "required": ["_aws"],
    "properties": {
        "_aws": {
            "type": "object",
            "title": "Metadata",
            "required": ["Timestamp", "CloudWatchMetrics"],
            "properties": {
                "Timestamp": {"type": "integer"},
                "CloudWatchMetrics": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["Namespace", "Dimensions", "Metrics"],
                        "properties": {
                            "Namespace": _NAME,
                            "Dimensions": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "array", "minItems": 0, "maxItems": 9, "items": _NAME},
                            },
                            "Metrics": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["Name"],
                                    "properties": {"Name": _NAME, "Unit": {"type": "string", "pattern": _UNIT}},
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}


def check_emf(document: dict[str, Any]) -> None:
    """The schema, plus the specification's rules a schema cannot say: at most 100 metrics per directive; every
    referenced dimension is a root member with a string value; every metric a root member with a number (or an
    array of at most 100 numbers)."""
    jsonschema.validate(document, EMF_SCHEMA)
    for directive in document["_aws"]["CloudWatchMetrics"]:
        assert len(directive["Metrics"]) <= 100
        for dimension_set in directive["Dimensions"]:
            for name in dimension_set:
                assert isinstance(document.get(name), str), name
        for metric in directive["Metrics"]:
            value = document.get(metric["Name"])
            numbers = value if isinstance(value, list) else [value]
            assert len(numbers) <= 100
            assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers), metric["Name"]


def test_the_schema_check_rejects_what_the_specification_forbids() -> None:
    good = {"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "n", "Dimensions": [["d"]],
            "Metrics": [{"Name": "m", "Unit": "Count"}]}]}, "d": "x", "m": 1}  # fmt: skip
    check_emf(good)
    for broken in (
        {**good, "_aws": {**good["_aws"], "Timestamp": "now"}},  # type: ignore[dict-item]
        {**good, "d": 3},  # a dimension value must be a string
        {**good, "m": "1"},  # a metric value must be a number
        {"d": "x", "m": 1},  # no _aws
    ):
        with pytest.raises((jsonschema.ValidationError, AssertionError)):
            check_emf(broken)


def _line(fields: dict[str, Any]) -> dict[str, Any]:
    stream = io.StringIO()
    emit("origin-response", with_metrics(fields, now_ms=1_765_000_000_000), stream)
    line: dict[str, Any] = json.loads(stream.getvalue())
    return line


RENDERED = {"uri": "/300/photos/cat.avif", "origin_status": 403, "action": "inline", "stored": "written",
            "ms_decode": 10.0, "ms_transform": 2.5, "ms_encode": 30.25, "bytes_out": 12345, "status": 200}  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "outcome", "metrics"),
    [
        (RENDERED, "stored", {"Misses": 1, "RenderMs": 42.75, "BytesOut": 12345}),
        ({**RENDERED, "stored": "exists"}, "rendered", {"Misses": 1, "RenderMs": 42.75, "BytesOut": 12345}),
        ({**RENDERED, "action": "redirect"}, "redirected", {"Misses": 1, "RenderMs": 42.75, "BytesOut": 12345}),
        ({"uri": "/300/photos/cat.avif", "action": "error", "status": 404}, "refused", {"Misses": 1}),
        ({"uri": "/300/photos/cat.webp", "action": "error", "status": 503}, "failed", {"Misses": 1}),
    ],
)
def test_origin_response_line_is_a_valid_emf_document(
    fields: dict[str, Any], outcome: str, metrics: dict[str, float]
) -> None:
    line = _line(fields)
    check_emf(line)
    assert line["outcome"] == outcome
    assert line["format"] == fields["uri"].rsplit(".", 1)[1]
    assert {name: line[name] for name in metrics} == metrics
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "imgedge"
    assert directive["Dimensions"] == [["outcome"]]
    assert {m["Name"] for m in directive["Metrics"]} == set(metrics)
    assert line["_aws"]["Timestamp"] == 1_765_000_000_000
    assert {k: line[k] for k in fields} == {k: round(v, 2) if isinstance(v, float) else v for k, v in fields.items()}


def test_pass_through_lines_carry_no_metrics() -> None:
    fields = {"uri": "/300/photos/cat.avif", "origin_status": 200, "action": "pass"}
    assert with_metrics(fields) is fields


def test_the_timestamp_defaults_to_now() -> None:
    before = datetime.now(UTC).timestamp() * 1000
    stamp = with_metrics({"uri": "/300/a.avif", "action": "error", "status": 400})["_aws"]["Timestamp"]
    assert before - 1 <= stamp <= datetime.now(UTC).timestamp() * 1000 + 1
