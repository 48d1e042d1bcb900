"""Template assertions on the optional branches: variant expiry, imported bucket, logging + custom domain."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment

from edge.config import VARIANT_TAG_KEY, VARIANT_TAG_VALUE, Config
from imgedge_cdk.application import build_app
from imgedge_cdk.bundling import ORIGIN_HANDLER, VIEWER_HANDLER
from imgedge_cdk.props import ImageEdgeProps, PropsError
from imgedge_cdk.stack import ImageEdgeStack
from tests.cdk.conftest import CERT_ARN, NO_BUNDLING, Synthesized

Variant = Callable[[str], Synthesized]


def _origin_role_statements(synth: Synthesized) -> list[dict[str, Any]]:
    _, function = synth.function(ORIGIN_HANDLER)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = synth.template_json["Resources"][role_id]
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _tagging_statement(objects: object) -> dict[str, Any]:
    return {
        "Action": "s3:PutObjectTagging",
        "Condition": {
            "StringEquals": {f"s3:RequestObjectTag/{VARIANT_TAG_KEY}": VARIANT_TAG_VALUE},
            "ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": [VARIANT_TAG_KEY]},
        },
        "Effect": "Allow",
        "Resource": objects,
        "Sid": "TagVariantsOnly",
    }


# --- variant expiry on a created, versioned bucket ------------------------------------------------------------


def test_lifecycle_rule_expires_only_tagged_variants(synth_variant: Variant) -> None:
    synth = synth_variant("lifecycle")
    _, bucket = synth.one("AWS::S3::Bucket")
    rules = {rule["Id"]: rule for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireVariants"] == {
        "Id": "ExpireVariants",
        "Status": "Enabled",
        "ExpirationInDays": 30,
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        "TagFilters": [{"Key": VARIANT_TAG_KEY, "Value": VARIANT_TAG_VALUE}],
    }
    # Only the variant rule expires anything, and it is filtered on the tag: originals are never expired.
    assert [r["Id"] for r in rules.values() if "ExpirationInDays" in r] == ["ExpireVariants"]
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


def test_lifecycle_variant_may_tag_only_with_the_variant_tag(synth_variant: Variant) -> None:
    synth = synth_variant("lifecycle")
    bucket_id, _ = synth.one("AWS::S3::Bucket")
    objects = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}
    statements = _origin_role_statements(synth)
    assert [s["Sid"] for s in statements] == ["ReadObjects", "CreateObjectsOnly", "TagVariantsOnly"]
    assert statements[2] == _tagging_statement(objects)


def test_with_variant_prefix_writes_and_expiry_are_scoped_to_the_prefix(synth_variant: Variant) -> None:
    synth = synth_variant("prefixed")
    bucket_id, bucket = synth.one("AWS::S3::Bucket")
    rules = {rule["Id"]: rule for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireVariants"]["Prefix"] == "_v/"
    assert rules["ExpireVariants"]["TagFilters"] == [{"Key": VARIANT_TAG_KEY, "Value": VARIANT_TAG_VALUE}]
    variants = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/_v/*"]]}
    statements = {s["Sid"]: s for s in _origin_role_statements(synth)}
    assert statements["CreateObjectsOnly"]["Resource"] == variants  # IAM says "variants only"
    assert statements["TagVariantsOnly"]["Resource"] == variants
    assert statements["ReadObjects"]["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}
    config = Config.from_mapping(json.loads((synth.asset_dir(VIEWER_HANDLER) / "imgedge-config.json").read_text()))
    assert config.storage.variant_prefix == "_v"


def test_lifecycle_variant_bundles_tag_variants_true(synth_variant: Variant) -> None:
    synth = synth_variant("lifecycle")
    config = Config.from_mapping(json.loads((synth.asset_dir(VIEWER_HANDLER) / "imgedge-config.json").read_text()))
    assert config.storage.tag_variants is True
    assert config == synth.stack.image_edge.config


# --- imported bucket in another region ------------------------------------------------------------------------


def test_imported_bucket_creates_no_bucket_and_no_bucket_policy(synth_variant: Variant) -> None:
    synth = synth_variant("imported")
    assert synth.resources("AWS::S3::Bucket") == {}
    assert synth.resources("AWS::S3::BucketPolicy") == {}


def test_imported_bucket_origin_uses_its_regional_endpoint_through_the_oai(synth_variant: Variant) -> None:
    synth = synth_variant("imported")
    oai_id, _ = synth.one("AWS::CloudFront::CloudFrontOriginAccessIdentity")
    _, distribution = synth.one("AWS::CloudFront::Distribution")
    (origin,) = distribution["Properties"]["DistributionConfig"]["Origins"]
    assert origin["DomainName"] == "my-images.s3.eu-west-1.amazonaws.com"
    assert origin["S3OriginConfig"]["OriginAccessIdentity"] == {
        "Fn::Join": ["", ["origin-access-identity/cloudfront/", {"Ref": oai_id}]]
    }


def test_imported_bucket_role_and_tagging_use_the_bucket_name(synth_variant: Variant) -> None:
    synth = synth_variant("imported")
    objects = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::my-images/*"]]}
    statements = _origin_role_statements(synth)
    assert [s["Resource"] for s in statements] == [objects] * 3
    assert statements[1]["Condition"] == {"Null": {"s3:if-none-match": "false"}}
    assert statements[2] == _tagging_statement(objects)


def test_imported_bucket_outputs_the_policy_and_lifecycle_rule_to_apply(synth_variant: Variant) -> None:
    synth = synth_variant("imported")
    outputs = synth.template_json["Outputs"]
    assert outputs["BucketName"]["Value"] == "my-images"
    oai_id, _ = synth.one("AWS::CloudFront::CloudFrontOriginAccessIdentity")
    policy_parts = outputs["ImportedBucketPolicy"]["Value"]["Fn::Join"][1]
    rendered = "".join(p if isinstance(p, str) else json.dumps(p) for p in policy_parts)
    assert '"Action":"s3:GetObject"' in rendered
    assert "CloudFront Origin Access Identity " in rendered
    assert json.dumps({"Ref": oai_id}) in rendered
    assert "s3:ListBucket" not in rendered
    rule = json.loads(outputs["VariantLifecycleRule"]["Value"])
    assert rule == {
        "Rules": [
            {
                "ID": "imgedge-expire-variants",
                "Status": "Enabled",
                "Filter": {"Tag": {"Key": VARIANT_TAG_KEY, "Value": VARIANT_TAG_VALUE}},
                "Expiration": {"Days": 7},
            }
        ]
    }


def test_imported_bucket_lifecycle_rule_uses_the_variant_prefix(tmp_path: Path) -> None:
    app = App(context=NO_BUNDLING)
    props = ImageEdgeProps(
        bucket_name="my-images", bucket_region="eu-west-1", variant_expiry_days=7, image=Config.of(variant_prefix="_v")
    )
    stack = ImageEdgeStack(app, "ImgEdge", props=props, env=Environment(region="us-east-1"))
    rule = json.loads(stack.image_edge.variant_lifecycle_rule or "")
    assert rule["Rules"][0]["Filter"] == {
        "And": {"Prefix": "_v/", "Tags": [{"Key": VARIANT_TAG_KEY, "Value": VARIANT_TAG_VALUE}]}
    }


# --- access logging, custom domain, tuning ---------------------------------------------------------------------


def test_full_variant_custom_domain_certificate_and_tls_policy(synth_variant: Variant) -> None:
    synth = synth_variant("full")
    _, distribution = synth.one("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == ["img.example.com", "images.example.com"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERT_ARN,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    assert config["PriceClass"] == "PriceClass_All"
    assert {e["ErrorCode"]: e["ErrorCachingMinTTL"] for e in config["CustomErrorResponses"]}[404] == 120
    assert synth.template_json["Outputs"]["SampleUrl"]["Value"] == "https://img.example.com/example.jpg?w=300"


def test_full_variant_access_logs_bucket_receives_cloudfront_and_s3_logs(synth_variant: Variant) -> None:
    synth = synth_variant("full")
    buckets = synth.resources("AWS::S3::Bucket")
    assert len(buckets) == 2
    (logs_id,) = [i for i, b in buckets.items() if "LoggingConfiguration" not in b["Properties"]]
    (images_id,) = [i for i in buckets if i != logs_id]
    logs_bucket = buckets[logs_id]["Properties"]
    assert logs_bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    assert logs_bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert buckets[images_id]["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": logs_id},
        "LogFilePrefix": "s3/",
    }
    _, distribution = synth.one("AWS::CloudFront::Distribution")
    logging = distribution["Properties"]["DistributionConfig"]["Logging"]
    assert logging["Bucket"] == {"Fn::GetAtt": [logs_id, "RegionalDomainName"]}
    assert logging["Prefix"] == "cloudfront/"


def test_full_variant_tuning_settings_reach_their_resources(synth_variant: Variant) -> None:
    synth = synth_variant("full")
    _, function = synth.function(ORIGIN_HANDLER)
    assert function["Properties"]["MemorySize"] == 3008
    _, acl = synth.one("AWS::WAFv2::WebACL")
    (rate,) = [r for r in acl["Properties"]["Rules"] if r["Name"] == "RateLimit"]
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == 500
    retentions = {g["Properties"]["RetentionInDays"] for g in synth.resources("AWS::Logs::LogGroup").values()}
    assert retentions == {90}
    _, policy = synth.one("AWS::CloudFront::CachePolicy")
    assert policy["Properties"]["CachePolicyConfig"]["DefaultTTL"] == 3600
    config = json.loads((synth.asset_dir(VIEWER_HANDLER) / "imgedge-config.json").read_text())
    assert config["missing_max_age"] == 120


# --- guards ---------------------------------------------------------------------------------------------------


def test_stack_outside_us_east_1_is_refused() -> None:
    app = App(context=NO_BUNDLING)
    with pytest.raises(PropsError, match="us-east-1"):
        ImageEdgeStack(app, "Elsewhere", props=ImageEdgeProps(), env=Environment(region="eu-west-1"))


@pytest.mark.parametrize(
    ("context", "key"),
    [
        ({"sizes": "640,320"}, "sizes"),
        ({"default_quality": "avif=55,webp=80,jpeg=80"}, "default_quality"),
        ({"waf_rate_limit": "ten"}, "waf_rate_limit"),
        ({"domain_names": "img.example.com"}, "certificate_arn"),
        ({"bundling": "podman"}, "bundling"),
    ],
)
def test_a_bad_setting_fails_synth_naming_the_key(context: dict[str, object], key: str, tmp_path: Path) -> None:
    with pytest.raises(PropsError, match=f"'{key}'"):
        build_app(context={**NO_BUNDLING, **context}, outdir=str(tmp_path))


def test_cdk_json_declares_the_app_and_valid_defaults() -> None:
    from imgedge_cdk.application import CDK_JSON, read_cdk_json_context
    from imgedge_cdk.props import props_from_context

    data = json.loads(CDK_JSON.read_text())
    assert data["app"] == "python3 cdk/app.py"
    assert props_from_context(read_cdk_json_context()) == ImageEdgeProps()
