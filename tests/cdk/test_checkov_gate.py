"""``.ci/checkov.py``: the accepted-findings table of docs/operate.md and the gate's verdicts (a fake checkov)."""

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_gate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_checkov", ROOT / ".ci" / "checkov.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gate = _load_gate()
TABLE_HEAD = "### Accepted checkov findings\n\n| check id | resource type | reason |\n|---|---|---|\n"


def _fake_checkov(tmp_path: Path, report: object, exit_code: int = 1) -> str:
    """A checkov stand-in that prints ``report`` (JSON, or the string as is) and exits ``exit_code``."""
    output = tmp_path / "report.txt"
    output.write_text(report if isinstance(report, str) else json.dumps(report))
    script = tmp_path / "checkov"
    script.write_text(f"#!{sys.executable}\nimport sys\nprint(open({str(output)!r}).read())\nsys.exit({exit_code})\n")
    script.chmod(0o755)
    return str(script)


def _report(*failed: tuple[str, str], passed: int = 5) -> dict[str, Any]:
    return {
        "check_type": "cloudformation",
        "results": {"failed_checks": [{"check_id": check, "resource": resource} for check, resource in failed]},
        "summary": {"passed": passed, "failed": len(failed)},
    }


def _doc(tmp_path: Path, rows: str) -> Path:
    doc = tmp_path / "operate.md"
    doc.write_text(f"# Operate\n\n{TABLE_HEAD}{rows}\n## Next\n\n| CKV_AWS_1 | not | a row of ours |\n")
    return doc


def test_the_docs_table_parses_and_every_row_has_a_reason() -> None:
    accepted = gate.accepted_findings()
    assert ("CKV_AWS_117", "AWS::Lambda::Function") in accepted
    assert all(len(reason) >= 60 for reason in accepted.values())
    # Fixed findings must not be accepted: the access-log bucket is versioned (CKV_AWS_21).
    assert ("CKV_AWS_21", "AWS::S3::Bucket") not in accepted


def test_accepted_findings_pass_and_unaccepted_ones_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accepted = {("CKV_AWS_117", "AWS::Lambda::Function"): "no VPC at the edge"}
    template = tmp_path / "t.json"
    ok = _fake_checkov(tmp_path, _report(("CKV_AWS_117", "AWS::Lambda::Function.Fn")))
    assert gate.check(ok, [template], accepted) == 0
    bad = _fake_checkov(
        tmp_path, _report(("CKV_AWS_117", "AWS::Lambda::Function.Fn"), ("CKV_AWS_117", "AWS::SQS::Queue.Q"))
    )
    assert gate.check(bad, [template], accepted) == 1
    assert "CKV_AWS_117 AWS::SQS::Queue.Q: NOT ACCEPTED" in capsys.readouterr().out


def test_a_row_that_matched_nothing_is_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accepted = {("CKV_AWS_117", "AWS::Lambda::Function"): "r", ("CKV_AWS_21", "AWS::S3::Bucket"): "r"}
    checkov = _fake_checkov(tmp_path, _report(("CKV_AWS_117", "AWS::Lambda::Function.Fn")))
    assert gate.check(checkov, [tmp_path / "a.json", tmp_path / "b.json"], accepted) == 1
    assert "stale accepted finding (matched nothing; remove the row): CKV_AWS_21 AWS::S3::Bucket" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("report", "exit_code"),
    [
        (_report(), 2),  # checkov itself failed
        ("Traceback (most recent call last): ...", 1),  # no JSON
        ({"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}, 0),  # bare summary: nothing was scanned
        ([_report(), {**_report(), "check_type": "secrets"}], 1),  # more than one framework
    ],
)
def test_unreadable_checkov_output_is_an_error_not_a_pass(tmp_path: Path, report: object, exit_code: int) -> None:
    checkov = _fake_checkov(tmp_path, report, exit_code)
    with pytest.raises(gate.CheckovError):
        gate.scan(checkov, tmp_path / "t.json")


def test_the_table_reader_refuses_malformed_and_duplicate_rows(tmp_path: Path) -> None:
    row = "| CKV_AWS_117 | AWS::Lambda::Function | Lambda@Edge cannot run in a VPC |\n"
    assert gate.accepted_findings(_doc(tmp_path, row)) == {
        ("CKV_AWS_117", "AWS::Lambda::Function"): "Lambda@Edge cannot run in a VPC"
    }
    with pytest.raises(gate.CheckovError, match="listed twice"):
        gate.accepted_findings(_doc(tmp_path, row + row))
    with pytest.raises(gate.CheckovError, match="not a"):
        gate.accepted_findings(_doc(tmp_path, "| `CKV_AWS_117` | AWS::Lambda::Function | backticks |\n"))
    with pytest.raises(gate.CheckovError, match="not a"):
        gate.accepted_findings(_doc(tmp_path, "| CKV_AWS_117 | AWS::Lambda::Function |  |\n"))
    with pytest.raises(gate.CheckovError, match="no rows"):
        gate.accepted_findings(_doc(tmp_path, ""))
    missing = tmp_path / "none.md"
    missing.write_text("# Operate\n")
    with pytest.raises(gate.CheckovError, match="no '### Accepted checkov findings'"):
        gate.accepted_findings(missing)
