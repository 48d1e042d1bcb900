"""``PurgeOnChange``: S3 event notifications on the image bucket -> a regular Lambda that purges variants, and warms.

When an original is created, overwritten (``s3:ObjectCreated:*``) or deleted (``s3:ObjectRemoved:*``), the
function (Python 3.13, in the bucket's region, which for a bucket the stack creates is the stack's) deletes its
stored variants and invalidates them and the original's own path in CloudFront. With ``warm_renditions`` it then
also renders the created original's warm variants into the bucket.

Two shapes, chosen by ``warm_renditions``:

- purge only (``purge_on_change.handler.handler``): the handler's import closure, pure Python (boto3 comes with the
  runtime), 256 MB, 5 minutes;
- purge and warm (``purge_on_change.warming.handler``): the closure of that entry point, which holds the render
  code, bundled with Pillow, pillow-heif and boto3 exactly as the origin-response asset is
  (``bundling.origin_code``), with origin-response's memory (``memory_mb``, which is also the render's memory
  budget) and a timeout of 5 minutes plus 30 s (origin-response's own limit for a render) per variant one original
  gets, at most Lambda's 15 minutes.

Notification filters can only match a key prefix and suffix, so they cannot say "not a variant": every object
change notifies the function, which ignores keys in the variant namespace (its own deletes and warm writes,
origin-response's writes) by the key grammar (``edge.purge.in_variant_namespace``). That check is what prevents a
loop.

Least privilege: ``s3:ListBucket`` on the bucket (to find variants), ``s3:GetObject`` (HeadObject: the metadata
that proves a variant) and ``s3:DeleteObject`` on ``{variant_prefix}/*`` when ``variant_prefix`` is set, else on
every object (a variant's first segment is any spec token, which IAM cannot express; the code then deletes only
objects whose metadata names the changed original), ``cloudfront:CreateInvalidation`` on this distribution, and
writing its own log group. Warming adds origin-response's object grants: ``s3:GetObject`` on every object (an
original is any key outside the variant namespace) and ``s3:PutObject`` only with ``If-None-Match`` (and the variant
tag only) on the variant objects; and ``rekognition:DetectFaces`` with ``faces_enabled``.
"""

from pathlib import Path

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from edge.config import Config
from edge.rewrite import warm_rendition_count
from imgedge_cdk.bundling import SOURCE_ROOT, handler_files, origin_code, origin_requirements, stage
from imgedge_cdk.grants import nag_resource, variant_objects, write_statements

PURGE_HANDLER = "purge_on_change.handler.handler"
WARM_HANDLER = "purge_on_change.warming.handler"
DISTRIBUTION_ENV_VAR = "IMGEDGE_DISTRIBUTION_ID"
PURGE_MEMORY_MB = 256
# Listing every spec folder of a bucket with many sizes and deleting in batches of 1,000 can take a while;
# S3 notifications invoke asynchronously, so the 5 minutes cost nothing unless used.
PURGE_TIMEOUT_S = 300
# Warming: each variant of one original gets origin-response's own limit (Lambda@Edge origin events: 30 s), far more
# than a render takes (docs/deploy.md, Warming); Lambda's maximum is 15 minutes.
WARM_SECONDS_PER_VARIANT = 30
LAMBDA_MAX_TIMEOUT_S = 900
# Asynchronous invocations: Lambda retries a failed purge twice (about 1 and 2 minutes later), then sends the event
# to the failure queue. Events older than this are sent there without further retries.
PURGE_RETRY_ATTEMPTS = 2
PURGE_MAX_EVENT_AGE_S = 6 * 3600
# A cap on concurrent purges. A bulk upload of originals notifies once per object; uncapped, the burst could take
# the account's us-east-1 concurrency that Lambda@Edge replicas running there share (throttled renders are viewer
# 503s) and would hit CloudFront's limits on concurrent invalidations. Throttled S3 notifications are not lost: Lambda
# keeps retrying them for up to PURGE_MAX_EVENT_AGE_S, then sends them to the failure queue.
PURGE_RESERVED_CONCURRENCY = 10
# SQS's maximum retention: two weeks to notice the alarm and run `imgedge purge --replay-failed`.
FAILURE_RETENTION_DAYS = 14


def purge_files(source_root: Path = SOURCE_ROOT) -> dict[str, Path]:
    """Files of the purge function's asset: the import closure of ``purge_on_change.handler`` (boto3 comes
    with the Lambda Python runtime: ListObjectsV2, DeleteObjects and CreateInvalidation are old APIs).
    Raises ``BundlingError`` when the handler or a module it imports has no source."""
    return handler_files(PURGE_HANDLER, source_root)


def warm_files(source_root: Path = SOURCE_ROOT) -> dict[str, Path]:
    """Files of the purge-and-warm function's asset, before pip: the import closure of
    ``purge_on_change.warming`` (the render and store code included). Raises ``BundlingError`` as ``purge_files``."""
    return handler_files(WARM_HANDLER, source_root)


def timeout_s(config: Config) -> int:
    """The function's timeout: ``PURGE_TIMEOUT_S``, plus ``WARM_SECONDS_PER_VARIANT`` for each variant one original
    gets when warming (``edge.rewrite.warm_rendition_count``), at most ``LAMBDA_MAX_TIMEOUT_S``."""
    return min(PURGE_TIMEOUT_S + WARM_SECONDS_PER_VARIANT * warm_rendition_count(config), LAMBDA_MAX_TIMEOUT_S)


class PurgeOnChange(Construct):
    """The purge function (purge and warm with ``warm_renditions``), its role and log group, the bucket's
    notifications to it, and ``failures``: the encrypted SQS queue that receives every event whose purge (or warming)
    still failed after Lambda's retries.

    ``bucket`` must be a bucket of this stack (S3 notifies only functions in its own region, and the stack cannot
    change an imported bucket's notification configuration). ``config`` is the edge configuration the construct
    bundles (the key grammar depends on it; so do the warm renditions, the render's memory ``memory_mb`` and
    ``tag_variants``); ``staging`` the directory assets are staged in; ``docker_bundling`` builds the warming asset
    in Docker, as for origin-response. ``warming`` says which shape was built.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.Bucket,
        distribution: cloudfront.IDistribution,
        config: Config,
        staging: Path,
        log_retention_days: int,
        runtime: lambda_.Runtime,
        source_root: Path = SOURCE_ROOT,
        docker_bundling: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.warming = bool(config.warming.warm_renditions)
        variant_prefix = config.storage.variant_prefix
        if self.warming:
            warm_dir = stage(warm_files(source_root), config.to_json(), staging, "warm")
            code = origin_code(warm_dir, origin_requirements(source_root), docker=docker_bundling)
        else:
            code = lambda_.Code.from_asset(str(stage(purge_files(source_root), config.to_json(), staging, "purge")))
        self.log_group = logs.LogGroup(self, "LogGroup", removal_policy=RemovalPolicy.DESTROY)
        self.failures = sqs.Queue(
            self,
            "Failures",
            # KMS with the AWS managed key alias/aws/sqs: no key to pay for or grant (the key policy lets every
            # principal of the account that may use this queue use the key through SQS).
            encryption=sqs.QueueEncryption.KMS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(FAILURE_RETENTION_DAYS),
        )
        cfn_log_group = self.log_group.node.default_child
        assert isinstance(cfn_log_group, logs.CfnLogGroup)
        cfn_log_group.retention_in_days = log_retention_days  # any CloudWatch Logs value (props validated it)
        # LogGroup.log_group_arn ends in ":*", which covers the group's log streams (OwnLogs below).
        distribution_arn = (
            f"arn:{Aws.PARTITION}:cloudfront::{Aws.ACCOUNT_ID}:distribution/{distribution.distribution_id}"
        )
        statements = [
            iam.PolicyStatement(sid="FindVariants", actions=["s3:ListBucket"], resources=[bucket.bucket_arn]),
            iam.PolicyStatement(
                # HeadObject (s3:GetObject) reads the metadata that proves a key is a variant.
                sid="ProveAndDeleteVariants",
                actions=["s3:GetObject", "s3:DeleteObject"],
                resources=[variant_objects(bucket, variant_prefix)],
            ),
            iam.PolicyStatement(
                sid="InvalidateVariants", actions=["cloudfront:CreateInvalidation"], resources=[distribution_arn]
            ),
            iam.PolicyStatement(sid="ReportFailures", actions=["sqs:SendMessage"], resources=[self.failures.queue_arn]),
            iam.PolicyStatement(
                sid="OwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            ),
        ]
        if self.warming:
            statements += self._warm_statements(bucket, config)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="imgedge purge-on-change: list and delete variants, invalidate them, "
            + ("read originals, create warm variants, logs" if self.warming else "logs"),
            inline_policies={"Purge": iam.PolicyDocument(statements=statements)},
        )
        self.function = lambda_.Function(
            self,
            "Function",
            code=code,
            handler=WARM_HANDLER if self.warming else PURGE_HANDLER,
            runtime=runtime,
            architecture=lambda_.Architecture.X86_64,
            # Warming renders as origin-response does, within the memory budget memory_mb sets for one render.
            memory_size=config.limits.memory_mb if self.warming else PURGE_MEMORY_MB,
            reserved_concurrent_executions=PURGE_RESERVED_CONCURRENCY,
            timeout=Duration.seconds(timeout_s(config)),
            role=self.role,
            log_group=self.log_group,
            environment={DISTRIBUTION_ENV_VAR: distribution.distribution_id},
            description="imgedge purge-on-change: delete and invalidate the variants of a changed original"
            + (", then render its warm variants" if self.warming else ""),
        )
        # Declared as a CfnEventInvokeConfig rather than with configure_async_invoke, whose SqsDestination would add
        # a second (CDK-generated) policy to the role: the SendMessage grant is in the inline policy above.
        invoke_config = lambda_.CfnEventInvokeConfig(
            self,
            "AsyncInvoke",
            function_name=self.function.function_name,
            qualifier="$LATEST",
            maximum_retry_attempts=PURGE_RETRY_ATTEMPTS,
            maximum_event_age_in_seconds=PURGE_MAX_EVENT_AGE_S,
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=self.failures.queue_arn)
            ),
        )
        invoke_config.node.add_dependency(self.role)
        destination = s3n.LambdaDestination(self.function)
        bucket.add_event_notification(s3.EventType.OBJECT_CREATED, destination)
        bucket.add_event_notification(s3.EventType.OBJECT_REMOVED, destination)
        self._acknowledge_findings(variant_objects(bucket, variant_prefix), bucket, config)

    def _warm_statements(self, bucket: s3.Bucket, config: Config) -> list[iam.PolicyStatement]:
        """What warming adds: origin-response's object grants on this bucket (read originals, create variants only,
        tag them only as variants), and DetectFaces when ``gravity=face`` may be warmed."""
        statements = [
            iam.PolicyStatement(sid="ReadOriginals", actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")]),
            *write_statements(
                variant_objects(bucket, config.storage.variant_prefix), tag_variants=config.storage.tag_variants
            ),
        ]
        if config.faces.faces_enabled:
            # DetectFaces supports no resource-level permissions (imgedge_cdk.faces).
            statements.append(iam.PolicyStatement(sid="DetectFaces", actions=["rekognition:DetectFaces"],
                                                  resources=["*"]))  # fmt: skip
        return statements

    def _acknowledge_findings(self, variant_arns: str, bucket: s3.Bucket, config: Config) -> None:
        Validations.of(self.failures).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="This queue is itself the purge function's on-failure destination (a dead-letter queue of "
                "asynchronous invocations); it is read only by `imgedge purge --replay-failed`, never by a consumer "
                "that could fail repeatedly.",
            )
        )
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason="Python 3.13 is pinned deliberately, the runtime of the edge functions whose key grammar "
                "and configuration this function shares.",
            )
        )
        # CDK's own singleton custom resource that writes the bucket's notification configuration.
        for child in Stack.of(self).node.children:
            if child.node.id.startswith("BucketNotificationsHandler"):
                Validations.of(child).acknowledge(
                    Acknowledgment(
                        id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                        "AWSLambdaBasicExecutionRole]",
                        reason="CDK's BucketNotificationsHandler (it applies the S3 notification configuration once "
                        "per deployment) is created by aws-cdk-lib with this managed policy, which only allows writing "
                        "logs; its role is not configurable.",
                    )
                )
        objects = nag_resource(self, variant_arns)
        warm_reason = (
            " Warming adds origin-response's grants: GetObject on every object (an original is any key outside the "
            "variant namespace) and PutObject on the variant keys only with If-None-Match (create, never overwrite)."
            if self.warming
            else ""
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::{objects}]",
                reason="Variants are any key under variant_prefix or, without it, under a spec folder (300/, "
                "640x480-contain/, ...), which IAM cannot express; the object actions are HeadObject (GetObject) "
                "and DeleteObject, and the code deletes only keys whose variant metadata names the changed "
                "original (edge.purge.prove_variants; tested)." + warm_reason,
            )
        )
        if not self.warming:
            return
        every_object = nag_resource(self, bucket.arn_for_objects("*"))
        if every_object != objects:
            Validations.of(self.role).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::{every_object}]",
                    reason="Warming reads originals as origin-response does: GetObject only, on any key (an "
                    "original is any key outside variant_prefix, which IAM cannot express).",
                )
            )
        if config.faces.faces_enabled:
            Validations.of(self.role).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-IAM5[Resource::*]",
                    reason="rekognition:DetectFaces supports no resource-level permissions (its resource is always "
                    "*); warming a gravity=face rendition sends it image bytes, as origin-response does.",
                )
            )
