"""Template assertions on ``purge_on_change``: the function, its least-privilege role, the bucket notifications."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edge.config import Config
from imgedge_cdk.application import build_app
from imgedge_cdk.bundling import PROJECT_PACKAGES
from imgedge_cdk.closure import import_closure
from imgedge_cdk.props import PropsError
from imgedge_cdk.purge import (
    DISTRIBUTION_ENV_VAR,
    PURGE_HANDLER,
    PURGE_RESERVED_CONCURRENCY,
    PURGE_TIMEOUT_S,
    purge_files,
)
from tests.cdk.conftest import NO_BUNDLING, Synthesized, assert_closure_matches, loaded_project_modules

Variant = Callable[[str], Synthesized]


def _role_statements(synth: Synthesized) -> list[dict[str, Any]]:
    _, function = synth.function(PURGE_HANDLER)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = synth.template_json["Resources"][role_id]
    statements = [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    attached = [
        policy
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
    ]
    assert attached == []  # nothing beyond the inline policy (no grant() from CDK)
    assert "ManagedPolicyArns" not in role["Properties"]
    return statements


def test_purge_function_is_a_regular_python_lambda_with_the_distribution_id(synth_variant: Variant) -> None:
    synth = synth_variant("purge")
    _, function = synth.function(PURGE_HANDLER)
    props = function["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Timeout"] == PURGE_TIMEOUT_S
    distribution_id, _ = synth.one("AWS::CloudFront::Distribution")
    assert props["Environment"]["Variables"] == {DISTRIBUTION_ENV_VAR: {"Ref": distribution_id}}
    # A regular function in the stack (and so the created bucket's) region, not replicated to the edge.
    edge_associations = synth.template_json["Resources"][distribution_id]["Properties"]["DistributionConfig"]
    arns = json.dumps(edge_associations["DefaultCacheBehavior"]["LambdaFunctionAssociations"])
    assert synth.function(PURGE_HANDLER)[0] not in arns


def test_purge_role_is_least_privilege(synth_variant: Variant) -> None:
    synth = synth_variant("purge")
    bucket_id, _ = synth.one("AWS::S3::Bucket")
    distribution_id, _ = synth.one("AWS::CloudFront::Distribution")
    statements = {s["Sid"]: s for s in _role_statements(synth)}
    assert sorted(statements) == [
        "FindVariants",
        "InvalidateVariants",
        "OwnLogs",
        "ProveAndDeleteVariants",
        "ReportFailures",
    ]
    queue_id, _ = synth.one("AWS::SQS::Queue")
    assert statements["ReportFailures"]["Action"] == "sqs:SendMessage"
    assert statements["ReportFailures"]["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert statements["FindVariants"]["Action"] == "s3:ListBucket"
    assert statements["FindVariants"]["Resource"] == {"Fn::GetAtt": [bucket_id, "Arn"]}
    # HeadObject (s3:GetObject) reads the metadata that proves a variant; without variant_prefix, any key.
    assert statements["ProveAndDeleteVariants"]["Action"] == ["s3:GetObject", "s3:DeleteObject"]
    assert statements["ProveAndDeleteVariants"]["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]
    }
    assert statements["InvalidateVariants"]["Action"] == "cloudfront:CreateInvalidation"
    resource = json.dumps(statements["InvalidateVariants"]["Resource"])
    assert ":distribution/" in resource
    assert json.dumps({"Ref": distribution_id}) in resource
    assert statements["OwnLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert all(s["Effect"] == "Allow" for s in statements.values())


def test_bucket_notifies_the_function_of_created_and_removed_objects(synth_variant: Variant) -> None:
    synth = synth_variant("purge")
    bucket_id, _ = synth.one("AWS::S3::Bucket")
    function_id, _ = synth.function(PURGE_HANDLER)
    (notifications,) = synth.resources("Custom::S3BucketNotifications").values()
    props = notifications["Properties"]
    assert props["BucketName"] == {"Ref": bucket_id}
    configs = props["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert sorted(c["Events"][0] for c in configs) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert all(c["LambdaFunctionArn"] == {"Fn::GetAtt": [function_id, "Arn"]} for c in configs)
    assert all("Filter" not in c for c in configs)  # the handler filters variants by the key grammar
    permissions = [
        p["Properties"] for p in synth.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "s3.amazonaws.com"
    ]  # fmt: skip
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
            "Principal": "s3.amazonaws.com",
            "SourceAccount": {"Ref": "AWS::AccountId"},
            "SourceArn": {"Fn::GetAtt": [bucket_id, "Arn"]},
        }
    ]


def test_purge_is_off_by_default(default_app: Synthesized) -> None:
    assert default_app.resources("Custom::S3BucketNotifications") == {}
    assert "PurgeFunctionName" not in default_app.template_json["Outputs"]


def test_purge_asset_is_pure_python_with_the_config(synth_variant: Variant) -> None:
    synth = synth_variant("purge")
    asset = synth.asset_dir(PURGE_HANDLER)
    files = sorted(p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file())
    assert "purge_on_change/handler.py" in files
    assert "edge/purge.py" in files
    assert not [f for f in files if f.startswith(("edge/render/", "imgedge/")) or f == "edge/store.py"]
    config = Config.from_mapping(json.loads((asset / "imgedge-config.json").read_text()))
    assert config == synth.stack.image_edge.config
    assert set(purge_files()) == {f for f in files if f.endswith(".py")}
    assert "PurgeFunctionName" in synth.template_json["Outputs"]


def test_purge_on_change_is_refused_for_an_imported_bucket(tmp_path: Path) -> None:
    with pytest.raises(PropsError, match="'purge_on_change'"):
        build_app(context={**NO_BUNDLING, "bucket_name": "my-images", "purge_on_change": "true"}, outdir=str(tmp_path))


def test_with_variant_prefix_the_purge_role_may_only_touch_the_prefix(synth_variant: Variant) -> None:
    synth = synth_variant("prefixed")
    bucket_id, _ = synth.one("AWS::S3::Bucket")
    statements = {s["Sid"]: s for s in _role_statements(synth)}
    assert statements["ProveAndDeleteVariants"]["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/_v/*"]]
    }


def test_failed_purges_go_to_an_encrypted_queue_kept_two_weeks(synth_variant: Variant) -> None:
    synth = synth_variant("purge")
    queue_id, queue = synth.one("AWS::SQS::Queue")
    assert queue["Properties"]["KmsMasterKeyId"] == "alias/aws/sqs"
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600  # SQS's maximum
    function_id, _ = synth.function(PURGE_HANDLER)
    _, config = synth.one("AWS::Lambda::EventInvokeConfig")
    assert config["Properties"] == {
        "FunctionName": {"Ref": function_id},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 6 * 3600,
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}},
    }
    # The queue refuses non-TLS access, like every bucket of the stack.
    _, policy = synth.one("AWS::SQS::QueuePolicy")
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    outputs = synth.template_json["Outputs"]
    assert outputs["PurgeFailuresQueueUrl"]["Value"] == {"Ref": queue_id}
    assert "--replay-failed" in outputs["PurgeFailuresQueueUrl"]["Description"]


def test_no_failure_queue_without_purge(default_app: Synthesized) -> None:
    assert default_app.resources("AWS::SQS::Queue") == {}
    assert "PurgeFailuresQueueUrl" not in default_app.template_json["Outputs"]


def test_purge_asset_is_exactly_what_its_handler_imports(synth_variant: Variant) -> None:
    import boto3

    asset = synth_variant("purge").asset_dir(PURGE_HANDLER)
    handler_module = PURGE_HANDLER.rpartition(".")[0]
    lazy = sorted(import_closure(handler_module, asset, PROJECT_PACKAGES).lazy)
    # boto3 is the Lambda runtime's: taken from this environment's site-packages, which holds no imgedge module.
    site_packages = str(Path(boto3.__file__).parent.parent)
    loaded = loaded_project_modules(asset, [handler_module, *lazy], extra_paths=(site_packages,))
    assert_closure_matches(asset, PURGE_HANDLER, loaded)
    # (edge.rewrite belongs: edge.config imports it lazily to validate a watermark_rendition.)
    assert not {"edge.store", "edge.origin_flow", "edge.render", "edge.faces", "edge.watermarks"} & set(loaded)


@pytest.mark.parametrize("variant", ["purge", "prefixed"])
def test_purge_function_has_a_reserved_concurrency_cap(variant: str, synth_variant: Variant) -> None:
    # checkov CKV_AWS_115: a bulk upload cannot take the us-east-1 concurrency the edge replicas share; throttled
    # notifications are retried by Lambda up to the maximum event age, then land in the failure queue.
    _, function = synth_variant(variant).function(PURGE_HANDLER)
    assert function["Properties"]["ReservedConcurrentExecutions"] == PURGE_RESERVED_CONCURRENCY
