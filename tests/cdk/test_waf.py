"""The WAF choices: create (default), none, or an existing ACL; the rate rule counts renders; optional logging."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template

from edge.query import PARAMETERS
from imgedge_cdk.application import build_app
from imgedge_cdk.construct import ImageEdge
from imgedge_cdk.props import ImageEdgeProps, PropsError
from imgedge_cdk.waf import render_capable_statement
from tests.cdk.conftest import NO_BUNDLING, WEB_ACL_ARN, Synthesized

Variant = Callable[[str], Synthesized]


def _rate_statement(synth: Synthesized) -> dict[str, Any]:
    _, acl = synth.one("AWS::WAFv2::WebACL")
    (rule,) = [r for r in acl["Properties"]["Rules"] if r["Name"] == "RateLimit"]
    statement: dict[str, Any] = rule["Statement"]["RateBasedStatement"]
    return statement


def _web_acl_id(synth: Synthesized) -> object:
    _, distribution = synth.one("AWS::CloudFront::Distribution")
    return distribution["Properties"]["DistributionConfig"].get("WebACLId")


def test_create_is_the_default_and_attaches_the_stacks_acl(default_app: Synthesized) -> None:
    acl_id, _ = default_app.one("AWS::WAFv2::WebACL")
    assert ImageEdgeProps().waf == "create"
    assert _web_acl_id(default_app) == {"Fn::GetAtt": [acl_id, "Arn"]}


def test_an_existing_acl_is_attached_by_arn_and_none_is_created(synth_variant: Variant) -> None:
    imported = synth_variant("imported")
    assert imported.resources("AWS::WAFv2::WebACL") == {}
    assert _web_acl_id(imported) == WEB_ACL_ARN


def test_none_attaches_no_acl(synth_variant: Variant) -> None:
    bare = synth_variant("waf_none")
    assert bare.resources("AWS::WAFv2::WebACL") == {}
    assert _web_acl_id(bare) is None


@pytest.mark.parametrize(("waf", "acls"), [("create", 1), (WEB_ACL_ARN, 0), ("none", 0)])
def test_the_construct_alone_follows_props_waf(waf: str, acls: int) -> None:
    # In someone else's app, ImageEdge without web_acl_arn brings the WAF the props choose (issue 15).
    app = App(context=NO_BUNDLING)
    stack = Stack(app, "Photos", env=Environment(account="123456789012", region="us-east-1"))
    edge = ImageEdge(stack, "Images", props=ImageEdgeProps(bucket_name="acme", bucket_region="eu-west-1", waf=waf))
    template = Template.from_stack(stack).to_json()
    found = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::WAFv2::WebACL"}
    assert len(found) == acls
    (distribution,) = [v for v in template["Resources"].values() if v["Type"] == "AWS::CloudFront::Distribution"]
    attached = distribution["Properties"]["DistributionConfig"].get("WebACLId")
    if waf == "create":
        ((acl_id, acl),) = found.items()
        assert attached == {"Fn::GetAtt": [acl_id, "Arn"]}
        assert acl["Properties"]["Scope"] == "CLOUDFRONT"
        assert edge.web_acl is not None
    else:
        assert attached == (None if waf == "none" else WEB_ACL_ARN)
        assert edge.web_acl is None


def test_nothing_but_the_acl_differs_between_the_choices(tmp_path: Path) -> None:
    def resources(waf: str, out: str) -> dict[str, str]:
        built = build_app(context={**NO_BUNDLING, "waf": waf}, outdir=str(tmp_path / out))
        template = built.app.synth().get_stack_by_name(built.stack.stack_name).template
        return {k: v["Type"] for k, v in template["Resources"].items()}

    created, attached, none = resources("create", "c"), resources(WEB_ACL_ARN, "a"), resources("none", "n")
    waf_only = {k for k, v in created.items() if v.startswith("AWS::WAFv2::")}
    # The WAF alarm needs the ACL's metric name, which the stack only knows for its own ACL.
    alarm = {k for k in created if k.startswith("MonitoringWafBlockedSpike")}
    assert set(created) - waf_only - alarm == set(attached) == set(none)


@pytest.mark.parametrize(
    "value", ["arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/a1b2c3d4-5678-90ab-cdef-0123456789ab", "yes"]
)
def test_waf_must_be_create_none_or_a_cloudfront_acl_arn(value: str) -> None:
    with pytest.raises(PropsError, match="'waf'"):
        ImageEdgeProps(waf=value)


def test_rate_rule_counts_only_requests_that_can_render(default_app: Synthesized) -> None:
    scope = _rate_statement(default_app)["ScopeDownStatement"]["OrStatement"]["Statements"]
    query, path, method = scope
    query_regex = query["RegexMatchStatement"]
    assert query_regex["FieldToMatch"] == {"QueryString": {}}
    assert query_regex["TextTransformations"] == [{"Priority": 0, "Type": "URL_DECODE"}]
    # WAF regexes are PCRE-like; the ones used here are also valid Python regexes with the same meaning.
    pattern = re.compile(query_regex["RegexString"])
    for name in PARAMETERS:
        assert pattern.search(f"{name}=1"), name
        assert pattern.search(f"utm_source=x&{name}=1"), name
    for query_string in ("", "utm_source=newsletter", "v=3", "width=300", "sw=1", "aw=2&hw=3"):
        assert not pattern.search(query_string), query_string
    path_regex = path["RegexMatchStatement"]
    assert path_regex["FieldToMatch"] == {"UriPath": {}}
    spec_path = re.compile(path_regex["RegexString"])
    for uri in ("/300/photos/cat.avif", "/x200/cat.webp", "/300x200-contain/cat.jpg", "/640x480/a.png"):
        assert spec_path.search(uri), uri
    for uri in ("/photos/cat.jpg", "/favicon.ico", "/x/cat.jpg", "/0/cat.jpg", "/"):
        assert not spec_path.search(uri), uri
    methods = method["NotStatement"]["Statement"]["OrStatement"]["Statements"]
    assert sorted(m["ByteMatchStatement"]["SearchString"] for m in methods) == ["GET", "HEAD"]
    assert all(m["ByteMatchStatement"]["PositionalConstraint"] == "EXACTLY" for m in methods)


def test_rate_rule_counts_the_spellings_of_the_enabled_dialects() -> None:
    def patterns(dialects: tuple[str, ...]) -> list[re.Pattern[str]]:
        statement: Any = render_capable_statement(dialects)  # jsii structs: fields typed as unions with tokens
        found = statement.or_statement.statements
        return [re.compile(s.regex_match_statement.regex_string) for s in found if s.regex_match_statement]

    def counted(dialects: tuple[str, ...], uri: str, query: str = "") -> bool:
        return any(p.search(query) or p.search(uri) for p in patterns(dialects))

    assert len(patterns(())) == 2  # the native query and the spec path: what the default app deploys
    assert not counted((), "/fit-in/300x200/cat.jpg", "width=300")
    everything = ("thumbor", "sih", "query_aliases")
    for uri, query in [
        ("/photos/cat.jpg", "width=300"),
        ("/photos/cat.jpg", "utm=1&quality=50"),
        ("/fit-in/300x200/filters:format(webp)/photos/cat.jpg", ""),
        ("/unsafe/-300x-200/photos/cat.jpg", ""),
        ("/300x0/smart/photos/cat.jpg", ""),
        ("/filters:grayscale()/photos/cat.jpg", ""),
        ("/eyJrZXkiOiAiYS5qcGcifQ==", ""),
    ]:
        assert counted(everything, uri, query), (uri, query)
    for uri in ("/photos/cat.jpg", "/top/news.jpg", "/eyJ.jpg", "/fit-in.jpg"):
        assert not counted(everything, uri), uri
    assert not counted(("sih",), "/fit-in/300x200/cat.jpg", "width=3")


def test_rate_limit_is_the_setting(synth_variant: Variant) -> None:
    assert _rate_statement(synth_variant("full"))["Limit"] == 500
    assert _rate_statement(synth_variant("full"))["AggregateKeyType"] == "IP"


def test_logging_is_off_by_default(default_app: Synthesized) -> None:
    assert default_app.resources("AWS::WAFv2::LoggingConfiguration") == {}


def test_logging_to_cloudwatch_uses_an_aws_waf_logs_group_with_retention(synth_variant: Variant) -> None:
    full = synth_variant("full")
    acl_id, _ = full.one("AWS::WAFv2::WebACL")
    _, logging = full.one("AWS::WAFv2::LoggingConfiguration")
    assert logging["Properties"]["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    groups = [
        g["Properties"] for g in full.resources("AWS::Logs::LogGroup").values()
        if str(g["Properties"].get("LogGroupName", "")).startswith("aws-waf-logs-")
    ]  # fmt: skip
    assert groups == [{"LogGroupName": "aws-waf-logs-imgedge", "RetentionInDays": 90}]
    (destination,) = logging["Properties"]["LogDestinationConfigs"]
    joined = "".join(part if isinstance(part, str) else "" for part in destination["Fn::Join"][1])
    assert joined.endswith(":log-group:aws-waf-logs-imgedge")  # the ARN without CloudFormation's ":*"


def test_logging_to_s3_uses_an_aws_waf_logs_bucket(synth_variant: Variant) -> None:
    purge = synth_variant("waf_s3")
    _, logging = purge.one("AWS::WAFv2::LoggingConfiguration")
    (destination,) = logging["Properties"]["LogDestinationConfigs"]
    bucket_id = destination["Fn::GetAtt"][0]
    bucket = purge.resources("AWS::S3::Bucket")[bucket_id]["Properties"]
    assert bucket["BucketName"]["Fn::Join"][1][0] == "aws-waf-logs-"
    assert bucket["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 90


def test_logging_needs_the_stacks_own_acl() -> None:
    with pytest.raises(PropsError, match="'waf_logging'"):
        ImageEdgeProps(waf="none", waf_logging="cloudwatch")
    with pytest.raises(PropsError, match="'waf_logging'"):
        ImageEdgeProps(waf_logging="kinesis")
