"""edge.log: one compact JSON line per invocation."""

import io
import json
from datetime import UTC, datetime

import pytest

from edge.log import emit


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
