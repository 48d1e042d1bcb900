"""Template assertions on the default deployment: bucket, OAI, IAM, edge functions, policies, distribution, outputs."""

import json
from collections.abc import Callable
from typing import Any

from aws_cdk.assertions import Match

from edge.config import Config
from edge.marker import MARKER_HEADER
from imgedge_cdk.bundling import ORIGIN_HANDLER, VIEWER_HANDLER
from imgedge_cdk.construct import ACCESS_LOG_EXPIRY_DAYS
from imgedge_cdk.log_buckets import LOG_NONCURRENT_EXPIRY_DAYS
from tests.cdk.conftest import Synthesized


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = document["Statement"]
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


def _all_policy_statements(synth: Synthesized) -> list[dict[str, Any]]:
    """Every statement of every identity and resource policy in the template."""
    statements: list[dict[str, Any]] = []
    for resource in synth.template_json["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                statements += _statements(policy["PolicyDocument"])
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::S3::BucketPolicy"):
            statements += _statements(props["PolicyDocument"])
    return statements


def _role_statements(synth: Synthesized, handler: str) -> list[dict[str, Any]]:
    """Inline and attached statements of the role of the function with this handler."""
    _, function = synth.function(handler)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = synth.template_json["Resources"][role_id]
    statements = [s for p in role["Properties"].get("Policies", []) for s in _statements(p["PolicyDocument"])]
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += _statements(policy["Properties"]["PolicyDocument"])
    return statements


def _bucket_objects(synth: Synthesized) -> dict[str, Any]:
    bucket_id, _ = synth.one("AWS::S3::Bucket")
    return {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}


# --- bucket ---------------------------------------------------------------------------------------------------


def test_bucket_blocks_public_access_is_encrypted_and_retained(default_app: Synthesized) -> None:
    default_app.template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LoggingConfiguration": Match.absent(),
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_bucket_policy_denies_non_tls_and_lets_only_the_oai_get_objects(default_app: Synthesized) -> None:
    bucket_id, _ = default_app.one("AWS::S3::Bucket")
    oai_id, _ = default_app.one("AWS::CloudFront::CloudFrontOriginAccessIdentity")
    _, policy = default_app.one("AWS::S3::BucketPolicy")
    statements = _statements(policy["Properties"]["PolicyDocument"])
    tls = [s for s in statements if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
    assert len(tls) == 1
    assert tls[0]["Effect"] == "Deny"
    assert tls[0]["Principal"] == {"AWS": "*"}
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Principal": {"CanonicalUser": {"Fn::GetAtt": [oai_id, "S3CanonicalUserId"]}},
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]},
        }
    ]


def test_no_policy_anywhere_grants_list_bucket_or_delete(default_app: Synthesized) -> None:
    allowed = {a for s in _all_policy_statements(default_app) if s["Effect"] == "Allow" for a in _actions(s)}
    assert allowed, "expected some Allow statements"
    forbidden = {"s3:ListBucket", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:*", "*"}
    assert not (allowed & forbidden)
    assert not [a for a in allowed if a.startswith("s3:") and ("*" in a or "Delete" in a or "List" in a)]


def test_distribution_reads_the_bucket_through_the_oai(default_app: Synthesized) -> None:
    bucket_id, _ = default_app.one("AWS::S3::Bucket")
    oai_id, _ = default_app.one("AWS::CloudFront::CloudFrontOriginAccessIdentity")
    _, distribution = default_app.one("AWS::CloudFront::Distribution")
    (origin,) = distribution["Properties"]["DistributionConfig"]["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]}
    assert origin["S3OriginConfig"] == {
        "OriginAccessIdentity": {"Fn::Join": ["", ["origin-access-identity/cloudfront/", {"Ref": oai_id}]]}
    }
    assert "OriginAccessControlId" not in origin


def test_no_lifecycle_expiry_of_variants_by_default(default_app: Synthesized) -> None:
    _, bucket = default_app.one("AWS::S3::Bucket")
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [rule["Id"] for rule in rules] == ["AbortIncompleteUploads", "ExpireOldVersions", "ExpireOldVariantVersions"]
    assert all("ExpirationInDays" not in rule for rule in rules)


# --- IAM ------------------------------------------------------------------------------------------------------


def test_origin_response_role_reads_and_only_creates_objects(default_app: Synthesized) -> None:
    objects = _bucket_objects(default_app)
    s3_statements = [
        s for s in _role_statements(default_app, ORIGIN_HANDLER) if any(a.startswith("s3:") for a in _actions(s))
    ]
    assert s3_statements == [
        {"Action": "s3:GetObject", "Effect": "Allow", "Resource": objects, "Sid": "ReadObjects"},
        {
            "Action": "s3:PutObject",
            "Condition": {"Null": {"s3:if-none-match": "false"}},
            "Effect": "Allow",
            "Resource": objects,
            "Sid": "CreateObjectsOnly",
        },
        {
            # Variants are tagged by default so the versioned bucket can expire their old versions after a day.
            "Action": "s3:PutObjectTagging",
            "Condition": {
                "StringEquals": {"s3:RequestObjectTag/imgedge": "variant"},
                "ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["imgedge"]},
            },
            "Effect": "Allow",
            "Resource": objects,
            "Sid": "TagVariantsOnly",
        },
    ]


def test_viewer_request_role_has_logs_only(default_app: Synthesized) -> None:
    actions = {a for s in _role_statements(default_app, VIEWER_HANDLER) for a in _actions(s)}
    assert actions == {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}


def test_roles_trust_lambda_and_edgelambda_and_have_no_managed_policies(default_app: Synthesized) -> None:
    edge_roles = {
        default_app.function(handler)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
        for handler in (VIEWER_HANDLER, ORIGIN_HANDLER)
    }
    roles = {k: v for k, v in default_app.resources("AWS::IAM::Role").items() if k in edge_roles}
    assert len(roles) == 2
    for role in roles.values():
        principals = {s["Principal"]["Service"] for s in _statements(role["Properties"]["AssumeRolePolicyDocument"])}
        assert principals == {"lambda.amazonaws.com", "edgelambda.amazonaws.com"}
        assert "ManagedPolicyArns" not in role["Properties"]


def test_function_logs_go_to_their_edge_log_groups_in_every_region(default_app: Synthesized) -> None:
    for handler in (VIEWER_HANDLER, ORIGIN_HANDLER):
        function_id, _ = default_app.function(handler)
        logs = [s for s in _role_statements(default_app, handler) if s.get("Sid") == "EdgeReplicaLogs"]
        assert len(logs) == 1
        group = [
            "arn:", {"Ref": "AWS::Partition"}, ":logs:*:", {"Ref": "AWS::AccountId"},
            ":log-group:/aws/lambda/us-east-1.", {"Ref": function_id},
        ]  # fmt: skip
        assert logs[0]["Resource"] == [{"Fn::Join": ["", group]}, {"Fn::Join": ["", [*group, ":*"]]}]
        default_app.template.has_resource_properties(
            "AWS::Logs::LogGroup",
            {
                "LogGroupName": {"Fn::Join": ["", ["/aws/lambda/us-east-1.", {"Ref": function_id}]]},
                "RetentionInDays": 30,
            },
        )


# --- functions ------------------------------------------------------------------------------------------------


def test_only_the_two_edge_functions_and_the_log_retention_function_exist(default_app: Synthesized) -> None:
    handlers = {f["Properties"]["Handler"] for f in default_app.resources("AWS::Lambda::Function").values()}
    assert handlers == {VIEWER_HANDLER, ORIGIN_HANDLER, "edge_log_retention.handler"}


def test_edge_function_runtime_architecture_memory_timeout(default_app: Synthesized) -> None:
    expected = {VIEWER_HANDLER: (128, 5), ORIGIN_HANDLER: (1536, 30)}
    for handler, (memory, timeout) in expected.items():
        _, function = default_app.function(handler)
        props = function["Properties"]
        assert props["Runtime"] == "python3.13"
        assert props["Architectures"] == ["x86_64"]
        assert (props["MemorySize"], props["Timeout"]) == (memory, timeout)


def test_edge_functions_have_no_environment_and_nothing_edge_forbids(default_app: Synthesized) -> None:
    for function in default_app.resources("AWS::Lambda::Function").values():
        props = function["Properties"]
        for key in ("Environment", "VpcConfig", "DeadLetterConfig", "Layers", "TracingConfig", "FileSystemConfigs"):
            assert key not in props, key


def test_both_edge_functions_are_associated_with_their_event_types(default_app: Synthesized) -> None:
    _, distribution = default_app.one("AWS::CloudFront::Distribution")
    behavior = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    associations = {a["EventType"]: a for a in behavior["LambdaFunctionAssociations"]}
    assert set(associations) == {"viewer-request", "origin-response"}
    versions = default_app.resources("AWS::Lambda::Version")
    for event_type, handler in (("viewer-request", VIEWER_HANDLER), ("origin-response", ORIGIN_HANDLER)):
        association = associations[event_type]
        assert "IncludeBody" not in association
        version_id = association["LambdaFunctionARN"]["Ref"]
        function_id, _ = default_app.function(handler)
        assert versions[version_id]["Properties"]["FunctionName"] == {"Ref": function_id}
    assert "CacheBehaviors" not in distribution["Properties"]["DistributionConfig"]


# --- CloudFront policies and distribution ---------------------------------------------------------------------


def test_cache_policy_keys_on_the_uri_alone_with_min_ttl_zero(default_app: Synthesized) -> None:
    policy_id, policy = default_app.one("AWS::CloudFront::CachePolicy")
    config = policy["Properties"]["CachePolicyConfig"]
    assert (config["MinTTL"], config["DefaultTTL"], config["MaxTTL"]) == (0, 86_400, 31_536_000)
    assert config["ParametersInCacheKeyAndForwardedToOrigin"] == {
        "CookiesConfig": {"CookieBehavior": "none"},
        "HeadersConfig": {"HeaderBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
        "EnableAcceptEncodingGzip": False,
        "EnableAcceptEncodingBrotli": False,
    }
    _, distribution = default_app.one("AWS::CloudFront::Distribution")
    behavior = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["CachePolicyId"] == {"Ref": policy_id}


def test_origin_request_policy_forwards_only_the_marker_header(default_app: Synthesized) -> None:
    policy_id, policy = default_app.one("AWS::CloudFront::OriginRequestPolicy")
    config = policy["Properties"]["OriginRequestPolicyConfig"]
    assert config["HeadersConfig"] == {"HeaderBehavior": "whitelist", "Headers": [MARKER_HEADER]}
    assert config["QueryStringsConfig"] == {"QueryStringBehavior": "none"}
    assert config["CookiesConfig"] == {"CookieBehavior": "none"}
    _, distribution = default_app.one("AWS::CloudFront::Distribution")
    behavior = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["OriginRequestPolicyId"] == {"Ref": policy_id}


def test_distribution_https_http3_no_compression_errors_price_class(default_app: Synthesized) -> None:
    _, distribution = default_app.one("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["Compress"] is False
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert config["HttpVersion"] == "http2and3"
    assert config["IPV6Enabled"] is True
    assert config["Enabled"] is True
    assert config["PriceClass"] == "PriceClass_100"
    assert {e["ErrorCode"]: e["ErrorCachingMinTTL"] for e in config["CustomErrorResponses"]} == {
        404: Config().responses.missing_max_age, 403: 0, 500: 0, 502: 0, 503: 0, 504: 0,
    }  # fmt: skip
    assert all("ResponsePagePath" not in e for e in config["CustomErrorResponses"])
    for absent in ("Logging", "Aliases", "ViewerCertificate", "DefaultRootObject"):
        assert absent not in config, absent


def test_web_acl_is_attached_to_the_distribution(default_app: Synthesized) -> None:
    acl_id, _ = default_app.one("AWS::WAFv2::WebACL")
    _, distribution = default_app.one("AWS::CloudFront::Distribution")
    assert distribution["Properties"]["DistributionConfig"]["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}


# --- WAF ------------------------------------------------------------------------------------------------------


def test_web_acl_has_managed_groups_and_a_rate_rule_with_metrics(default_app: Synthesized) -> None:
    _, acl = default_app.one("AWS::WAFv2::WebACL")
    props = acl["Properties"]
    assert props["Scope"] == "CLOUDFRONT"
    assert props["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in props["Rules"]}
    for group in (
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ):
        assert rules[group]["Statement"] == {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}}
        assert rules[group]["OverrideAction"] == {"None": {}}
    rate = rules["RateLimit"]
    assert rate["Action"] == {"Block": {}}
    statement = rate["Statement"]["RateBasedStatement"]
    assert {k: v for k, v in statement.items() if k != "ScopeDownStatement"} == {
        "Limit": 2000, "AggregateKeyType": "IP", "EvaluationWindowSec": 300,
    }  # fmt: skip
    assert (
        "OrStatement" in statement["ScopeDownStatement"]
    )  # counts render-capable requests only (tests/cdk/test_waf.py)
    assert len(rules) == 4
    assert len({rule["Priority"] for rule in props["Rules"]}) == 4
    for visibility in [props["VisibilityConfig"], *(rule["VisibilityConfig"] for rule in props["Rules"])]:
        assert visibility["CloudWatchMetricsEnabled"] is True
        assert visibility["SampledRequestsEnabled"] is True
        assert visibility["MetricName"]


# --- outputs --------------------------------------------------------------------------------------------------


def test_outputs_domain_bucket_and_sample_url(default_app: Synthesized) -> None:
    outputs = default_app.template_json["Outputs"]
    distribution_id, _ = default_app.one("AWS::CloudFront::Distribution")
    bucket_id, _ = default_app.one("AWS::S3::Bucket")
    assert outputs["DistributionDomainName"]["Value"] == {"Fn::GetAtt": [distribution_id, "DomainName"]}
    assert outputs["DistributionId"]["Value"] == {"Ref": distribution_id}
    assert outputs["BucketName"]["Value"] == {"Ref": bucket_id}
    assert outputs["SampleUrl"]["Value"] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}, "/example.jpg?w=300"]]
    }
    assert "ImportedBucketPolicy" not in outputs
    assert "VariantLifecycleRule" not in outputs


def test_staged_config_is_the_config_of_the_props(default_app: Synthesized) -> None:
    # Bundling is off here, but the viewer asset (a plain copy) is still staged with the generated config.
    config_file = default_app.asset_dir(VIEWER_HANDLER) / "imgedge-config.json"
    assert Config.from_mapping(json.loads(config_file.read_text())) == default_app.stack.image_edge.config
    # The default configuration, with variants tagged: the versioned bucket expires their old versions after a day.
    assert default_app.stack.image_edge.config == Config.of(tag_variants=True)


def test_access_log_bucket_is_versioned_and_expires_old_versions(synth_variant: Callable[[str], Synthesized]) -> None:
    # checkov CKV_AWS_21: with access_logging on, the log bucket keeps a deleted or overwritten log file for a day.
    synth = synth_variant("full")
    buckets = {k: v for k, v in synth.resources("AWS::S3::Bucket").items() if "AccessLogsBucket" in k}
    assert len(buckets) == 1
    (props,) = (bucket["Properties"] for bucket in buckets.values())
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == ACCESS_LOG_EXPIRY_DAYS
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": LOG_NONCURRENT_EXPIRY_DAYS}
    # It is still where the image bucket and the distribution log to.
    (logs_id,) = buckets
    image_bucket = next(v for k, v in synth.resources("AWS::S3::Bucket").items() if k.startswith("ImageEdgeBucket"))
    assert image_bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}
