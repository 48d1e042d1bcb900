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
    PURGE_MEMORY_MB,
    PURGE_RESERVED_CONCURRENCY,
    PURGE_TIMEOUT_S,
    WARM_HANDLER,
    purge_files,
    timeout_s,
    warm_files,
)
from tests.cdk.conftest import NO_BUNDLING, Synthesized, assert_closure_matches, loaded_project_modules

Variant = Callable[[str], Synthesized]


def _role_statements(synth: Synthesized, handler: str = PURGE_HANDLER) -> list[dict[str, Any]]:
    role = synth.template_json["Resources"][_role_id(synth, handler)]
    statements = [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    assert _attached_statements(synth, handler) == []  # nothing beyond the inline policy (no grant() from CDK)
    assert "ManagedPolicyArns" not in role["Properties"]
    return statements


def _role_id(synth: Synthesized, handler: str) -> str:
    _, function = synth.function(handler)
    return str(function["Properties"]["Role"]["Fn::GetAtt"][0])


def _attached_statements(synth: Synthesized, handler: str) -> list[dict[str, Any]]:
    """The statements of the policies attached to the function's role (extra origins' buckets)."""
    role_id = _role_id(synth, handler)
    return [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


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


# --- warming --------------------------------------------------------------------------------------------------


def test_warming_deploys_the_function_with_the_render_memory_and_a_timeout_per_variant(synth_variant: Variant) -> None:
    synth = synth_variant("warm")  # purge_on_change is not set: warm_renditions alone deploys the function
    function_id, function = synth.function(WARM_HANDLER)
    props = function["Properties"]
    assert [f for f in synth.resources("AWS::Lambda::Function").values()
            if f["Properties"]["Handler"] == PURGE_HANDLER] == []  # fmt: skip
    # origin_response_memory_mb (2048 here): the render's memory budget is the one origin-response renders with.
    assert props["MemorySize"] == 2048
    # 5 minutes for the purge, 30 s for each of the 9 variants (3 widths x AVIF, WebP, the original's family).
    assert props["Timeout"] == 300 + 9 * 30
    assert props["ReservedConcurrentExecutions"] == PURGE_RESERVED_CONCURRENCY
    distribution_id, _ = synth.one("AWS::CloudFront::Distribution")
    assert props["Environment"]["Variables"] == {DISTRIBUTION_ENV_VAR: {"Ref": distribution_id}}
    (notifications,) = synth.resources("Custom::S3BucketNotifications").values()
    configs = notifications["Properties"]["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert sorted(c["Events"][0] for c in configs) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert all(c["LambdaFunctionArn"] == {"Fn::GetAtt": [function_id, "Arn"]} for c in configs)
    # Failures go to the same on-failure queue as purges.
    queue_id, _ = synth.one("AWS::SQS::Queue")
    _, invoke = synth.one("AWS::Lambda::EventInvokeConfig")
    assert invoke["Properties"]["FunctionName"] == {"Ref": function_id}
    destination = invoke["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == {"Fn::GetAtt": [queue_id, "Arn"]}


def test_the_timeout_is_capped_at_lambdas_fifteen_minutes() -> None:
    widths = ("w=320", "w=640", "w=960", "w=1280", "w=1600", "w=1920", "w=2560", "w=3072")
    assert timeout_s(Config()) == PURGE_TIMEOUT_S
    assert timeout_s(Config.of(warm_renditions=widths[:1])) == 300 + 3 * 30
    assert timeout_s(Config.of(warm_renditions=widths, warm_max_renditions=50)) == 900  # 300 + 24 x 30 = 1020


def test_warm_role_adds_origin_responses_object_grants(synth_variant: Variant) -> None:
    synth = synth_variant("warm")
    bucket_id, _ = synth.one("AWS::S3::Bucket")
    every_object = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}
    statements = {s["Sid"]: s for s in _role_statements(synth, WARM_HANDLER)}
    assert sorted(statements) == [
        "CreateObjectsOnly",
        "DetectFaces",
        "FindVariants",
        "InvalidateVariants",
        "OwnLogs",
        "ProveAndDeleteVariants",
        "ReadOriginals",
        "ReportFailures",
        "TagVariantsOnly",
    ]
    assert (statements["ReadOriginals"]["Action"], statements["ReadOriginals"]["Resource"]) == (
        "s3:GetObject",
        every_object,
    )
    # Create only: PutObject needs If-None-Match, as origin-response's (never an overwrite of any object).
    assert statements["CreateObjectsOnly"]["Action"] == "s3:PutObject"
    assert statements["CreateObjectsOnly"]["Condition"] == {"Null": {"s3:if-none-match": "false"}}
    assert statements["CreateObjectsOnly"]["Resource"] == every_object
    assert statements["TagVariantsOnly"]["Condition"]["StringEquals"] == {"s3:RequestObjectTag/imgedge": "variant"}
    assert (statements["DetectFaces"]["Action"], statements["DetectFaces"]["Resource"]) == (
        "rekognition:DetectFaces",
        "*",
    )
    assert not [s for s in statements.values() if "s3:PutObject" in s["Action"] and "Condition" not in s]


def test_with_variant_prefix_warming_may_create_only_under_the_prefix(synth_variant: Variant) -> None:
    synth = synth_variant("warm_prefixed")
    buckets = synth.resources("AWS::S3::Bucket")
    (main_id,) = [i for i, b in buckets.items() if "BucketName" not in b["Properties"]]
    (avatars_id,) = [i for i, b in buckets.items() if b["Properties"].get("BucketName") == "acme-profile-images"]
    role = synth.template_json["Resources"][_role_id(synth, WARM_HANDLER)]
    statements = {s["Sid"]: s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]}
    assert statements["CreateObjectsOnly"]["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [main_id, "Arn"]}, "/_v/*"]]
    }
    assert "TagVariantsOnly" not in statements  # bucket_versioned=false and no expiry: variants are not tagged
    # The created extra bucket notifies the function, which reads its prefix's originals and creates their
    # variants under _v/avatars/ only.
    attached = {s["Sid"]: s for s in _attached_statements(synth, WARM_HANDLER)}
    assert attached["ReadOriginals0"]["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [avatars_id, "Arn"]}, "/avatars/*"]]
    }
    assert attached["CreateObjectsOnlyWarm0"]["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [avatars_id, "Arn"]}, "/_v/avatars/*"]]
    }
    assert attached["CreateObjectsOnlyWarm0"]["Condition"] == {"Null": {"s3:if-none-match": "false"}}


def test_purge_only_keeps_its_small_pure_python_function(synth_variant: Variant) -> None:
    synth = synth_variant("purge")
    props = synth.function(PURGE_HANDLER)[1]["Properties"]
    assert (props["MemorySize"], props["Timeout"]) == (PURGE_MEMORY_MB, PURGE_TIMEOUT_S)
    assert [f for f in synth.resources("AWS::Lambda::Function").values()
            if f["Properties"]["Handler"] == WARM_HANDLER] == []  # fmt: skip
    assert not [s for s in _role_statements(synth) if "s3:PutObject" in s["Action"]]


def test_warm_asset_is_the_warming_closure_with_the_config(synth_variant: Variant) -> None:
    synth = synth_variant("warm")
    asset = synth.asset_dir(WARM_HANDLER)  # staged sources (bundling is off here; tests/cdk/test_bundles adds pip)
    files = {p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file()}
    assert {"purge_on_change/warming.py", "purge_on_change/handler.py", "edge/warming.py", "edge/store.py",
            "edge/render/__init__.py", "edge/origin_flow.py"} <= files  # fmt: skip
    assert set(warm_files()) == {f for f in files if f.endswith(".py")}
    assert not [f for f in files if f.startswith(("imgedge/", "origin_response/", "viewer_request/"))]
    config = Config.from_mapping(json.loads((asset / "imgedge-config.json").read_text()))
    assert config == synth.stack.image_edge.config
    assert config.warming.warm_renditions == ("w=320", "w=640", "w=1280")
    assert config.limits.memory_mb == 2048
