#!/usr/bin/env python3
"""Run checkov over the synthesized templates; fail on any finding docs/operate.md does not accept.

Usage (from the repo root, with the project's Python, which synthesizes the templates)::

    .venv/bin/python .ci/checkov.py [--checkov BIN] [TEMPLATE ...]

Without TEMPLATE it synthesizes two templates without bundling, the defaults and ``FULL_CONTEXT`` (every optional
resource), into a temporary directory, and scans both. ``--checkov`` defaults to ``.ci/.checkov-venv/bin/checkov``
(``.ci/run`` installs the pinned checkov there, outside the project's virtualenv: checkov pins boto3 and packaging
versions the project does not use).

The accepted findings are the rows of the table under ``### Accepted checkov findings`` in docs/operate.md:
``| CKV_AWS_116 | AWS::Lambda::Function | reason |``. A failed check is accepted when its id and its resource's type
match a row (a row covers every resource of its type). Staleness is judged over the templates scanned, so pass
both when naming templates. Prints every failure with its verdict and one summary line per template.

Exit status: 0 when every failure is accepted and every row matched a failure; 1 when a failure is not accepted or
a row matched nothing (a stale row: the finding was fixed, so the row must go); 2 when the table or checkov's output
cannot be read.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "operate.md"
HEADING = "### Accepted checkov findings"
DEFAULT_CHECKOV = ROOT / ".ci" / ".checkov-venv" / "bin" / "checkov"
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
# The "full" template: every optional resource (access logs, custom domain, purge queue, WAF logs, alarm topic).
FULL_CONTEXT = {
    "access_logging": "true",
    "domain_names": "img.example.com",
    "certificate_arn": CERT_ARN,
    "price_class": "PriceClass_All",
    "purge_on_change": "true",
    "variant_expiry_days": "30",
    "faces_enabled": "true",
    "signature_mode": "required",
    "signature_secret_id": "imgedge/signing",
    "waf_logging": "cloudwatch",
    "alarm_email": "ops@example.com",
}
_ROW = re.compile(r"^\|\s*(CKV2?_AWS_\d+)\s*\|\s*(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)\s*\|\s*(\S.*?)\s*\|$")
_HEADER = re.compile(r"^\|\s*check id\s*\|\s*resource type\s*\|\s*reason\s*\|$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|){3}$")

Key = tuple[str, str]


class CheckovError(Exception):
    """The docs table or checkov's output could not be read."""


def accepted_findings(doc: Path = DOC) -> dict[Key, str]:
    """``(check id, resource type) -> reason`` from the table under ``HEADING``. Every table line of the section
    must be the header, the separator or a well-formed row (a malformed row would otherwise be silently ignored),
    and no ``(check id, resource type)`` may appear twice."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index(HEADING)
    except ValueError:
        raise CheckovError(f"{doc}: no '{HEADING}' heading") from None
    rows: dict[Key, str] = {}
    for number, raw in enumerate(lines[start + 1 :], start=start + 2):
        if raw.startswith("#"):
            break
        line = raw.strip()
        if not line.startswith("|") or _HEADER.match(line) or _SEPARATOR.match(line):
            continue
        match = _ROW.match(line)
        if match is None:
            raise CheckovError(f"{doc}:{number}: not a '| check id | resource type | reason |' row: {line}")
        key = (match[1], match[2])
        if key in rows:
            raise CheckovError(f"{doc}:{number}: {key[0]} {key[1]} is listed twice")
        rows[key] = match[3]
    if not rows:
        raise CheckovError(f"{doc}: the table under '{HEADING}' has no rows")
    return rows


def scan(checkov: str, template: Path) -> tuple[int, list[tuple[str, str, str]]]:
    """(passed count, [(check id, resource type, resource)]) of one template."""
    done = subprocess.run(  # noqa: S603 (the checkov binary given on the command line)
        [checkov, "-f", str(template), "--framework", "cloudformation", "-o", "json", "--quiet", "--compact",
         "--skip-download"],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    # checkov exits 0 when nothing failed and 1 when a check failed; anything else is checkov itself failing.
    if done.returncode not in (0, 1):
        raise CheckovError(f"checkov exited {done.returncode} on {template}: {done.stderr.strip()[-2000:]}")
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise CheckovError(f"checkov printed no JSON report for {template}: {done.stdout[:500]!r}") from None
    reports = report if isinstance(report, list) else [report]
    if len(reports) != 1 or reports[0].get("check_type") != "cloudformation" or "results" not in reports[0]:
        # A template checkov did not recognise yields a bare summary: that must not pass as "no findings".
        raise CheckovError(f"checkov did not scan {template} as CloudFormation: {done.stdout[:500]!r}")
    (single,) = reports
    failures = [
        (check["check_id"], check["resource"].split(".", 1)[0], check["resource"])
        for check in single["results"]["failed_checks"]
    ]
    return int(single["summary"]["passed"]), failures


def synthesize(outdir: Path) -> list[Path]:
    """The default and full templates, synthesized without bundling by ``cdk/app.py`` with this Python."""
    templates = []
    for name, context in (("default", {}), ("full", FULL_CONTEXT)):
        target = outdir / name
        args = [sys.executable, str(ROOT / "cdk" / "app.py"), "--outdir", str(target),
                "-c", "aws:cdk:bundling-stacks=[]"]  # fmt: skip
        for key, value in context.items():
            args += ["-c", f"{key}={value}"]
        subprocess.run(args, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603 (our own app)
        (template,) = target.glob("*.template.json")
        templates.append(template)
    return templates


def check(checkov: str, templates: list[Path], accepted: dict[Key, str]) -> int:
    used: set[Key] = set()
    status = 0
    for template in templates:
        passed, failures = scan(checkov, template)
        refused = 0
        for check_id, resource_type, resource in failures:
            key = (check_id, resource_type)
            if key in accepted:
                used.add(key)
                verdict = "accepted"
            else:
                refused += 1
                verdict = "NOT ACCEPTED (fix it, or add a row with the reason to docs/operate.md)"
            print(f"{template}: {check_id} {resource}: {verdict}")
        print(f"{template}: {passed} passed, {len(failures)} failed, {refused} not accepted")
        if refused:
            status = 1
    for check_id, resource_type in sorted(set(accepted) - used):
        print(f"stale accepted finding (matched nothing; remove the row): {check_id} {resource_type}")
        status = 1
    return status


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", default=str(DEFAULT_CHECKOV), help="the checkov executable")
    parser.add_argument("templates", nargs="*", type=Path, help="templates to scan (default: synthesize both)")
    args = parser.parse_args(argv)
    try:
        accepted = accepted_findings()
        if args.templates:
            return check(args.checkov, args.templates, accepted)
        with tempfile.TemporaryDirectory(prefix="imgedge-checkov-") as tmp:
            return check(args.checkov, synthesize(Path(tmp)), accepted)
    except CheckovError as error:
        print(f"checkov.py: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
