"""AWS's own linters over every synthesized variant: cfn-lint (no errors) and cdk-nag AwsSolutions (no findings)."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_s3 as s3
from cfnlint import api as cfnlint_api

from imgedge_cdk.application import build_app
from tests.cdk.conftest import NO_BUNDLING, VARIANTS, Synthesized

Variant = Callable[[str], Synthesized]

# W3005 "dependency already enforced": CDK itself adds DependsOn on a function's role next to the GetAtt.
ALLOWED_WARNINGS = frozenset({"W3005"})


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_cfn_lint_reports_no_errors(variant: str, synth_variant: Variant) -> None:
    synth = synth_variant(variant)
    template = (synth.outdir / synth.stack.template_file).read_text()
    matches = cfnlint_api.lint(template, regions=["us-east-1"])
    errors = [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.id.startswith("E")]
    assert errors == []
    warnings = [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("W")]
    assert [w for w in warnings if w.split()[0] not in ALLOWED_WARNINGS] == []


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_cdk_nag_leaves_no_unacknowledged_finding(variant: str, synth_variant: Variant) -> None:
    # synth() raises on an unacknowledged error; the report must also hold no warning.
    synth = synth_variant(variant)
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    violations = [v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]]
    assert violations == []


def test_every_acknowledgement_is_an_aws_solutions_rule_with_a_reason(synth_variant: Variant) -> None:
    seen: set[str] = set()
    for variant in VARIANTS:
        app = synth_variant(variant).stack.node.root
        for construct in app.node.find_all():
            for entry in construct.node.metadata:
                if entry.type != Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                    continue
                for rule, reason in entry.data.items():
                    assert rule.startswith("Annotation::AwsSolutions-"), rule
                    assert len(reason) >= 60, f"{rule}: the reason must explain the decision"
                    seen.add(rule.removeprefix("Annotation::").split("[")[0])
    assert seen == {"AwsSolutions-CFR1", "AwsSolutions-CFR2", "AwsSolutions-CFR3", "AwsSolutions-CFR4",
                    "AwsSolutions-CFR7", "AwsSolutions-IAM4", "AwsSolutions-IAM5", "AwsSolutions-L1", "AwsSolutions-S1",
                    "AwsSolutions-SQS3"}  # fmt: skip


def test_cdk_nag_is_active_and_fails_synth_on_a_finding(tmp_path: Path) -> None:
    built = build_app(context=NO_BUNDLING, outdir=str(tmp_path))
    s3.Bucket(built.stack, "UnloggedPlainBucket")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        built.app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_acknowledgement_matches_a_real_finding(
    variant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Synthesize with acknowledgements recorded instead of applied: the pack must then report exactly them.
    acknowledged: set[str] = set()

    def record(_self: Validations, *rules: Acknowledgment) -> None:
        acknowledged.update(rule.id for rule in rules)

    monkeypatch.setattr(Validations, "acknowledge", record)
    built = build_app(context={**NO_BUNDLING, **VARIANTS[variant]}, outdir=str(tmp_path))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        built.app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    found = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert acknowledged == found
