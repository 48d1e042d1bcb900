"""``ImageEdge``: the imgedge deployment as one reusable construct.

It owns the image bucket (created, or imported by name from any region), the Origin Access Identity, both
Lambda@Edge functions with their roles and log groups, the cache and origin request policies and the CloudFront
distribution. The WAF web ACL is passed in by ARN (``waf.ImageEdgeWebAcl`` builds one) because a CLOUDFRONT-scope
ACL and the edge functions must both live in us-east-1, and a user may already have an ACL.

Invariants the tests check (``tests/cdk``):
- the bucket blocks all public access, denies non-TLS requests, is encrypted, and CloudFront reads it only through
  the OAI, with ``s3:GetObject`` and no ``s3:ListBucket`` (so a missing variant is a 403, which origin-response
  treats as a miss);
- the origin-response role may read objects and *create* objects (``PutObject`` only with ``If-None-Match``, so
  it can never overwrite an original or a variant), optionally tag them ``imgedge=variant`` and nothing else;
  it has no ``s3:ListBucket`` and no ``s3:DeleteObject``;
- the functions have no environment variables (Lambda@Edge forbids them): their settings travel in the bundled
  ``imgedge-config.json``, generated from the same props.
"""

import json
from pathlib import Path
from typing import Any

from aws_cdk import (
    Acknowledgment,
    Aws,
    Duration,
    RemovalPolicy,
    Stack,
    Stage,
    Validations,
)
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from edge.config import VARIANT_TAG_KEY, VARIANT_TAG_VALUE, Config
from edge.marker import MARKER_HEADER
from imgedge_cdk.bundling import (
    ORIGIN_HANDLER,
    SOURCE_ROOT,
    STAGING_DIR_NAME,
    VIEWER_HANDLER,
    origin_code,
    origin_files,
    origin_requirements,
    stage,
    viewer_code,
    viewer_files,
)
from imgedge_cdk.faces import grant_detect_faces
from imgedge_cdk.grants import nag_resource, variant_objects, write_statements
from imgedge_cdk.log_buckets import log_bucket
from imgedge_cdk.origins import ExtraOrigins
from imgedge_cdk.props import ImageEdgeProps, PriceClass
from imgedge_cdk.purge import PurgeOnChange
from imgedge_cdk.signing import signing_policies
from imgedge_cdk.versioning import imported_versioning_advice, versioning_rules
from imgedge_cdk.waf import ImageEdgeWebAcl

EDGE_REGION = "us-east-1"
RUNTIME = lambda_.Runtime.PYTHON_3_13
# Lambda@Edge quotas: viewer events allow at most 128 MB and 5 s; origin events up to 10,240 MB and 30 s.
VIEWER_MEMORY_MB = 128
VIEWER_TIMEOUT_S = 5
ORIGIN_TIMEOUT_S = 30
# Status codes CloudFront must not cache beyond what the function says: 403 is a variant miss that
# origin-response turns into the image (a cached 403 would pin a miss), 5xx must never pin an outage.
NO_ERROR_CACHING_STATUSES = (403, 500, 502, 503, 504)
ACCESS_LOG_EXPIRY_DAYS = 90

_PRICE_CLASSES = {
    PriceClass.PRICE_CLASS_100: cloudfront.PriceClass.PRICE_CLASS_100,
    PriceClass.PRICE_CLASS_200: cloudfront.PriceClass.PRICE_CLASS_200,
    PriceClass.PRICE_CLASS_ALL: cloudfront.PriceClass.PRICE_CLASS_ALL,
}


def _log_group_name(function: cloudfront.experimental.EdgeFunction) -> str:
    return f"/aws/lambda/{EDGE_REGION}.{function.function_name}"


def _log_group_arn(function: cloudfront.experimental.EdgeFunction) -> str:
    """The function's replica log groups in every region (the region is a wildcard)."""
    return f"arn:{Aws.PARTITION}:logs:*:{Aws.ACCOUNT_ID}:log-group:{_log_group_name(function)}"


class ImageEdge(Construct):
    """The bucket, OAI, two Lambda@Edge functions, cache/origin-request policies and distribution of imgedge.

    Must be created in a stack whose region is us-east-1 (``EdgeFunction`` would otherwise add a cross-region
    support stack, and the CLOUDFRONT WAF ACL cannot live elsewhere anyway); the bucket may be in any region.
    The WAF follows ``props.waf`` unless ``web_acl_arn`` is given (then that ACL is attached): ``create`` (the
    default) builds the construct's own ``ImageEdgeWebAcl`` (``web_acl``), ``none`` attaches none, an ARN
    attaches that existing CLOUDFRONT-scope ACL. ``ImageEdgeStack`` passes its own ACL's ARN. ``source_root`` is the
    directory holding the imgedge packages the assets are staged from (default: where they are imported from, see
    ``bundling.SOURCE_ROOT``); ``docker_bundling`` builds the origin-response asset in Docker instead of locally.
    Raises ``BundlingError`` when a handler module or a module it imports is missing.

    Example, in a us-east-1 stack of any CDK app (``pip install "imgedge[cdk]"``)::

        from edge.config import Config
        from imgedge_cdk import ImageEdge, ImageEdgeProps

        props = ImageEdgeProps(
            bucket_name="my-photos", bucket_region="eu-west-1",  # or leave bucket_name unset
            image=Config.of(sizes=(320, 640, 1280)),  # the image policy (edge.config), by setting name
        )
        edge = ImageEdge(stack, "Images", props=props)  # with its own WAF web ACL (props.waf="create")
        edge.distribution.distribution_domain_name  # serve /photos/cat.jpg?w=320 from here

    The settings are the fields of ``ImageEdgeProps``; the image policy is its ``image``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ImageEdgeProps,
        web_acl_arn: str | None = None,
        source_root: Path = SOURCE_ROOT,
        docker_bundling: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.config: Config = props.to_config()
        self.web_acl: ImageEdgeWebAcl | None = None
        if web_acl_arn is None and props.waf == "create":
            self.web_acl = ImageEdgeWebAcl(
                self, "WebAcl", rate_limit=props.waf_rate_limit, logging=props.waf_logging,
                log_retention_days=props.log_retention_days, url_dialects=props.image.url.url_dialects,
            )  # fmt: skip
            web_acl_arn = self.web_acl.arn
        elif web_acl_arn is None and props.waf != "none":
            web_acl_arn = props.waf
        self.logs_bucket = self._create_logs_bucket() if props.access_logging else None
        self.bucket = self._bucket()
        self.origin_access_identity = cloudfront.OriginAccessIdentity(
            self, "OriginAccessIdentity", comment=f"imgedge {construct_id}: CloudFront reads the image bucket"
        )

        stage_of = Stage.of(self)
        if stage_of is None:
            raise ValueError("ImageEdge must be created inside an App or Stage")
        staging = Path(stage_of.outdir) / STAGING_DIR_NAME
        config_json = self.config.to_json()
        viewer_dir = stage(viewer_files(source_root), config_json, staging, "viewer")
        origin_dir = stage(origin_files(source_root), config_json, staging, "origin")

        self.viewer_role = self._role(
            "ViewerRequestRole", "imgedge viewer-request: logs (and the signing secret, when signing is on)",
            inline_policies=signing_policies(self.config),
        )  # fmt: skip
        self.origin_role = self._role(
            "OriginResponseRole", "imgedge origin-response: read originals, create variants, logs",
            inline_policies={"ImageBucket": iam.PolicyDocument(statements=self._bucket_statements())},
        )  # fmt: skip
        grant_detect_faces(self, self.origin_role, self.config)
        self.viewer_function = self._edge_function(
            "ViewerRequest",
            code=viewer_code(viewer_dir),
            handler=VIEWER_HANDLER,
            role=self.viewer_role,
            memory_mb=VIEWER_MEMORY_MB,
            timeout_s=VIEWER_TIMEOUT_S,
            description="imgedge viewer-request: validate the query, negotiate the format, rewrite to the variant key",
        )
        self.origin_function = self._edge_function(
            "OriginResponse",
            code=origin_code(origin_dir, origin_requirements(source_root), docker=docker_bundling),
            handler=ORIGIN_HANDLER,
            role=self.origin_role,
            memory_mb=props.origin_response_memory_mb,
            timeout_s=ORIGIN_TIMEOUT_S,
            description="imgedge origin-response: render a missing variant with Pillow, store it, return it",
        )

        self.cache_policy = cloudfront.CachePolicy(
            self,
            "CachePolicy",
            comment="imgedge: the rewritten URI is the whole key; min TTL 0 so no-store is honoured",
            min_ttl=Duration.seconds(0),
            default_ttl=Duration.seconds(props.cdn_default_ttl),
            max_ttl=Duration.seconds(props.cdn_max_ttl),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.none(),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=False,
            enable_accept_encoding_brotli=False,
        )
        self.origin_request_policy = cloudfront.OriginRequestPolicy(
            self,
            "OriginRequestPolicy",
            comment="imgedge: forward only the viewer-request marker naming the original",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list(MARKER_HEADER),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.none(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        self.distribution = self._distribution(web_acl_arn)
        self.imported_bucket_policy = self._imported_bucket_policy()
        self.variant_lifecycle_rule = self._imported_lifecycle_rule()
        self.imported_bucket_versioning = (
            imported_versioning_advice(props.bucket_name, props.noncurrent_version_expiry_days)
            if props.bucket_name is not None
            else None
        )
        self.purge_on_change: PurgeOnChange | None = None
        # Warming runs in the purge function (after the purge of an overwritten original's old variants).
        wanted = props.purge_on_change or bool(self.config.warming.warm_renditions)
        if wanted and isinstance(self.bucket, s3.Bucket):
            self.purge_on_change = PurgeOnChange(
                self, "PurgeOnChange", bucket=self.bucket, distribution=self.distribution, config=self.config,
                staging=staging, log_retention_days=props.log_retention_days, runtime=RUNTIME,
                source_root=source_root, docker_bundling=docker_bundling,
            )  # fmt: skip
        # After purge_on_change: created extra buckets notify the same purge function.
        self.extra_origins = ExtraOrigins(self, "ExtraOrigins", edge=self)
        self._acknowledge_findings(web_acl_arn)

    # --- storage ------------------------------------------------------------------------------------------

    def _create_logs_bucket(self) -> s3.Bucket:
        # CloudFront standard logs are delivered with ACLs, so this bucket keeps ACLs enabled (owner preferred).
        return log_bucket(
            self,
            "AccessLogsBucket",
            expiry_days=ACCESS_LOG_EXPIRY_DAYS,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
        )

    def _bucket(self) -> s3.IBucket:
        props = self.props
        if props.bucket_name is not None:
            return s3.Bucket.from_bucket_attributes(
                self,
                "Bucket",
                bucket_name=props.bucket_name,
                region=props.bucket_region or Stack.of(self).region,
            )
        return self.hardened_bucket(self, "Bucket", bucket_name=None, logs_prefix="s3/")

    def hardened_bucket(
        self, scope: Construct, construct_id: str, *, bucket_name: str | None, logs_prefix: str
    ) -> s3.Bucket:
        """A bucket for originals and variants, as every bucket the stack creates is made: no public access,
        TLS only, S3-managed encryption, owner-enforced objects, optional versioning, the variant-expiry rule
        when ``variant_expiry_days`` is set, access logs under ``logs_prefix`` when logging is on, retained."""
        props = self.props
        rules = [
            s3.LifecycleRule(id="AbortIncompleteUploads", abort_incomplete_multipart_upload_after=Duration.days(7))
        ]
        if props.variant_expiry_days is not None:
            rules.append(
                s3.LifecycleRule(
                    id="ExpireVariants",
                    prefix=f"{props.image.storage.variant_prefix}/" if props.image.storage.variant_prefix else None,
                    tag_filters={VARIANT_TAG_KEY: VARIANT_TAG_VALUE},
                    expiration=Duration.days(props.variant_expiry_days),
                    noncurrent_version_expiration=Duration.days(1) if props.versioned else None,
                )
            )
        if props.versioned:
            rules += versioning_rules(props.noncurrent_version_expiry_days)
        return s3.Bucket(
            scope,
            construct_id,
            bucket_name=bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=props.versioned,
            lifecycle_rules=rules,
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix=logs_prefix if self.logs_bucket is not None else None,
            # The bucket holds the user's originals: never delete it with the stack.
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _bucket_statements(self) -> list[iam.PolicyStatement]:
        objects = self.bucket.arn_for_objects("*")
        return [
            iam.PolicyStatement(sid="ReadObjects", actions=["s3:GetObject"], resources=[objects]),
            *write_statements(
                variant_objects(self.bucket, self.props.image.storage.variant_prefix),
                tag_variants=self.props.tag_variants,
            ),
        ]

    # --- functions ----------------------------------------------------------------------------------------

    def _role(
        self, construct_id: str, description: str, *, inline_policies: dict[str, iam.PolicyDocument] | None = None
    ) -> iam.Role:
        # EdgeFunction adds edgelambda.amazonaws.com to the trust policy; logs are granted per function below
        # (no AWSLambdaBasicExecutionRole: it would allow every log group of the account).
        return iam.Role(
            self,
            construct_id,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=description,
            inline_policies=inline_policies,
        )

    def _edge_function(
        self,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        role: iam.Role,
        memory_mb: int,
        timeout_s: int,
        description: str,
    ) -> cloudfront.experimental.EdgeFunction:
        function = cloudfront.experimental.EdgeFunction(
            self,
            construct_id,
            code=code,
            handler=handler,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            memory_size=memory_mb,
            timeout=Duration.seconds(timeout_s),
            role=role,
            description=description,
        )
        # Lambda@Edge replicas log to /aws/lambda/us-east-1.<name> in the region of the edge location that ran
        # them. The us-east-1 group is created here with the retention; the others appear on first use (see the
        # deploy docs for setting their retention), hence the region wildcard in the role's log permissions.
        group_name = _log_group_name(function)
        log_group = logs.CfnLogGroup(
            self, f"{construct_id}LogGroup", log_group_name=group_name, retention_in_days=self.props.log_retention_days
        )
        log_group.apply_removal_policy(RemovalPolicy.DESTROY)
        group_arn = _log_group_arn(function)
        iam.Policy(
            self,
            f"{construct_id}LogsPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="EdgeReplicaLogs",
                    actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[group_arn, f"{group_arn}:*"],
                )
            ],
        )
        return function

    # --- CloudFront ---------------------------------------------------------------------------------------

    def behavior_settings(self) -> dict[str, Any]:
        """The settings every image behavior shares (the default one and each extra origin's): HTTPS only,
        GET/HEAD, the URI-only cache policy, the marker-forwarding origin request policy and both edge functions."""
        return {
            "viewer_protocol_policy": cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            "allowed_methods": cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            "cached_methods": cloudfront.CachedMethods.CACHE_GET_HEAD,
            # Images are already compressed; gzip/brotli would cost CPU and split the cache for nothing.
            "compress": False,
            "cache_policy": self.cache_policy,
            "origin_request_policy": self.origin_request_policy,
            "edge_lambdas": [
                cloudfront.EdgeLambda(
                    function_version=self.viewer_function.current_version,
                    event_type=cloudfront.LambdaEdgeEventType.VIEWER_REQUEST,
                ),
                cloudfront.EdgeLambda(
                    function_version=self.origin_function.current_version,
                    event_type=cloudfront.LambdaEdgeEventType.ORIGIN_RESPONSE,
                ),
            ],
        }

    def _distribution(self, web_acl_arn: str | None) -> cloudfront.Distribution:
        props = self.props
        origin = origins.S3BucketOrigin.with_origin_access_identity(
            self.bucket, origin_access_identity=self.origin_access_identity
        )
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", props.certificate_arn)
            if props.certificate_arn is not None
            else None
        )
        error_responses = [
            cloudfront.ErrorResponse(http_status=404, ttl=Duration.seconds(props.image.responses.missing_max_age))
        ]
        error_responses += [
            cloudfront.ErrorResponse(http_status=status, ttl=Duration.seconds(0))
            for status in NO_ERROR_CACHING_STATUSES
        ]
        return cloudfront.Distribution(
            self,
            "Distribution",
            comment="imgedge: on-the-fly image resizing",
            default_behavior=cloudfront.BehaviorOptions(origin=origin, **self.behavior_settings()),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_ipv6=True,
            price_class=_PRICE_CLASSES[PriceClass(props.price_class)],
            web_acl_id=web_acl_arn,
            domain_names=list(props.domain_names) or None,
            certificate=certificate,
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate is not None else None
            ),
            enable_logging=props.access_logging,
            log_bucket=self.logs_bucket,
            log_file_prefix="cloudfront/" if props.access_logging else None,
            error_responses=error_responses,
        )

    @property
    def domain_name(self) -> str:
        """The name viewers use: the first custom domain, else the distribution's cloudfront.net name."""
        if self.props.domain_names:
            return self.props.domain_names[0]
        return self.distribution.distribution_domain_name

    def _imported_bucket_policy(self) -> str | None:
        """For an imported bucket: the bucket policy (JSON) its owner must add so the OAI can read it."""
        if not self.props.imports_bucket:
            return None
        oai_id = self.origin_access_identity.origin_access_identity_id
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ImgEdgeCloudFrontRead",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity {oai_id}"},
                    "Action": "s3:GetObject",
                    "Resource": self.bucket.arn_for_objects("*"),
                }
            ],
        }
        return Stack.of(self).to_json_string(policy)

    def _imported_lifecycle_rule(self) -> str | None:
        """For an imported bucket with ``variant_expiry_days``: the lifecycle configuration to apply to it."""
        days = self.props.variant_expiry_days
        if not self.props.imports_bucket or days is None:
            return None
        rule = {
            "ID": "imgedge-expire-variants",
            "Status": "Enabled",
            "Filter": {"Tag": {"Key": VARIANT_TAG_KEY, "Value": VARIANT_TAG_VALUE}}
            if not self.props.image.storage.variant_prefix
            else {
                "And": {
                    "Prefix": f"{self.props.image.storage.variant_prefix}/",
                    "Tags": [{"Key": VARIANT_TAG_KEY, "Value": VARIANT_TAG_VALUE}],
                }
            },
            "Expiration": {"Days": days},
        }
        return json.dumps({"Rules": [rule]}, separators=(",", ":"))

    # --- cdk-nag ------------------------------------------------------------------------------------------

    def _acknowledge_findings(self, web_acl_arn: str | None) -> None:
        """Acknowledge the AwsSolutions findings that are deliberate here, each with its reason.

        Only findings the pack actually reports for this configuration are acknowledged (the tests run the
        pack over every variant and fail on any unacknowledged error).
        """
        props = self.props
        distribution = Validations.of(self.distribution)
        distribution.acknowledge(
            Acknowledgment(
                id="AwsSolutions-CFR1",
                reason="Images are public content for every country; a geo restriction is the owner's policy "
                "decision, not a security control this construct can choose (warning level).",
            )
        )
        if not props.imports_bucket:  # the pack recognises an S3 origin only for a bucket of the stack
            distribution.acknowledge(
                Acknowledgment(
                    id="AwsSolutions-CFR7",
                    reason="The owner asked for an Origin Access Identity: it grants s3:GetObject only (no "
                    "ListBucket, so misses are 403s) and needs no KMS or per-region setup on imported buckets.",
                )
            )
        if props.certificate_arn is None:
            distribution.acknowledge(
                Acknowledgment(
                    id="AwsSolutions-CFR4",
                    reason="Without a custom domain the distribution serves the *.cloudfront.net certificate, for "
                    "which CloudFront fixes the minimum protocol at TLSv1; with domain_names + certificate_arn "
                    "the construct sets TLSv1.2_2021.",
                )
            )
        for function in (self.viewer_function, self.origin_function):
            Validations.of(function).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-L1",
                    reason="Python 3.13 is pinned deliberately: it is a runtime Lambda@Edge supports and the one "
                    "the bundled Pillow wheels (cp313, manylinux_2_28 x86_64) are built for.",
                )
            )
        if web_acl_arn is None:
            distribution.acknowledge(
                Acknowledgment(
                    id="AwsSolutions-CFR2",
                    reason="No web ACL is attached: the deployer chose waf=none (for instance a WAF managed "
                    "elsewhere, or none at all); waf=create, the default, attaches the stack's own ACL.",
                )
            )
        if not props.access_logging:
            reason = (
                "Access logging is an opt-in setting (access_logging=true): a log line per image request costs "
                "more than the service itself at high volume; CloudWatch metrics and WAF sampled requests stay on."
            )
            distribution.acknowledge(Acknowledgment(id="AwsSolutions-CFR3", reason=reason))
            if isinstance(self.bucket, s3.Bucket):
                Validations.of(self.bucket).acknowledge(Acknowledgment(id="AwsSolutions-S1", reason=reason))
        for pattern in dict.fromkeys(
            ["*", f"{self.props.image.storage.variant_prefix}/*" if self.props.image.storage.variant_prefix else "*"]
        ):
            objects = nag_resource(self, self.bucket.arn_for_objects(pattern))
            Validations.of(self.origin_role).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::{objects}]",
                    reason="Originals and variants may have any key in the bucket (variants: any key under "
                    "variant_prefix when set); the object actions are only GetObject, PutObject conditioned on "
                    "If-None-Match (create, never overwrite) and, with variant expiry, PutObjectTagging conditioned "
                    "on the single tag imgedge=variant.",
                )
            )
        for function, role_id in ((self.viewer_function, "ViewerRequest"), (self.origin_function, "OriginResponse")):
            policy = self.node.find_child(f"{role_id}LogsPolicy")
            group_arn = _log_group_arn(function)
            for resource in (group_arn, f"{group_arn}:*"):
                Validations.of(policy).acknowledge(
                    Acknowledgment(
                        id=f"AwsSolutions-IAM5[Resource::{nag_resource(self, resource)}]",
                        reason="Lambda@Edge replicas write to /aws/lambda/us-east-1.<function> in the region of "
                        "each edge location that runs them, so the region must be a wildcard; the log group "
                        "name is this function's only.",
                    )
                )
